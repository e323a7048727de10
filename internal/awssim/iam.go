package awssim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/trustaudit/trustaudit/internal/policy"
	"github.com/trustaudit/trustaudit/internal/world"
)

// IAM roles: the reads a trust-policy audit makes (ListRoles, GetRole) and the writes its
// remediation makes (UpdateAssumeRolePolicy), plus CreateRole/DeleteRole so tests can shape
// an account. IAM is global: every region a client signs with is served, and the quota is
// per account.

func init() {
	handleQuery("iam", "ListRoles", iamListRoles)
	handleQuery("iam", "GetRole", iamGetRole)
	handleQuery("iam", "UpdateAssumeRolePolicy", iamUpdateAssumeRolePolicy)
	handleQuery("iam", "CreateRole", iamCreateRole)
	handleQuery("iam", "DeleteRole", iamDeleteRole)
}

// trustPolicyMaxSize is IAM's default "Role trust policy length" quota (characters, white
// space not counted).
const trustPolicyMaxSize = 2048

// iamState is the "iam" entry of Server.ext: creation dates of roles made by CreateRole
// (world roles get a stable date derived from their name).
type iamState struct {
	created map[string]time.Time // account/lower-case name
}

func (s *Server) iamState() *iamState {
	return extState(s, "iam", func() *iamState { return &iamState{created: map[string]time.Time{}} })
}

type roleXML struct {
	Path                     string `xml:"Path"`
	RoleName                 string `xml:"RoleName"`
	RoleID                   string `xml:"RoleId"`
	Arn                      string `xml:"Arn"`
	CreateDate               string `xml:"CreateDate"`
	AssumeRolePolicyDocument string `xml:"AssumeRolePolicyDocument"`
	Description              string `xml:"Description,omitempty"`
	MaxSessionDuration       int    `xml:"MaxSessionDuration"`
}

func (s *Server) roleXML(account string, r *world.Role) roleXML {
	created, ok := s.iamState().created[account+"/"+strings.ToLower(r.Name)]
	if !ok {
		// A stable date in 2021-2024 derived from the role, so repeated runs agree.
		sum := stableID("", account+"/"+r.Name)
		h := 0
		for _, c := range sum {
			h = h*31 + int(c)
		}
		if h < 0 {
			h = -h
		}
		created = time.Date(2021, 1, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(h%(4*365*24*3600)) * time.Second)
	}
	return roleXML{
		Path:                     rolePath(r),
		RoleName:                 r.Name,
		RoleID:                   roleIDOf(account, r),
		Arn:                      roleARNOf(account, r),
		CreateDate:               created.UTC().Format(time.RFC3339),
		AssumeRolePolicyDocument: awsURLEncode(string(r.AssumeRolePolicy)),
		Description:              r.Description,
		MaxSessionDuration:       3600,
	}
}

func rolePath(r *world.Role) string {
	if r.Path == "" {
		return "/"
	}
	return r.Path
}

func roleARNOf(account string, r *world.Role) string {
	return "arn:aws:iam::" + account + ":role" + rolePath(r) + r.Name
}

func roleIDOf(account string, r *world.Role) string {
	if r.RoleID != "" {
		return r.RoleID
	}
	return stableID("AROA", account+"/"+r.Name)
}

// findRole looks a role up by name; IAM names are case-insensitive.
func findRole(a *world.Account, name string) *world.Role {
	for i := range a.IAM.Roles {
		if strings.EqualFold(a.IAM.Roles[i].Name, name) {
			return &a.IAM.Roles[i]
		}
	}
	return nil
}

// awsURLEncode percent-encodes every byte but RFC 3986's unreserved characters, as IAM
// encodes policy documents in its XML answers (a space is %20, never +).
func awsURLEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) * 2)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

func (s *Server) iamAccount(c *Call) (*world.Account, error) {
	a := s.account(c.Account)
	if a == nil {
		return nil, &APIError{Status: 403, Code: "InvalidClientTokenId", Message: "The security token included in the request is invalid.", Sender: true}
	}
	return a, nil
}

func noSuchRole(name string) *APIError {
	return &APIError{Status: 404, Code: "NoSuchEntity", Sender: true, Message: fmt.Sprintf("The role with name %s cannot be found.", name)}
}

func iamValidation(msg string) *APIError {
	return &APIError{Status: 400, Code: "ValidationError", Sender: true, Message: msg}
}

type listRolesResult struct {
	Roles       []roleXML `xml:"Roles>member"`
	IsTruncated bool      `xml:"IsTruncated"`
	Marker      string    `xml:"Marker,omitempty"`
}

func iamListRoles(s *Server, c *Call) (any, error) {
	a, err := s.iamAccount(c)
	if err != nil {
		return nil, err
	}
	maxItems := 100
	if v := c.Params.Get("MaxItems"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return nil, iamValidation(fmt.Sprintf("1 validation error detected: Value '%s' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000", v))
		}
		maxItems = n
	}
	prefix := c.Params.Get("PathPrefix")
	if prefix == "" {
		prefix = "/"
	}
	// IAM lists in name order; the marker names the first role of the next page, so a
	// role deleted between pages does not shift the listing.
	roles := make([]*world.Role, 0, len(a.IAM.Roles))
	for i := range a.IAM.Roles {
		if strings.HasPrefix(rolePath(&a.IAM.Roles[i]), prefix) {
			roles = append(roles, &a.IAM.Roles[i])
		}
	}
	slices.SortFunc(roles, func(x, y *world.Role) int { return strings.Compare(strings.ToLower(x.Name), strings.ToLower(y.Name)) })
	start := 0
	if m := c.Params.Get("Marker"); m != "" {
		raw, err := base64.RawURLEncoding.DecodeString(m)
		after, ok := strings.CutPrefix(string(raw), "role:")
		if err != nil || !ok {
			return nil, iamValidation("Invalid Marker.")
		}
		start, _ = slices.BinarySearchFunc(roles, after, func(r *world.Role, t string) int { return strings.Compare(strings.ToLower(r.Name), t) })
	}
	end := min(len(roles), start+maxItems)
	out := listRolesResult{Roles: make([]roleXML, 0, end-start)}
	for _, r := range roles[start:end] {
		out.Roles = append(out.Roles, s.roleXML(a.ID, r))
	}
	if end < len(roles) {
		out.IsTruncated = true
		out.Marker = base64.RawURLEncoding.EncodeToString([]byte("role:" + strings.ToLower(roles[end].Name)))
	}
	return out, nil
}

type getRoleResult struct {
	Role roleXML `xml:"Role"`
}

func iamGetRole(s *Server, c *Call) (any, error) {
	a, err := s.iamAccount(c)
	if err != nil {
		return nil, err
	}
	name := c.Params.Get("RoleName")
	if name == "" {
		return nil, iamValidation("1 validation error detected: Value null at 'roleName' failed to satisfy constraint: Member must not be null")
	}
	r := findRole(a, name)
	if r == nil {
		return nil, noSuchRole(name)
	}
	return getRoleResult{Role: s.roleXML(a.ID, r)}, nil
}

// checkTrustPolicy validates a trust policy as IAM does before storing it: JSON, the
// shape of a policy, and the size quota counted without white space.
func checkTrustPolicy(doc string) *APIError {
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(doc)); err != nil {
		return &APIError{Status: 400, Code: "MalformedPolicyDocument", Sender: true, Message: "This policy contains invalid Json"}
	}
	if n := countNonSpace(doc); n > trustPolicyMaxSize {
		return &APIError{Status: 409, Code: "LimitExceeded", Sender: true,
			Message: fmt.Sprintf("Cannot exceed quota for ACLSizePerRole: %d", trustPolicyMaxSize)}
	}
	if !strings.HasPrefix(strings.TrimSpace(doc), "{") {
		return &APIError{Status: 400, Code: "MalformedPolicyDocument", Sender: true, Message: "This policy contains invalid Json"}
	}
	d, err := policy.ParseString(doc)
	if err != nil {
		return &APIError{Status: 400, Code: "MalformedPolicyDocument", Sender: true, Message: "Syntax errors in policy. " + err.Error()}
	}
	for _, st := range d.Statements {
		if st.Principal == nil && st.NotPrincipal == nil {
			return &APIError{Status: 400, Code: "MalformedPolicyDocument", Sender: true, Message: "Missing required field Principal"}
		}
		if !st.HasAction && !st.HasNotAction {
			return &APIError{Status: 400, Code: "MalformedPolicyDocument", Sender: true, Message: "Missing required field Action"}
		}
		if st.HasResource {
			return &APIError{Status: 400, Code: "MalformedPolicyDocument", Sender: true, Message: "Has prohibited field Resource"}
		}
	}
	return nil
}

func countNonSpace(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\r':
		default:
			n++
		}
	}
	return n
}

func iamUpdateAssumeRolePolicy(s *Server, c *Call) (any, error) {
	a, err := s.iamAccount(c)
	if err != nil {
		return nil, err
	}
	name, doc := c.Params.Get("RoleName"), c.Params.Get("PolicyDocument")
	if name == "" || doc == "" {
		return nil, iamValidation("1 validation error detected: RoleName and PolicyDocument are required")
	}
	r := findRole(a, name)
	if r == nil {
		return nil, noSuchRole(name)
	}
	if e := checkTrustPolicy(doc); e != nil {
		return nil, e
	}
	r.AssumeRolePolicy = world.Policy(doc)
	return nil, nil
}

type createRoleResult struct {
	Role roleXML `xml:"Role"`
}

var rolePathRE = regexp.MustCompile(`^/([\x21-\x7e]*/)?$`)

func iamCreateRole(s *Server, c *Call) (any, error) {
	a, err := s.iamAccount(c)
	if err != nil {
		return nil, err
	}
	name, doc, path := c.Params.Get("RoleName"), c.Params.Get("AssumeRolePolicyDocument"), c.Params.Get("Path")
	if !roleNameRE.MatchString(name) {
		return nil, iamValidation(fmt.Sprintf("1 validation error detected: Value '%s' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+", name))
	}
	if path == "" {
		path = "/"
	}
	if !rolePathRE.MatchString(path) || len(path) > 512 {
		return nil, iamValidation(fmt.Sprintf("The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters: %s", path))
	}
	if doc == "" {
		return nil, iamValidation("1 validation error detected: Value null at 'assumeRolePolicyDocument' failed to satisfy constraint: Member must not be null")
	}
	if findRole(a, name) != nil {
		return nil, &APIError{Status: 409, Code: "EntityAlreadyExists", Sender: true, Message: fmt.Sprintf("Role with name %s already exists.", name)}
	}
	if e := checkTrustPolicy(doc); e != nil {
		return nil, e
	}
	role := world.Role{Name: name, AssumeRolePolicy: world.Policy(doc), Description: c.Params.Get("Description")}
	if path != "/" {
		role.Path = path
	}
	role.RoleID = stableID("AROA", a.ID+"/"+name+"/"+s.randomID(8))
	a.IAM.Roles = append(a.IAM.Roles, role)
	s.iamState().created[a.ID+"/"+strings.ToLower(name)] = time.Now()
	return createRoleResult{Role: s.roleXML(a.ID, &a.IAM.Roles[len(a.IAM.Roles)-1])}, nil
}

var roleNameRE = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)

func iamDeleteRole(s *Server, c *Call) (any, error) {
	a, err := s.iamAccount(c)
	if err != nil {
		return nil, err
	}
	name := c.Params.Get("RoleName")
	for i := range a.IAM.Roles {
		if strings.EqualFold(a.IAM.Roles[i].Name, name) {
			a.IAM.Roles = slices.Delete(a.IAM.Roles, i, i+1)
			delete(s.iamState().created, a.ID+"/"+strings.ToLower(name))
			return nil, nil
		}
	}
	return nil, noSuchRole(name)
}
