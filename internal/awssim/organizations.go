package awssim

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/trustaudit/trustaudit/internal/world"
)

// Organizations (JSON 1.1): DescribeOrganization and ListAccounts, which an organization-wide
// scan uses to find its member accounts, and the calls that walk the OU tree (ListRoots,
// ListChildren, ListOrganizationalUnitsForParent, ListAccountsForParent, ListParents,
// DescribeOrganizationalUnit), which a scan limited to OUs or trusting OU paths uses.
// Organizations is global; every call draws from its one quota bucket.
//
// Only the organization's management account may list accounts or walk the tree: any other
// account (a member, unless it is a delegated administrator, which the world does not model)
// gets AccessDeniedException, as AWS answers. DescribeOrganization works from every member.

const orgsTarget = "AWSOrganizationsV20161128."

func init() {
	handleJSON("organizations", orgsTarget+"DescribeOrganization", orgsDescribeOrganization)
	handleJSON("organizations", orgsTarget+"ListAccounts", orgsListAccounts)
	handleJSON("organizations", orgsTarget+"ListRoots", orgsListRoots)
	handleJSON("organizations", orgsTarget+"ListOrganizationalUnitsForParent", orgsListOUsForParent)
	handleJSON("organizations", orgsTarget+"ListAccountsForParent", orgsListAccountsForParent)
	handleJSON("organizations", orgsTarget+"ListChildren", orgsListChildren)
	handleJSON("organizations", orgsTarget+"ListParents", orgsListParents)
	handleJSON("organizations", orgsTarget+"DescribeOrganizationalUnit", orgsDescribeOU)
}

type orgJSON struct {
	Arn                  string `json:"Arn"`
	AvailablePolicyTypes []any  `json:"AvailablePolicyTypes"`
	FeatureSet           string `json:"FeatureSet"`
	ID                   string `json:"Id"`
	MasterAccountArn     string `json:"MasterAccountArn"`
	MasterAccountEmail   string `json:"MasterAccountEmail"`
	MasterAccountID      string `json:"MasterAccountId"`
}

func notInOrg() *APIError {
	return &APIError{Status: 400, Code: "AWSOrganizationsNotInUseException", Sender: true,
		Message: "Your account is not a member of an organization."}
}

func (s *Server) orgOfCaller(c *Call) (*orgJSON, error) {
	o := s.world.Organization
	if o == nil || s.account(c.Account) == nil {
		return nil, notInOrg()
	}
	mgmt := s.account(o.ManagementAccount)
	return &orgJSON{
		Arn:                  fmt.Sprintf("arn:aws:organizations::%s:organization/%s", o.ManagementAccount, o.ID),
		AvailablePolicyTypes: []any{},
		FeatureSet:           "ALL",
		ID:                   o.ID,
		MasterAccountArn:     fmt.Sprintf("arn:aws:organizations::%s:account/%s/%s", o.ManagementAccount, o.ID, o.ManagementAccount),
		MasterAccountEmail:   accountEmail(mgmt),
		MasterAccountID:      o.ManagementAccount,
	}, nil
}

func orgsDescribeOrganization(s *Server, c *Call) (any, error) {
	o, err := s.orgOfCaller(c)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Organization": o}, nil
}

type orgAccountJSON struct {
	Arn             string  `json:"Arn"`
	Email           string  `json:"Email"`
	ID              string  `json:"Id"`
	JoinedMethod    string  `json:"JoinedMethod"`
	JoinedTimestamp float64 `json:"JoinedTimestamp"`
	Name            string  `json:"Name"`
	State           string  `json:"State"`
	Status          string  `json:"Status"`
}

func orgsInvalidInput(reason, msg string) *APIError {
	return &APIError{Status: 400, Code: "InvalidInputException", Sender: true, Message: msg,
		Extra: map[string]any{"Reason": reason}}
}

// orgsManagement is the organization when the caller may read its structure: the
// management account only.
func (s *Server) orgsManagement(c *Call) (*world.Organization, error) {
	if _, err := s.orgOfCaller(c); err != nil {
		return nil, err
	}
	o := s.world.Organization
	if c.Account != o.ManagementAccount {
		return nil, &APIError{Status: 400, Code: "AccessDeniedException", Sender: true,
			Message: "You don't have permissions to access this resource."}
	}
	return o, nil
}

// orgsPaging is the MaxResults and NextToken every Organizations List call takes.
type orgsPaging struct {
	MaxResults *int
	NextToken  *string
}

// page picks the slice [start, end) of n results the request asks for and the token of the
// next page ("" on the last). A token names the listing it continues (scope: the operation
// and its parent or child), so a token issued for another parent is refused, as AWS refuses
// a token that is not its request's.
func (p orgsPaging) page(scope string, n int) (start, end int, next string, err *APIError) {
	max := 20
	if p.MaxResults != nil {
		if *p.MaxResults < 1 || *p.MaxResults > 20 {
			return 0, 0, "", orgsInvalidInput("INVALID_PATTERN", fmt.Sprintf("You provided a value that does not match the required pattern: MaxResults must be between 1 and 20, found %d.", *p.MaxResults))
		}
		max = *p.MaxResults
	}
	if p.NextToken != nil {
		raw, derr := base64.RawURLEncoding.DecodeString(*p.NextToken)
		rest, ok := strings.CutPrefix(string(raw), scope+":")
		k, aerr := strconv.Atoi(rest)
		if derr != nil || !ok || aerr != nil || k < 0 || k > n {
			return 0, 0, "", orgsInvalidInput("INVALID_NEXT_TOKEN", "You specified an invalid value for nextToken.")
		}
		start = k
	}
	end = min(n, start+max)
	if end < n {
		next = base64.RawURLEncoding.EncodeToString([]byte(scope + ":" + strconv.Itoa(end)))
	}
	return start, end, next, nil
}

// orgAccount is account i as ListAccounts and ListAccountsForParent describe it.
func (s *Server) orgAccount(o *world.Organization, i int) orgAccountJSON {
	a := &s.world.Accounts[i]
	method := "INVITED"
	if a.ID != o.ManagementAccount {
		method = "CREATED"
	}
	return orgAccountJSON{
		Arn:             fmt.Sprintf("arn:aws:organizations::%s:account/%s/%s", o.ManagementAccount, o.ID, a.ID),
		Email:           accountEmail(a),
		ID:              a.ID,
		JoinedMethod:    method,
		JoinedTimestamp: float64(time.Date(2022, 3, 1, 12, 0, 0, 0, time.UTC).Unix() + int64(i)*86400),
		Name:            firstNonEmpty(a.Name, a.ID),
		State:           firstNonEmpty(a.Status, "ACTIVE"),
		Status:          firstNonEmpty(a.Status, "ACTIVE"),
	}
}

func orgsListAccounts(s *Server, c *Call) (any, error) {
	o, err := s.orgsManagement(c)
	if err != nil {
		return nil, err
	}
	var in orgsPaging
	if e := jsonUnmarshal(c.Body, &in); e != nil {
		return nil, e
	}
	start, end, next, e := in.page("accounts", len(s.world.Accounts))
	if e != nil {
		return nil, e
	}
	accounts := make([]orgAccountJSON, 0, end-start)
	for i := start; i < end; i++ {
		accounts = append(accounts, s.orgAccount(o, i))
	}
	return orgsList("Accounts", accounts, next), nil
}

// orgsList is a page of a List call: its results under the operation's member name and the
// token of the next page, left out on the last page as AWS leaves it out.
func orgsList(member string, results any, next string) map[string]any {
	out := map[string]any{member: results}
	if next != "" {
		out["NextToken"] = next
	}
	return out
}

// The id patterns Organizations documents. AWS writes the parent pattern as
// ^(r-[0-9a-z]{4,32})|(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$ and matches the whole value; the
// groups here say the same for Go's regexp, which would otherwise match a prefix.
var (
	orgsParentRE = regexp.MustCompile(`^(?:r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$`)
	orgsChildRE  = regexp.MustCompile(`^(?:[0-9]{12}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$`)
	orgsOUIDRE   = regexp.MustCompile(`^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$`)
)

// orgsID checks a required id against its pattern.
func orgsID(name string, id *string, re *regexp.Regexp) (string, *APIError) {
	if id == nil || *id == "" {
		return "", orgsInvalidInput("INPUT_REQUIRED", fmt.Sprintf("You must specify a value for %s.", name))
	}
	if !re.MatchString(*id) {
		return "", orgsInvalidInput("INVALID_PATTERN", fmt.Sprintf("You provided a value that does not match the required pattern: %s %q does not match %s.", name, *id, re))
	}
	return *id, nil
}

// orgsParent resolves a ParentId to the root or an OU of the organization.
func orgsParent(o *world.Organization, id *string) (string, *APIError) {
	parent, err := orgsID("ParentId", id, orgsParentRE)
	if err != nil {
		return "", err
	}
	if parent != o.RootID() && o.Unit(parent) == nil {
		return "", &APIError{Status: 400, Code: "ParentNotFoundException", Sender: true,
			Message: "We can't find a root or OU with the ParentId that you specified."}
	}
	return parent, nil
}

// parentOf is the root or OU an account sits in.
func parentOf(o *world.Organization, a *world.Account) string {
	if a.Parent == "" {
		return o.RootID()
	}
	return a.Parent
}

type orgRootJSON struct {
	Arn         string `json:"Arn"`
	ID          string `json:"Id"`
	Name        string `json:"Name"`
	PolicyTypes []any  `json:"PolicyTypes"`
}

type orgOUJSON struct {
	Arn  string `json:"Arn"`
	ID   string `json:"Id"`
	Name string `json:"Name"`
}

func orgOU(o *world.Organization, u *world.OrganizationalUnit) orgOUJSON {
	return orgOUJSON{Arn: fmt.Sprintf("arn:aws:organizations::%s:ou/%s/%s", o.ManagementAccount, o.ID, u.ID), ID: u.ID, Name: u.Name}
}

type orgNodeJSON struct {
	ID   string `json:"Id"`
	Type string `json:"Type"`
}

func orgsListRoots(s *Server, c *Call) (any, error) {
	o, err := s.orgsManagement(c)
	if err != nil {
		return nil, err
	}
	var in orgsPaging
	if e := jsonUnmarshal(c.Body, &in); e != nil {
		return nil, e
	}
	start, end, next, e := in.page("roots", 1)
	if e != nil {
		return nil, e
	}
	roots := make([]orgRootJSON, 0, 1)
	if start < end {
		roots = append(roots, orgRootJSON{
			Arn:  fmt.Sprintf("arn:aws:organizations::%s:root/%s/%s", o.ManagementAccount, o.ID, o.RootID()),
			ID:   o.RootID(),
			Name: "Root",
			// The world models no policy types, and AWS lists only the enabled ones.
			PolicyTypes: []any{},
		})
	}
	return orgsList("Roots", roots, next), nil
}

// orgsParentInput is the input of the calls that list what a parent holds.
type orgsParentInput struct {
	orgsPaging
	ParentId  *string
	ChildType *string
}

// unitsUnder are the indexes of the OUs directly under parent, in world order.
func unitsUnder(o *world.Organization, parent string) []int {
	var idx []int
	for i := range o.Units {
		if o.Units[i].Parent == parent {
			idx = append(idx, i)
		}
	}
	return idx
}

// accountsUnder are the indexes of the accounts directly under parent, in world order.
func (s *Server) accountsUnder(o *world.Organization, parent string) []int {
	var idx []int
	for i := range s.world.Accounts {
		if parentOf(o, &s.world.Accounts[i]) == parent {
			idx = append(idx, i)
		}
	}
	return idx
}

func orgsListOUsForParent(s *Server, c *Call) (any, error) {
	o, in, parent, err := s.orgsParentRequest(c)
	if err != nil {
		return nil, err
	}
	idx := unitsUnder(o, parent)
	start, end, next, e := in.page("ous:"+parent, len(idx))
	if e != nil {
		return nil, e
	}
	ous := make([]orgOUJSON, 0, end-start)
	for _, i := range idx[start:end] {
		ous = append(ous, orgOU(o, &o.Units[i]))
	}
	return orgsList("OrganizationalUnits", ous, next), nil
}

func orgsListAccountsForParent(s *Server, c *Call) (any, error) {
	o, in, parent, err := s.orgsParentRequest(c)
	if err != nil {
		return nil, err
	}
	idx := s.accountsUnder(o, parent)
	start, end, next, e := in.page("accounts-for:"+parent, len(idx))
	if e != nil {
		return nil, e
	}
	accounts := make([]orgAccountJSON, 0, end-start)
	for _, i := range idx[start:end] {
		accounts = append(accounts, s.orgAccount(o, i))
	}
	return orgsList("Accounts", accounts, next), nil
}

func orgsListChildren(s *Server, c *Call) (any, error) {
	o, in, parent, err := s.orgsParentRequest(c)
	if err != nil {
		return nil, err
	}
	var children []orgNodeJSON
	switch {
	case in.ChildType == nil || *in.ChildType == "":
		return nil, orgsInvalidInput("INPUT_REQUIRED", "You must specify a value for ChildType.")
	case *in.ChildType == "ACCOUNT":
		for _, i := range s.accountsUnder(o, parent) {
			children = append(children, orgNodeJSON{s.world.Accounts[i].ID, *in.ChildType})
		}
	case *in.ChildType == "ORGANIZATIONAL_UNIT":
		for _, i := range unitsUnder(o, parent) {
			children = append(children, orgNodeJSON{o.Units[i].ID, *in.ChildType})
		}
	default:
		return nil, orgsInvalidInput("INVALID_ENUM", fmt.Sprintf("You specified an invalid value: ChildType must be ACCOUNT or ORGANIZATIONAL_UNIT, found %q.", *in.ChildType))
	}
	start, end, next, e := in.page("children:"+*in.ChildType+":"+parent, len(children))
	if e != nil {
		return nil, e
	}
	return orgsList("Children", append([]orgNodeJSON{}, children[start:end]...), next), nil
}

// orgsParentRequest checks the caller and decodes and resolves the ParentId of a request.
func (s *Server) orgsParentRequest(c *Call) (*world.Organization, orgsParentInput, string, error) {
	var in orgsParentInput
	o, err := s.orgsManagement(c)
	if err != nil {
		return nil, in, "", err
	}
	if e := jsonUnmarshal(c.Body, &in); e != nil {
		return nil, in, "", e
	}
	parent, e := orgsParent(o, in.ParentId)
	if e != nil {
		return nil, in, "", e
	}
	return o, in, parent, nil
}

func orgsListParents(s *Server, c *Call) (any, error) {
	o, err := s.orgsManagement(c)
	if err != nil {
		return nil, err
	}
	var in struct {
		orgsPaging
		ChildId *string
	}
	if e := jsonUnmarshal(c.Body, &in); e != nil {
		return nil, e
	}
	child, e := orgsID("ChildId", in.ChildId, orgsChildRE)
	if e != nil {
		return nil, e
	}
	var parent string
	if u := o.Unit(child); u != nil {
		parent = u.Parent
	} else if a := s.account(child); a != nil {
		parent = parentOf(o, a)
	} else {
		return nil, &APIError{Status: 400, Code: "ChildNotFoundException", Sender: true,
			Message: "We can't find an organizational unit (OU) or AWS account with the ChildId that you specified."}
	}
	start, end, next, e := in.page("parents:"+child, 1)
	if e != nil {
		return nil, e
	}
	parents := make([]orgNodeJSON, 0, 1)
	if start < end {
		typ := "ORGANIZATIONAL_UNIT"
		if parent == o.RootID() {
			typ = "ROOT"
		}
		parents = append(parents, orgNodeJSON{parent, typ})
	}
	return orgsList("Parents", parents, next), nil
}

func orgsDescribeOU(s *Server, c *Call) (any, error) {
	o, err := s.orgsManagement(c)
	if err != nil {
		return nil, err
	}
	var in struct{ OrganizationalUnitId *string }
	if e := jsonUnmarshal(c.Body, &in); e != nil {
		return nil, e
	}
	id, e := orgsID("OrganizationalUnitId", in.OrganizationalUnitId, orgsOUIDRE)
	if e != nil {
		return nil, e
	}
	u := o.Unit(id)
	if u == nil {
		return nil, &APIError{Status: 400, Code: "OrganizationalUnitNotFoundException", Sender: true,
			Message: "We can't find an organizational unit (OU) with the OrganizationalUnitId that you specified."}
	}
	return map[string]any{"OrganizationalUnit": orgOU(o, u)}, nil
}
