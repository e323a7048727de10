package awssim

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/trustaudit/trustaudit/internal/world"
)

// RDS (awsQuery): DB snapshots ("rds-snapshot" resources) and DB cluster snapshots
// ("rds-cluster-snapshot" resources) with their "restore" attribute: the accounts (or
// "all") that may copy and restore them, kept in the resource's Shares. A resource's
// Attributes may say SnapshotType (manual, the default, or automated; automated snapshots
// cannot be shared), DBInstanceIdentifier or DBClusterIdentifier, Engine and Encrypted.

func init() {
	xmlNamespaces["rds"] = "http://rds.amazonaws.com/doc/2014-10-31/"
	serviceProtocols["rds"] = protoQuery
	for _, v := range []rdsVariant{rdsInstance, rdsCluster} {
		handleQuery("rds", "Describe"+v.prefix+"s", v.describe)
		handleQuery("rds", "Describe"+v.prefix+"Attributes", v.describeAttributes)
		handleQuery("rds", "Modify"+v.prefix+"Attribute", v.modifyAttribute)
	}
}

// rdsVariant is what differs between DB snapshots and DB cluster snapshots: names.
type rdsVariant struct {
	kind     string // world resource kind
	prefix   string // "DBSnapshot" or "DBClusterSnapshot" in operation and element names
	arnType  string // "snapshot" or "cluster-snapshot"
	idParam  string // the identifier parameter
	notFound string // error code for an unknown snapshot
	state    string // error code for a snapshot that cannot be shared
	source   string // the attribute naming the instance or cluster
}

var (
	rdsInstance = rdsVariant{kind: "rds-snapshot", prefix: "DBSnapshot", arnType: "snapshot", idParam: "DBSnapshotIdentifier",
		notFound: "DBSnapshotNotFound", state: "InvalidDBSnapshotState", source: "DBInstanceIdentifier"}
	rdsCluster = rdsVariant{kind: "rds-cluster-snapshot", prefix: "DBClusterSnapshot", arnType: "cluster-snapshot", idParam: "DBClusterSnapshotIdentifier",
		notFound: "DBClusterSnapshotNotFoundFault", state: "InvalidDBClusterSnapshotStateFault", source: "DBClusterIdentifier"}
)

// rdsMaxShares is how many accounts a manual snapshot can be shared with.
const rdsMaxShares = 20

func rdsError(status int, code, msg string) *APIError {
	return &APIError{Status: status, Code: code, Message: msg, Sender: true}
}

func (v rdsVariant) arn(c *Call, id string) string {
	return fmt.Sprintf("arn:%s:rds:%s:%s:%s:%s", arnPartition(c.Region), c.Region, c.Account, v.arnType, id)
}

// find returns the caller's snapshot named by id (an identifier or its ARN).
func (v rdsVariant) find(s *Server, c *Call, id string) (*world.Resource, *APIError) {
	r, err := s.region(c)
	if err != nil {
		return nil, err
	}
	name := id
	if strings.HasPrefix(id, "arn:") {
		if !strings.HasPrefix(id, v.arn(c, "")) {
			return nil, rdsError(404, v.notFound, fmt.Sprintf("%s %s not found.", v.prefix, id))
		}
		name = strings.TrimPrefix(id, v.arn(c, ""))
	}
	for i := range r.Resources {
		if x := &r.Resources[i]; x.Kind == v.kind && x.Name == name {
			return x, nil
		}
	}
	return nil, rdsError(404, v.notFound, fmt.Sprintf("%s %s not found.", v.prefix, id))
}

func rdsSnapshotType(x *world.Resource) string {
	return firstNonEmpty(x.Attributes["SnapshotType"], "manual")
}

// rdsAnyXML is a pre-rendered element.
type rdsAnyXML struct {
	Inner string `xml:",innerxml"`
}

func xmlElem(name, value string) string {
	return "<" + name + ">" + xmlEscape(value) + "</" + name + ">"
}

func (v rdsVariant) render(c *Call, x *world.Resource) string {
	a := x.Attributes
	var b strings.Builder
	b.WriteString(xmlElem(v.prefix+"Identifier", x.Name))
	if src := a[v.source]; src != "" {
		b.WriteString(xmlElem(v.source, src))
	}
	b.WriteString(xmlElem(v.prefix+"Arn", v.arn(c, x.Name)))
	b.WriteString(xmlElem("SnapshotType", rdsSnapshotType(x)))
	b.WriteString(xmlElem("Status", "available"))
	b.WriteString(xmlElem("Engine", firstNonEmpty(a["Engine"], "postgres")))
	b.WriteString(xmlElem("SnapshotCreateTime", ec2Created.Format(time.RFC3339)))
	enc := "Encrypted"
	if v.kind == "rds-cluster-snapshot" {
		enc = "StorageEncrypted"
	}
	b.WriteString(xmlElem(enc, strconv.FormatBool(a["Encrypted"] == "true")))
	b.WriteString(xmlElem("PercentProgress", "100"))
	return b.String()
}

func (v rdsVariant) describe(s *Server, c *Call) (any, error) {
	r, err := s.region(c)
	if err != nil {
		return nil, err
	}
	maxRecords := 100
	if m := c.Params.Get("MaxRecords"); m != "" {
		n, perr := strconv.Atoi(m)
		if perr != nil || n < 20 || n > 100 {
			return nil, rdsError(400, "InvalidParameterValue", fmt.Sprintf("Invalid value %s for MaxRecords. Must be between 20 and 100", m))
		}
		maxRecords = n
	}
	typ := c.Params.Get("SnapshotType")
	switch typ {
	case "", "manual", "automated", "shared", "public", "awsbackup":
	default:
		return nil, rdsError(400, "InvalidParameterValue", fmt.Sprintf("Invalid snapshot type: %s", typ))
	}
	id := c.Params.Get(v.idParam)
	var own []*world.Resource
	for i := range r.Resources {
		x := &r.Resources[i]
		if x.Kind != v.kind || (id != "" && x.Name != id) {
			continue
		}
		// shared and public list other accounts' snapshots, which the caller's region
		// does not hold; awsbackup ones are not simulated.
		if typ != "" && typ != rdsSnapshotType(x) {
			continue
		}
		if src := c.Params.Get(v.source); src != "" && x.Attributes[v.source] != src {
			continue
		}
		own = append(own, x)
	}
	if id != "" && len(own) == 0 {
		if _, ferr := v.find(s, c, id); ferr != nil {
			return nil, ferr
		}
	}
	sort.Slice(own, func(i, j int) bool { return own[i].Name < own[j].Name })
	from := 0
	if m := c.Params.Get("Marker"); m != "" {
		n, perr := strconv.Atoi(m)
		if perr != nil || n < 0 || n > len(own) {
			return nil, rdsError(400, "InvalidParameterValue", "The marker is not valid.")
		}
		from = n
	}
	to := min(len(own), from+maxRecords)
	var b strings.Builder
	b.WriteString("<" + v.prefix + "s>")
	for _, x := range own[from:to] {
		b.WriteString("<" + v.prefix + ">" + v.render(c, x) + "</" + v.prefix + ">")
	}
	b.WriteString("</" + v.prefix + "s>")
	if to < len(own) {
		b.WriteString(xmlElem("Marker", strconv.Itoa(to)))
	}
	return rdsAnyXML{Inner: b.String()}, nil
}

// attributes renders the <...AttributesResult> of a snapshot.
func (v rdsVariant) attributes(x *world.Resource) rdsAnyXML {
	var b strings.Builder
	b.WriteString("<" + v.prefix + "AttributesResult>")
	b.WriteString(xmlElem(v.prefix+"Identifier", x.Name))
	b.WriteString("<" + v.prefix + "Attributes><" + v.prefix + "Attribute><AttributeName>restore</AttributeName><AttributeValues>")
	for _, s := range x.Shares {
		b.WriteString(xmlElem("AttributeValue", s))
	}
	b.WriteString("</AttributeValues></" + v.prefix + "Attribute></" + v.prefix + "Attributes>")
	b.WriteString("</" + v.prefix + "AttributesResult>")
	return rdsAnyXML{Inner: b.String()}
}

func (v rdsVariant) describeAttributes(s *Server, c *Call) (any, error) {
	x, err := v.find(s, c, c.Params.Get(v.idParam))
	if err != nil {
		return nil, err
	}
	return v.attributes(x), nil
}

// rdsValues reads a list parameter (ValuesToAdd.AttributeValue.1, or .member.1).
func rdsValues(c *Call, name string) []string {
	type iv struct {
		i int
		v string
	}
	var items []iv
	for k, vs := range c.Params {
		rest, ok := strings.CutPrefix(k, name+".")
		if !ok || len(vs) == 0 {
			continue
		}
		_, idx, ok := strings.Cut(rest, ".")
		if i, err := strconv.Atoi(idx); ok && err == nil {
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

func (v rdsVariant) modifyAttribute(s *Server, c *Call) (any, error) {
	if a := c.Params.Get("AttributeName"); a != "restore" {
		return nil, rdsError(400, "InvalidParameterValue", fmt.Sprintf("Invalid attribute name: %q. The only attribute that can be modified is restore.", a))
	}
	x, err := v.find(s, c, c.Params.Get(v.idParam))
	if err != nil {
		return nil, err
	}
	add, remove := rdsValues(c, "ValuesToAdd"), rdsValues(c, "ValuesToRemove")
	for _, val := range append(slices.Clone(add), remove...) {
		if val != "all" && !ec2AccountRE.MatchString(val) {
			return nil, rdsError(400, "InvalidParameterValue", fmt.Sprintf("Invalid attribute value: %s. Values must be AWS account ids or all.", val))
		}
	}
	if len(add) > 0 && rdsSnapshotType(x) != "manual" {
		return nil, rdsError(400, v.state, fmt.Sprintf("Only manual snapshots may be shared; %s is %s.", x.Name, rdsSnapshotType(x)))
	}
	if slices.Contains(add, "all") && x.Attributes["Encrypted"] == "true" {
		return nil, rdsError(400, "InvalidParameterValue", "Encrypted snapshots cannot be made public.")
	}
	next := applyShares(x.Shares, add, remove)
	if n := len(slices.DeleteFunc(slices.Clone(next), func(s string) bool { return s == "all" })); n > rdsMaxShares {
		return nil, rdsError(400, "SharedSnapshotQuotaExceeded", fmt.Sprintf("A snapshot can be shared with at most %d accounts.", rdsMaxShares))
	}
	x.Shares = next
	return v.attributes(x), nil
}
