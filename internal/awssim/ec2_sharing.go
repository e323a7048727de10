package awssim

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/trustaudit/trustaudit/internal/world"
)

// EC2 sharing (ec2Query): EBS snapshots ("ebs-snapshot" resources) and AMIs ("ec2-ami"
// resources) with the lists of who may use them. A resource's Shares are the list: "all"
// for the public group, 12-digit account ids, and for AMIs organization and OU ARNs. An
// AMI's Public flag is its "all" entry, as in EC2.

func init() {
	handleQuery("ec2", "DescribeSnapshots", ec2DescribeSnapshots)
	handleQuery("ec2", "DescribeSnapshotAttribute", ec2DescribeSnapshotAttribute)
	handleQuery("ec2", "ModifySnapshotAttribute", ec2ModifySnapshotAttribute)
	handleQuery("ec2", "DescribeImages", ec2DescribeImages)
	handleQuery("ec2", "DescribeImageAttribute", ec2DescribeImageAttribute)
	handleQuery("ec2", "ModifyImageAttribute", ec2ModifyImageAttribute)
	handleQuery("ec2", "GetSnapshotBlockPublicAccessState", ec2GetSnapshotBPA)
}

// snapshotBPASetting is the account setting holding a region's snapshot block public
// access state ("ec2:SnapshotBlockPublicAccessState/us-east-1"); unset is "unblocked".
const snapshotBPASetting = "ec2:SnapshotBlockPublicAccessState/"

type getSnapshotBPAResult struct {
	State     string `xml:"state"`
	ManagedBy string `xml:"managedBy"`
}

func ec2GetSnapshotBPA(s *Server, c *Call) (any, error) {
	if _, err := s.region(c); err != nil {
		return nil, err
	}
	state := firstNonEmpty(s.account(c.Account).Settings[snapshotBPASetting+c.Region], "unblocked")
	return getSnapshotBPAResult{State: state, ManagedBy: "account"}, nil
}

const (
	kindEBSSnapshot = "ebs-snapshot"
	kindEC2AMI      = "ec2-ami"
)

var (
	ec2AccountRE = regexp.MustCompile(`^[0-9]{12}$`)
	ec2OrgARNRE  = regexp.MustCompile(`^arn:[a-z-]+:organizations::[0-9]{12}:organization/o-[a-z0-9]{10,32}$`)
	ec2OUARNRE   = regexp.MustCompile(`^arn:[a-z-]+:organizations::[0-9]{12}:ou/o-[a-z0-9]{10,32}/ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}$`)
)

// ec2Created is the creation time the simulator reports for every snapshot and image.
var ec2Created = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

func ec2Invalid(code, msg string) *APIError {
	return &APIError{Status: 400, Code: code, Message: msg, Sender: true}
}

// ec2List returns the values of a flattened list parameter (Prefix.1, Prefix.2, ...) in
// index order.
func ec2List(c *Call, prefix string) []string {
	type iv struct {
		i int
		v string
	}
	var items []iv
	for k, vs := range c.Params {
		rest, ok := strings.CutPrefix(k, prefix+".")
		if !ok || len(vs) == 0 {
			continue
		}
		if i, err := strconv.Atoi(rest); err == nil {
			items = append(items, iv{i, vs[0]})
		}
	}
	sort.Slice(items, func(a, b int) bool { return items[a].i < items[b].i })
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.v
	}
	return out
}

// ec2Structs returns the members of a flattened list of structures (Prefix.N.Member) as one
// map per index, in index order.
func ec2Structs(c *Call, prefix string) []map[string]string {
	byIdx := map[int]map[string]string{}
	for k, vs := range c.Params {
		rest, ok := strings.CutPrefix(k, prefix+".")
		if !ok || len(vs) == 0 {
			continue
		}
		idx, member, ok := strings.Cut(rest, ".")
		i, err := strconv.Atoi(idx)
		if !ok || err != nil {
			continue
		}
		if byIdx[i] == nil {
			byIdx[i] = map[string]string{}
		}
		byIdx[i][member] = vs[0]
	}
	keys := make([]int, 0, len(byIdx))
	for i := range byIdx {
		keys = append(keys, i)
	}
	sort.Ints(keys)
	out := make([]map[string]string, len(keys))
	for j, i := range keys {
		out[j] = byIdx[i]
	}
	return out
}

// ec2Page applies MaxResults and NextToken (an index into the listing) to n items.
func ec2Page(c *Call, n int) (from, to int, next string, err *APIError) {
	if t := c.Params.Get("NextToken"); t != "" {
		i, perr := strconv.Atoi(t)
		if perr != nil || i < 0 || i > n {
			return 0, 0, "", ec2Invalid("InvalidParameterValue", fmt.Sprintf("The token '%s' is invalid.", t))
		}
		from = i
	}
	to = n
	if m := c.Params.Get("MaxResults"); m != "" {
		max, perr := strconv.Atoi(m)
		if perr != nil || max < 5 || max > 1000 {
			return 0, 0, "", ec2Invalid("InvalidParameterValue", fmt.Sprintf("Value ( %s ) for parameter maxResults is invalid. Parameter must be between 5 and 1000.", m))
		}
		if from+max < n {
			to = from + max
			next = strconv.Itoa(to)
		}
	}
	return from, to, next, nil
}

// ec2Owned is one resource of a kind visible to the caller, with its owner.
type ec2Owned struct {
	owner string
	res   *world.Resource
}

// ec2Visible lists the resources of kind in the caller's region that a Describe call with
// the given owner filter and ids returns: the caller's own, and (without an owner filter, or
// naming their owner) those other accounts share with the caller or with everyone.
func (s *Server) ec2Visible(c *Call, kind string, owners, ids []string) ([]ec2Owned, *APIError) {
	if _, err := s.region(c); err != nil {
		return nil, err
	}
	wantOwner := func(acct string) bool {
		if len(owners) == 0 {
			return true
		}
		for _, o := range owners {
			if o == acct || (o == "self" && acct == c.Account) {
				return true
			}
		}
		return false
	}
	var out []ec2Owned
	for ai := range s.world.Accounts {
		a := &s.world.Accounts[ai]
		if !wantOwner(a.ID) {
			continue
		}
		for ri := range a.Regions {
			r := &a.Regions[ri]
			if r.Name != c.Region || !r.Enabled() {
				continue
			}
			for i := range r.Resources {
				x := &r.Resources[i]
				if x.Kind != kind {
					continue
				}
				if a.ID != c.Account && !slices.Contains(x.Shares, "all") && !slices.Contains(x.Shares, c.Account) {
					continue
				}
				if len(ids) > 0 && !slices.Contains(ids, x.Name) {
					continue
				}
				out = append(out, ec2Owned{owner: a.ID, res: x})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].res.Name < out[j].res.Name })
	return out, nil
}

// ec2Own finds the caller's own resource of kind by id; others' resources cannot have their
// attributes read or changed.
func (s *Server) ec2Own(c *Call, kind, id string) (*world.Resource, *APIError) {
	r, err := s.region(c)
	if err != nil {
		return nil, err
	}
	code, what := "InvalidSnapshot.NotFound", fmt.Sprintf("The snapshot '%s' does not exist.", id)
	malformed := !strings.HasPrefix(id, "snap-")
	if kind == kindEC2AMI {
		code, what = "InvalidAMIID.NotFound", fmt.Sprintf("The image id '[%s]' does not exist", id)
		malformed = !strings.HasPrefix(id, "ami-")
	}
	if malformed {
		if kind == kindEC2AMI {
			return nil, ec2Invalid("InvalidAMIID.Malformed", fmt.Sprintf("Invalid id: \"%s\" (expecting \"ami-...\")", id))
		}
		return nil, ec2Invalid("InvalidSnapshotID.Malformed", fmt.Sprintf("Invalid id: \"%s\" (expecting \"snap-...\")", id))
	}
	for i := range r.Resources {
		if x := &r.Resources[i]; x.Kind == kind && x.Name == id {
			return x, nil
		}
	}
	return nil, ec2Invalid(code, what)
}

// --- EBS snapshots ---

type ec2SnapshotXML struct {
	SnapshotID  string `xml:"snapshotId"`
	VolumeID    string `xml:"volumeId"`
	Status      string `xml:"status"`
	StartTime   string `xml:"startTime"`
	Progress    string `xml:"progress"`
	OwnerID     string `xml:"ownerId"`
	VolumeSize  int    `xml:"volumeSize"`
	Description string `xml:"description,omitempty"`
	Encrypted   bool   `xml:"encrypted"`
}

type describeSnapshotsResult struct {
	Snapshots []ec2SnapshotXML `xml:"snapshotSet>item"`
	NextToken string           `xml:"nextToken,omitempty"`
}

func ec2DescribeSnapshots(s *Server, c *Call) (any, error) {
	ids := ec2List(c, "SnapshotId")
	if len(ids) > 0 && c.Params.Get("MaxResults") != "" {
		return nil, ec2Invalid("InvalidParameterCombination", "The parameter snapshotSet cannot be used with the parameter maxResults")
	}
	vis, err := s.ec2Visible(c, kindEBSSnapshot, ec2List(c, "Owner"), ids)
	if err != nil {
		return nil, err
	}
	if rb := ec2List(c, "RestorableBy"); len(rb) > 0 {
		vis = slices.DeleteFunc(vis, func(o ec2Owned) bool {
			for _, who := range rb {
				if who == "self" {
					who = c.Account
				}
				if slices.Contains(o.res.Shares, who) || who == o.owner {
					return false
				}
			}
			return true
		})
	}
	for _, id := range ids {
		if !slices.ContainsFunc(vis, func(o ec2Owned) bool { return o.res.Name == id }) {
			return nil, ec2Invalid("InvalidSnapshot.NotFound", fmt.Sprintf("The snapshot '%s' does not exist.", id))
		}
	}
	from, to, next, perr := ec2Page(c, len(vis))
	if perr != nil {
		return nil, perr
	}
	out := describeSnapshotsResult{Snapshots: []ec2SnapshotXML{}, NextToken: next}
	for _, o := range vis[from:to] {
		a := o.res.Attributes
		size, _ := strconv.Atoi(a["VolumeSize"])
		out.Snapshots = append(out.Snapshots, ec2SnapshotXML{
			SnapshotID:  o.res.Name,
			VolumeID:    firstNonEmpty(a["VolumeId"], "vol-ffffffff"),
			Status:      "completed",
			StartTime:   ec2Created.Format(time.RFC3339),
			Progress:    "100%",
			OwnerID:     o.owner,
			VolumeSize:  max(size, 8),
			Description: a["Description"],
			Encrypted:   a["Encrypted"] == "true",
		})
	}
	return out, nil
}

type ec2PermissionXML struct {
	Group                 string `xml:"group,omitempty"`
	UserID                string `xml:"userId,omitempty"`
	OrganizationArn       string `xml:"organizationArn,omitempty"`
	OrganizationalUnitArn string `xml:"organizationalUnitArn,omitempty"`
}

func ec2Permissions(shares []string) []ec2PermissionXML {
	out := []ec2PermissionXML{}
	for _, v := range shares {
		switch {
		case v == "all":
			out = append(out, ec2PermissionXML{Group: "all"})
		case ec2OrgARNRE.MatchString(v):
			out = append(out, ec2PermissionXML{OrganizationArn: v})
		case ec2OUARNRE.MatchString(v):
			out = append(out, ec2PermissionXML{OrganizationalUnitArn: v})
		default:
			out = append(out, ec2PermissionXML{UserID: v})
		}
	}
	return out
}

type describeSnapshotAttributeResult struct {
	SnapshotID  string             `xml:"snapshotId"`
	Permissions []ec2PermissionXML `xml:"createVolumePermission>item"`
}

func ec2DescribeSnapshotAttribute(s *Server, c *Call) (any, error) {
	if a := c.Params.Get("Attribute"); a != "createVolumePermission" {
		return nil, ec2Invalid("InvalidParameterValue", fmt.Sprintf("Value (%s) for parameter attribute is invalid. The simulator answers createVolumePermission only.", a))
	}
	x, err := s.ec2Own(c, kindEBSSnapshot, c.Params.Get("SnapshotId"))
	if err != nil {
		return nil, err
	}
	return describeSnapshotAttributeResult{SnapshotID: x.Name, Permissions: ec2Permissions(x.Shares)}, nil
}

type ec2ReturnResult struct {
	Return bool `xml:"return"`
}

// ec2Modifications reads the add and remove lists of a Modify*Attribute call, from either
// form the API takes: OperationType with UserId.N/UserGroup.N(/OrganizationArn.N/
// OrganizationalUnitArn.N), or Attr.Add.N.Member and Attr.Remove.N.Member.
func ec2Modifications(c *Call, structPrefix string, orgs bool) (add, remove []string, err *APIError) {
	entry := func(m map[string]string) (string, *APIError) {
		var vals []string
		if g := m["Group"]; g != "" {
			if g != "all" {
				return "", ec2Invalid("InvalidParameterValue", fmt.Sprintf("Value (%s) for parameter group is invalid. Expected: 'all'.", g))
			}
			vals = append(vals, "all")
		}
		for _, k := range []string{"UserId", "OrganizationArn", "OrganizationalUnitArn"} {
			if v := m[k]; v != "" {
				vals = append(vals, v)
			}
		}
		if len(vals) != 1 {
			return "", ec2Invalid("InvalidParameterCombination", "Each permission names exactly one of group, userId, organizationArn or organizationalUnitArn.")
		}
		return vals[0], nil
	}
	for _, part := range []struct {
		name string
		into *[]string
	}{{"Add", &add}, {"Remove", &remove}} {
		for _, m := range ec2Structs(c, structPrefix+"."+part.name) {
			v, e := entry(m)
			if e != nil {
				return nil, nil, e
			}
			*part.into = append(*part.into, v)
		}
	}
	var flat []string
	for _, g := range ec2List(c, "UserGroup") {
		v, e := entry(map[string]string{"Group": g})
		if e != nil {
			return nil, nil, e
		}
		flat = append(flat, v)
	}
	flat = append(flat, ec2List(c, "UserId")...)
	if orgs {
		flat = append(flat, ec2List(c, "OrganizationArn")...)
		flat = append(flat, ec2List(c, "OrganizationalUnitArn")...)
	}
	if len(flat) > 0 {
		switch c.Params.Get("OperationType") {
		case "add":
			add = append(add, flat...)
		case "remove":
			remove = append(remove, flat...)
		default:
			return nil, nil, ec2Invalid("InvalidParameterValue", "OperationType must be add or remove when users or groups are given")
		}
	}
	if len(add) > 0 && len(remove) > 0 {
		return nil, nil, ec2Invalid("InvalidParameterCombination", "You can add or remove permissions in one request, but not both.")
	}
	if len(add)+len(remove) == 0 {
		return nil, nil, ec2Invalid("MissingParameter", "The request must contain a permission to add or remove.")
	}
	for _, v := range append(slices.Clone(add), remove...) {
		switch {
		case v == "all", ec2AccountRE.MatchString(v):
		case orgs && (ec2OrgARNRE.MatchString(v) || ec2OUARNRE.MatchString(v)):
		default:
			return nil, nil, ec2Invalid("InvalidUserID.Malformed", fmt.Sprintf("User ID '%s' is invalid", v))
		}
	}
	return add, remove, nil
}

// applyShares adds and removes entries, keeping the list sorted and without duplicates.
func applyShares(shares, add, remove []string) []string {
	out := slices.DeleteFunc(slices.Clone(shares), func(v string) bool { return slices.Contains(remove, v) })
	for _, v := range add {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	if len(out) == 0 {
		return nil
	}
	return out
}

func ec2ModifySnapshotAttribute(s *Server, c *Call) (any, error) {
	if a := c.Params.Get("Attribute"); a != "" && a != "createVolumePermission" {
		return nil, ec2Invalid("InvalidParameterValue", fmt.Sprintf("Value (%s) for parameter attribute is invalid. Only createVolumePermission can be modified.", a))
	}
	x, err := s.ec2Own(c, kindEBSSnapshot, c.Params.Get("SnapshotId"))
	if err != nil {
		return nil, err
	}
	add, remove, err := ec2Modifications(c, "CreateVolumePermission", false)
	if err != nil {
		return nil, err
	}
	if slices.Contains(add, "all") && x.Attributes["Encrypted"] == "true" {
		return nil, ec2Invalid("OperationNotPermitted", "Encrypted snapshots with EBS default key cannot be shared")
	}
	if slices.Contains(add, "all") && s.account(c.Account).Settings[snapshotBPASetting+c.Region] != "" && s.account(c.Account).Settings[snapshotBPASetting+c.Region] != "unblocked" {
		return nil, ec2Invalid("OperationNotPermitted", "Public sharing of snapshots is blocked by snapshot block public access in this region.")
	}
	x.Shares = applyShares(x.Shares, add, remove)
	return ec2ReturnResult{Return: true}, nil
}

// --- AMIs ---

type ec2ImageXML struct {
	ImageID        string `xml:"imageId"`
	ImageLocation  string `xml:"imageLocation"`
	ImageState     string `xml:"imageState"`
	ImageOwnerID   string `xml:"imageOwnerId"`
	CreationDate   string `xml:"creationDate"`
	IsPublic       bool   `xml:"isPublic"`
	Architecture   string `xml:"architecture"`
	ImageType      string `xml:"imageType"`
	Name           string `xml:"name"`
	Description    string `xml:"description,omitempty"`
	RootDeviceType string `xml:"rootDeviceType"`
}

type describeImagesResult struct {
	Images    []ec2ImageXML `xml:"imagesSet>item"`
	NextToken string        `xml:"nextToken,omitempty"`
}

func ec2DescribeImages(s *Server, c *Call) (any, error) {
	ids := ec2List(c, "ImageId")
	if len(ids) > 0 && c.Params.Get("MaxResults") != "" {
		return nil, ec2Invalid("InvalidParameterCombination", "The parameter ImageIds cannot be used with the parameter maxResults")
	}
	vis, err := s.ec2Visible(c, kindEC2AMI, ec2List(c, "Owner"), ids)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if !slices.ContainsFunc(vis, func(o ec2Owned) bool { return o.res.Name == id }) {
			return nil, ec2Invalid("InvalidAMIID.NotFound", fmt.Sprintf("The image id '[%s]' does not exist", id))
		}
	}
	from, to, next, perr := ec2Page(c, len(vis))
	if perr != nil {
		return nil, perr
	}
	out := describeImagesResult{Images: []ec2ImageXML{}, NextToken: next}
	for _, o := range vis[from:to] {
		a := o.res.Attributes
		name := firstNonEmpty(a["Name"], o.res.Name)
		out.Images = append(out.Images, ec2ImageXML{
			ImageID:        o.res.Name,
			ImageLocation:  o.owner + "/" + name,
			ImageState:     "available",
			ImageOwnerID:   o.owner,
			CreationDate:   ec2Created.Format("2006-01-02T15:04:05.000Z"),
			IsPublic:       slices.Contains(o.res.Shares, "all"),
			Architecture:   "x86_64",
			ImageType:      "machine",
			Name:           name,
			Description:    a["Description"],
			RootDeviceType: "ebs",
		})
	}
	return out, nil
}

type describeImageAttributeResult struct {
	ImageID     string             `xml:"imageId"`
	Permissions []ec2PermissionXML `xml:"launchPermission>item"`
}

func ec2DescribeImageAttribute(s *Server, c *Call) (any, error) {
	if a := c.Params.Get("Attribute"); a != "launchPermission" {
		return nil, ec2Invalid("InvalidParameterValue", fmt.Sprintf("Value (%s) for parameter attribute is invalid. The simulator answers launchPermission only.", a))
	}
	x, err := s.ec2Own(c, kindEC2AMI, c.Params.Get("ImageId"))
	if err != nil {
		return nil, err
	}
	return describeImageAttributeResult{ImageID: x.Name, Permissions: ec2Permissions(x.Shares)}, nil
}

func ec2ModifyImageAttribute(s *Server, c *Call) (any, error) {
	if a := c.Params.Get("Attribute"); a != "" && a != "launchPermission" {
		return nil, ec2Invalid("InvalidParameterValue", fmt.Sprintf("Value (%s) for parameter attribute is invalid. The simulator changes launchPermission only.", a))
	}
	x, err := s.ec2Own(c, kindEC2AMI, c.Params.Get("ImageId"))
	if err != nil {
		return nil, err
	}
	add, remove, err := ec2Modifications(c, "LaunchPermission", true)
	if err != nil {
		return nil, err
	}
	x.Shares = applyShares(x.Shares, add, remove)
	return ec2ReturnResult{Return: true}, nil
}
