// Package world is the one schema for an AWS estate as trustaudit sees it: the simulator
// loads it to pretend to be AWS, and a scan saves what it collected in it (a snapshot), so a
// snapshot can be served back by the simulator or judged offline.
//
// Policies are kept as the exact text AWS returned; the file accepts a policy written as a
// JSON object for convenience and stores it as compact text.
package world

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"github.com/trustaudit/trustaudit/internal/finding"
)

// SchemaVersion is bumped on any change a reader of an older file would misread.
const SchemaVersion = 1

// World is an organization (optional) and its accounts.
type World struct {
	SchemaVersion int           `json:"schema_version"`
	Organization  *Organization `json:"organization,omitempty"`
	Accounts      []Account     `json:"accounts"`
	// Gaps are the reads that failed when a scan collected this world (a snapshot): judging
	// the snapshot offline must report them, or a partial scan would look clean. The
	// simulator ignores them.
	Gaps []finding.Gap `json:"gaps,omitempty"`
}

// Organization is the AWS Organization the accounts belong to: every account of the world is
// a member.
type Organization struct {
	ID                string `json:"id"`                 // o-xxxxxxxxxx
	ManagementAccount string `json:"management_account"` // 12-digit id, usually one of Accounts
	// Root is the id of the organization's root, r-[0-9a-z]{4,32}; "" means the world has no
	// OU tree (every account sits directly under a root whose id is derived: "r-" + first 4 chars after "o-").
	Root  string               `json:"root,omitempty"`
	Units []OrganizationalUnit `json:"units,omitempty"`
	// Members are the organization's accounts as an organization scan listed them, so that
	// judging its snapshot again trusts the same accounts (trust_organization, trusted OU
	// paths) even when the snapshot holds only some of them. The simulator does not read
	// them: it serves Accounts.
	Members []Member `json:"members,omitempty"`
}

// Member is one account of the organization. Path is its aws:PrincipalOrgPaths value when
// the scan walked the OU holding it, "" when it was only listed.
type Member struct {
	ID   string `json:"id"`
	Path string `json:"path,omitempty"`
}

// OrganizationalUnit is one OU; Parent is the root id or another OU's id.
type OrganizationalUnit struct {
	ID     string `json:"id"` // ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}
	Name   string `json:"name"`
	Parent string `json:"parent"`
}

// MaxOUDepth is how many levels of OUs AWS allows below the root.
const MaxOUDepth = 5

// RootID is the id of the organization's root. A world without an OU tree still has a root
// (AWS organizations always do), so its id is derived from the organization id and is stable.
func (o *Organization) RootID() string {
	if o.Root != "" {
		return o.Root
	}
	id := strings.TrimPrefix(o.ID, "o-")
	return "r-" + id[:min(4, len(id))]
}

// Unit returns the OU with the given id, or nil.
func (o *Organization) Unit(id string) *OrganizationalUnit {
	for i := range o.Units {
		if o.Units[i].ID == id {
			return &o.Units[i]
		}
	}
	return nil
}

// OrgPath is the account's aws:PrincipalOrgPaths value, e.g.
// o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-ab12-22222222/; an account directly under the root
// gives o-a1b2c3d4e5/r-ab12/. It is false when the world has no organization, the account is
// not in it, or (in a world that was not validated) the account's OU chain is broken.
func (w *World) OrgPath(accountID string) (string, bool) {
	a := w.Account(accountID)
	if w.Organization == nil || a == nil {
		return "", false
	}
	return w.Organization.pathOf(a.Parent)
}

// OUPath is the aws:PrincipalOrgPaths prefix of everything under the OU, e.g.
// o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/; false when there is no organization or no such OU.
func (w *World) OUPath(ouID string) (string, bool) {
	if w.Organization == nil || w.Organization.Unit(ouID) == nil {
		return "", false
	}
	return w.Organization.pathOf(ouID)
}

// pathOf walks from a node ("" or the root id for the root, else an OU id) up to the root.
// The walk is bounded, so a cycle in an unvalidated world ends in false, not a hang.
func (o *Organization) pathOf(node string) (string, bool) {
	root := o.RootID()
	var chain []string
	for node != "" && node != root {
		if len(chain) > len(o.Units) {
			return "", false
		}
		u := o.Unit(node)
		if u == nil {
			return "", false
		}
		chain = append(chain, u.ID)
		node = u.Parent
	}
	var b strings.Builder
	b.WriteString(o.ID + "/" + root + "/")
	for i := len(chain) - 1; i >= 0; i-- {
		b.WriteString(chain[i] + "/")
	}
	return b.String(), true
}

// Account is one AWS account.
type Account struct {
	ID    string `json:"id"`
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	// Status is the account's status in its organization as ListAccounts reports it:
	// "" (ACTIVE), SUSPENDED or PENDING_CLOSURE. An organization scan skips the accounts
	// that are not active: their roles cannot be assumed.
	Status string `json:"status,omitempty"`
	// Parent is the OU (or the root) the account sits in; "" means the root.
	Parent string `json:"parent,omitempty"`
	// AccessKeys map simulator credentials to this account; the simulator answers
	// GetCallerIdentity with the key's ARN. Secrets are never stored: any secret is accepted.
	AccessKeys []AccessKey `json:"access_keys,omitempty"`
	// Regions lists every region the account knows about, enabled or not (opt-in status).
	Regions []Region `json:"regions"`
	IAM     IAM      `json:"iam"`
	// Settings are account-wide settings named as the service names them, e.g. the S3
	// account public access block ("s3:BlockPublicPolicy": "true").
	Settings map[string]string `json:"settings,omitempty"`
}

// AccessKey maps an access key id to a caller in the account.
type AccessKey struct {
	ID  string `json:"id"`
	ARN string `json:"arn"`
}

// Opt-in statuses as account:ListRegions reports them.
const (
	OptInEnabledByDefault = "ENABLED_BY_DEFAULT"
	OptInEnabled          = "ENABLED"
	OptInDisabled         = "DISABLED"
)

// Region holds an account's regional resources.
type Region struct {
	Name string `json:"name"`
	// OptInStatus is ENABLED_BY_DEFAULT (the default when empty), ENABLED or DISABLED.
	OptInStatus     string           `json:"opt_in_status,omitempty"`
	SESIdentities   []SESIdentity    `json:"ses_identities,omitempty"`
	LambdaFunctions []LambdaFunction `json:"lambda_functions,omitempty"`
	LambdaLayers    []LambdaLayer    `json:"lambda_layers,omitempty"`
	// Resources holds the regional resources of every other kind in one shape (S3 buckets
	// live in their bucket region). Kind is the trustaudit kind name, e.g. "sqs-queue".
	Resources []Resource `json:"resources,omitempty"`
}

// Resource is a resource of a kind whose exposure is a policy document, a list of accounts
// it is shared with, grants, or a few settings. One shape for all of them keeps the schema
// (and the simulator's state) from growing a type per service; the kind that owns a
// resource says which fields it uses and what its Attributes mean.
type Resource struct {
	Kind string `json:"kind"`
	// Name is the identifier the service's API takes (queue name, key id, bucket name,
	// snapshot id, ...). ARN is the resource's ARN when the service has one.
	Name string `json:"name"`
	ARN  string `json:"arn,omitempty"`
	// Policy is the resource-based policy exactly as the service returns it.
	Policy Policy `json:"policy,omitempty"`
	// Shares lists who a sharing API lets in: 12-digit account ids, organization or OU
	// ARNs, or "all" for everyone (EBS createVolumePermission, AMI launchPermission, RDS
	// snapshot restore).
	Shares []string `json:"shares,omitempty"`
	// Grants are KMS grants or S3 ACL grants.
	Grants []Grant `json:"grants,omitempty"`
	// Attributes are kind-specific settings as strings (for example an S3 bucket's public
	// access block flags), named as the service names them.
	Attributes map[string]string `json:"attributes,omitempty"`
}

// Grant is a KMS grant or an S3 ACL grant. Grantee is an account id, an IAM ARN, a
// canonical user id, or a group URI (http://acs.amazonaws.com/groups/global/AllUsers).
type Grant struct {
	ID          string   `json:"id,omitempty"`
	Grantee     string   `json:"grantee"`
	GranteeType string   `json:"grantee_type,omitempty"` // S3: CanonicalUser, Group, AmazonCustomerByEmail
	Permissions []string `json:"permissions"`            // S3: READ, WRITE, FULL_CONTROL...; KMS: operations
}

// Enabled reports whether the region can be called.
func (r Region) Enabled() bool { return r.OptInStatus != OptInDisabled }

// IAM holds the account's global IAM resources.
type IAM struct {
	Roles []Role `json:"roles,omitempty"`
}

// Role is an IAM role and its trust policy.
type Role struct {
	Name             string `json:"name"`
	Path             string `json:"path,omitempty"` // "/" when empty
	RoleID           string `json:"role_id,omitempty"`
	AssumeRolePolicy Policy `json:"assume_role_policy"`
	Description      string `json:"description,omitempty"`
}

// SES identity types as SES v1 ListIdentities names them.
const (
	SESEmailAddress = "EmailAddress"
	SESDomain       = "Domain"
)

// SESIdentity is a verified SES identity with its sending-authorization policies.
type SESIdentity struct {
	Identity string            `json:"identity"`
	Type     string            `json:"type"` // EmailAddress or Domain
	Policies map[string]Policy `json:"policies,omitempty"`
}

// LambdaFunction is a function with its unqualified ($LATEST) policy, published versions and
// aliases, each of which can carry a policy of its own.
type LambdaFunction struct {
	Name       string          `json:"name"`
	Runtime    string          `json:"runtime,omitempty"`
	Policy     Policy          `json:"policy,omitempty"`
	RevisionID string          `json:"revision_id,omitempty"`
	Versions   []LambdaVersion `json:"versions,omitempty"`
	Aliases    []LambdaAlias   `json:"aliases,omitempty"`
}

// LambdaVersion is a published version ("1", "2", ...).
type LambdaVersion struct {
	Version string `json:"version"`
	Policy  Policy `json:"policy,omitempty"`
}

// LambdaAlias points at a version and can carry its own policy.
type LambdaAlias struct {
	Name            string `json:"name"`
	FunctionVersion string `json:"function_version"`
	Policy          Policy `json:"policy,omitempty"`
}

// LambdaLayer is a layer and its versions.
type LambdaLayer struct {
	Name     string         `json:"name"`
	Versions []LayerVersion `json:"versions"`
}

// LayerVersion is one layer version and its policy.
type LayerVersion struct {
	Version int64  `json:"version"`
	Policy  Policy `json:"policy,omitempty"`
}

// Policy is a policy document exactly as AWS returned it ("" when there is none). In a file
// it is a JSON string; a JSON object is accepted too and kept as compact text.
type Policy string

func (p Policy) MarshalJSON() ([]byte, error) { return json.Marshal(string(p)) }

func (p *Policy) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*p = Policy(s)
	case len(b) > 0 && b[0] == '{':
		var buf bytes.Buffer
		if err := json.Compact(&buf, b); err != nil {
			return err
		}
		*p = Policy(buf.String())
	case string(b) == "null":
		*p = ""
	default:
		return errors.New("expected a policy document as a JSON object or string")
	}
	return nil
}

// Load reads and validates a world file.
func Load(path string) (*World, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read world: %w", err)
	}
	return Parse(path, data)
}

// Parse decodes and validates a world; name is used in error messages (a file path).
// Unknown fields are errors, so a typo never silently drops resources.
func Parse(name string, data []byte) (*World, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var w World
	if err := dec.Decode(&w); err != nil {
		return nil, fmt.Errorf("%s: %s", name, describeJSONError(data, err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%s: unexpected data after the world object", name)
	}
	if err := w.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &w, nil
}

func describeJSONError(data []byte, err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		// The offset is just past the offending byte; name the byte itself.
		line, col := lineCol(data, max(0, syn.Offset-1))
		return fmt.Sprintf("line %d, column %d: invalid JSON: %v", line, col, syn)
	case errors.As(err, &typ):
		line, col := lineCol(data, typ.Offset)
		return fmt.Sprintf("line %d, column %d: field %q: expected %s, found JSON %s", line, col, typ.Field, typ.Type, typ.Value)
	}
	if strings.HasPrefix(err.Error(), "json: unknown field ") {
		// encoding/json does not say where the field is; find it by walking the document
		// along the schema, so a typo in a large world file is found by its line.
		if u, ok := findUnknownField(data, reflect.TypeFor[World]()); ok {
			line, col := lineCol(data, u.off)
			return fmt.Sprintf("line %d, column %d: unknown field %q (expected one of %s)", line, col, u.key, strings.Join(u.known, ", "))
		}
	}
	return err.Error()
}

type unknownField struct {
	key   string
	off   int64
	known []string
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// findUnknownField returns the first object key in data that t has no field for.
func findUnknownField(data []byte, t reflect.Type) (unknownField, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	u, found, err := walkUnknown(dec, data, t)
	return u, found && err == nil
}

func walkUnknown(dec *json.Decoder, data []byte, t reflect.Type) (unknownField, bool, error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	tok, err := dec.Token()
	if err != nil {
		return unknownField{}, false, err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return unknownField{}, false, nil
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return unknownField{}, false, skipRest(dec)
	}
	switch {
	case d == '{' && t.Kind() == reflect.Struct:
		for dec.More() {
			keyStart := dec.InputOffset()
			k, err := dec.Token()
			if err != nil {
				return unknownField{}, false, err
			}
			key, _ := k.(string)
			f, ok := jsonField(t, key)
			if !ok {
				// The offset before the key token may sit on the comma before it.
				off := keyStart + int64(max(0, bytes.IndexByte(data[keyStart:], '"')))
				return unknownField{key: key, off: off, known: jsonFields(t)}, true, nil
			}
			if u, found, err := walkUnknown(dec, data, f.Type); found || err != nil {
				return u, found, err
			}
		}
	case d == '{' && t.Kind() == reflect.Map:
		for dec.More() {
			if _, err := dec.Token(); err != nil {
				return unknownField{}, false, err
			}
			if u, found, err := walkUnknown(dec, data, t.Elem()); found || err != nil {
				return u, found, err
			}
		}
	case d == '[' && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array):
		for dec.More() {
			if u, found, err := walkUnknown(dec, data, t.Elem()); found || err != nil {
				return u, found, err
			}
		}
	default:
		return unknownField{}, false, skipRest(dec)
	}
	_, err = dec.Token() // the closing delimiter
	return unknownField{}, false, err
}

// skipRest consumes the rest of a value whose opening delimiter was read.
func skipRest(dec *json.Decoder) error {
	for depth := 1; depth > 0; {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
	}
	return nil
}

func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "" {
		return f.Name
	}
	return name
}

// jsonField finds the field encoding/json would decode key into (names match
// case-insensitively, as encoding/json matches them).
func jsonField(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if f.IsExported() && f.Tag.Get("json") != "-" && strings.EqualFold(jsonName(f), key) {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func jsonFields(t reflect.Type) []string {
	var names []string
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() && f.Tag.Get("json") != "-" {
			names = append(names, jsonName(f))
		}
	}
	return names
}

func lineCol(data []byte, off int64) (int, int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}

var (
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
	orgRE     = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	regionRE  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	roleRE    = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	lambdaRE  = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)
	versionRE = regexp.MustCompile(`^[0-9]+$`)
	aliasRE   = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_-]{0,127}$`)
	kindRE    = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	rootRE    = regexp.MustCompile(`^r-[0-9a-z]{4,32}$`)
	ouRE      = regexp.MustCompile(`^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$`)
)

// IsParentID reports whether id has the shape of a root or OU id, the parents an
// organization's accounts sit in.
func IsParentID(id string) bool { return rootRE.MatchString(id) || ouRE.MatchString(id) }

// Validate checks the world's invariants and names the first place that breaks one, as a
// JSON path (accounts[1].regions[0].lambda_functions[2].name).
func (w *World) Validate() error {
	if w.SchemaVersion != SchemaVersion {
		return fmt.Errorf("schema_version: expected %d, found %d", SchemaVersion, w.SchemaVersion)
	}
	// A shard of an organization scan can hold no account (more shards than accounts);
	// anything else without accounts is a mistake.
	if len(w.Accounts) == 0 && w.Organization == nil {
		return errors.New("accounts: expected at least one account")
	}
	seenAcct := map[string]bool{}
	seenKey := map[string]bool{}
	for i, a := range w.Accounts {
		at := fmt.Sprintf("accounts[%d]", i)
		switch a.Status {
		case "", "ACTIVE", "SUSPENDED", "PENDING_CLOSURE":
		default:
			return fmt.Errorf("%s.status: expected ACTIVE, SUSPENDED or PENDING_CLOSURE, found %q", at, a.Status)
		}
		if !accountRE.MatchString(a.ID) {
			return fmt.Errorf("%s.id: expected a 12-digit account id, found %q", at, a.ID)
		}
		if seenAcct[a.ID] {
			return fmt.Errorf("%s.id: account %s appears twice", at, a.ID)
		}
		seenAcct[a.ID] = true
		for k, key := range a.AccessKeys {
			kt := fmt.Sprintf("%s.access_keys[%d]", at, k)
			if key.ID == "" {
				return fmt.Errorf("%s.id: expected an access key id", kt)
			}
			if seenKey[key.ID] {
				return fmt.Errorf("%s.id: access key %s appears twice", kt, key.ID)
			}
			seenKey[key.ID] = true
			if !strings.HasPrefix(key.ARN, "arn:") || !strings.Contains(key.ARN, ":"+a.ID+":") {
				return fmt.Errorf("%s.arn: expected an IAM ARN in account %s, found %q", kt, a.ID, key.ARN)
			}
		}
		if err := validateIAM(at+".iam", a.IAM); err != nil {
			return err
		}
		seenRegion := map[string]bool{}
		for j, r := range a.Regions {
			if err := validateRegion(fmt.Sprintf("%s.regions[%d]", at, j), r, seenRegion); err != nil {
				return err
			}
		}
	}
	if o := w.Organization; o != nil {
		if !orgRE.MatchString(o.ID) {
			return fmt.Errorf("organization.id: expected an organization id like o-a1b2c3d4e5, found %q", o.ID)
		}
		// A snapshot of part of an organization (a shard, --ous) need not hold its management
		// account; the simulator then lets no account list the organization.
		if !accountRE.MatchString(o.ManagementAccount) {
			return fmt.Errorf("organization.management_account: expected a 12-digit account id, found %q", o.ManagementAccount)
		}
		if err := validateTree(o); err != nil {
			return err
		}
		for i, m := range o.Members {
			if !accountRE.MatchString(m.ID) {
				return fmt.Errorf("organization.members[%d].id: expected a 12-digit account id, found %q", i, m.ID)
			}
			if m.Path != "" && (!strings.HasPrefix(m.Path, o.ID+"/") || !strings.HasSuffix(m.Path, "/")) {
				return fmt.Errorf("organization.members[%d].path: expected the account's OU path, %s/r-.../ou-.../, found %q", i, o.ID, m.Path)
			}
		}
	}
	for i, a := range w.Accounts {
		if a.Parent == "" {
			continue
		}
		at := fmt.Sprintf("accounts[%d].parent", i)
		o := w.Organization
		if o == nil {
			return fmt.Errorf("%s: the world has no organization, so an account has no parent; found %q", at, a.Parent)
		}
		if a.Parent != o.RootID() && o.Unit(a.Parent) == nil {
			return fmt.Errorf("%s: expected the root (%s) or one of organization.units' ids, found %q", at, o.RootID(), a.Parent)
		}
	}
	return nil
}

// validateTree checks the OU tree: ids of AWS's shapes, every parent present, no cycle, and
// no deeper than AWS allows (a scan trusting an OU path must be able to trust the tree).
func validateTree(o *Organization) error {
	if o.Root != "" && !rootRE.MatchString(o.Root) {
		return fmt.Errorf("organization.root: expected a root id like r-ab12 (r- and 4-32 lower-case letters or digits), found %q", o.Root)
	}
	root := o.RootID()
	index := map[string]int{}
	for i, u := range o.Units {
		ut := fmt.Sprintf("organization.units[%d]", i)
		if !ouRE.MatchString(u.ID) {
			return fmt.Errorf("%s.id: expected an OU id like ou-ab12-11111111 (pattern ^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$), found %q", ut, u.ID)
		}
		if _, dup := index[u.ID]; dup {
			return fmt.Errorf("%s.id: OU %s appears twice", ut, u.ID)
		}
		index[u.ID] = i
		if u.Name == "" || len(u.Name) > 128 {
			return fmt.Errorf("%s.name: expected an OU name of 1-128 characters, found %q", ut, u.Name)
		}
	}
	for i, u := range o.Units {
		ut := fmt.Sprintf("organization.units[%d]", i)
		if _, ok := index[u.Parent]; u.Parent != root && !ok {
			return fmt.Errorf("%s.parent: expected the root (%s) or one of the units' ids, found %q", ut, root, u.Parent)
		}
	}
	for i, u := range o.Units {
		ut := fmt.Sprintf("organization.units[%d]", i)
		// Every parent exists, so walking up either reaches the root or comes back round.
		chain := []string{u.ID}
		for p := u.Parent; p != root; p = o.Units[index[p]].Parent {
			chain = append(chain, p)
			if p == u.ID {
				return fmt.Errorf("%s.parent: OU %s is its own ancestor (%s)", ut, u.ID, strings.Join(chain, " -> "))
			}
			if len(chain) > len(o.Units) {
				break // u hangs below a cycle of other units; that cycle is reported at its own units
			}
		}
		if len(chain) > len(o.Units) {
			continue
		}
		if len(chain) > MaxOUDepth {
			return fmt.Errorf("%s.parent: OU %s would be %d levels below the root; AWS allows at most %d", ut, u.ID, len(chain), MaxOUDepth)
		}
	}
	return nil
}

func validateIAM(at string, iam IAM) error {
	seen := map[string]bool{}
	for i, r := range iam.Roles {
		rt := fmt.Sprintf("%s.roles[%d]", at, i)
		if !roleRE.MatchString(r.Name) {
			return fmt.Errorf("%s.name: expected a role name of 1-64 characters [\\w+=,.@-], found %q", rt, r.Name)
		}
		if seen[strings.ToLower(r.Name)] {
			return fmt.Errorf("%s.name: role %q appears twice (IAM names are case-insensitive)", rt, r.Name)
		}
		seen[strings.ToLower(r.Name)] = true
		if r.Path != "" && (!strings.HasPrefix(r.Path, "/") || !strings.HasSuffix(r.Path, "/")) {
			return fmt.Errorf("%s.path: expected a path that starts and ends with /, found %q", rt, r.Path)
		}
		if r.AssumeRolePolicy == "" {
			return fmt.Errorf("%s.assume_role_policy: expected a trust policy (every role has one)", rt)
		}
	}
	return nil
}

func validateRegion(at string, r Region, seen map[string]bool) error {
	if !regionRE.MatchString(r.Name) {
		return fmt.Errorf("%s.name: expected a region name like us-east-1, found %q", at, r.Name)
	}
	if seen[r.Name] {
		return fmt.Errorf("%s.name: region %s appears twice", at, r.Name)
	}
	seen[r.Name] = true
	switch r.OptInStatus {
	case "", OptInEnabledByDefault, OptInEnabled, OptInDisabled:
	default:
		return fmt.Errorf("%s.opt_in_status: expected ENABLED_BY_DEFAULT, ENABLED or DISABLED, found %q", at, r.OptInStatus)
	}
	if !r.Enabled() && (len(r.SESIdentities)+len(r.LambdaFunctions)+len(r.LambdaLayers)+len(r.Resources) > 0) {
		return fmt.Errorf("%s: a DISABLED region cannot hold resources", at)
	}
	ids := map[string]bool{}
	for i, id := range r.SESIdentities {
		it := fmt.Sprintf("%s.ses_identities[%d]", at, i)
		if id.Identity == "" {
			return fmt.Errorf("%s.identity: expected an email address or domain", it)
		}
		if ids[strings.ToLower(id.Identity)] {
			return fmt.Errorf("%s.identity: %q appears twice", it, id.Identity)
		}
		ids[strings.ToLower(id.Identity)] = true
		switch id.Type {
		case SESEmailAddress:
			if !strings.Contains(id.Identity, "@") {
				return fmt.Errorf("%s.identity: an EmailAddress identity needs an @, found %q", it, id.Identity)
			}
		case SESDomain:
			if strings.Contains(id.Identity, "@") {
				return fmt.Errorf("%s.identity: a Domain identity has no @, found %q", it, id.Identity)
			}
		default:
			return fmt.Errorf("%s.type: expected EmailAddress or Domain, found %q", it, id.Type)
		}
		if len(id.Policies) > 20 {
			return fmt.Errorf("%s.policies: an identity holds at most 20 policies, found %d", it, len(id.Policies))
		}
		for _, name := range sortedKeys(id.Policies) {
			if name == "" || len(name) > 64 {
				return fmt.Errorf("%s.policies: policy name %q: expected 1-64 characters", it, name)
			}
			if id.Policies[name] == "" {
				return fmt.Errorf("%s.policies[%q]: expected a policy document", it, name)
			}
		}
	}
	fns := map[string]bool{}
	for i, f := range r.LambdaFunctions {
		ft := fmt.Sprintf("%s.lambda_functions[%d]", at, i)
		if !lambdaRE.MatchString(f.Name) {
			return fmt.Errorf("%s.name: expected a function name of 1-64 characters [a-zA-Z0-9_-], found %q", ft, f.Name)
		}
		if fns[f.Name] {
			return fmt.Errorf("%s.name: function %q appears twice", ft, f.Name)
		}
		fns[f.Name] = true
		vers := map[string]bool{}
		for j, v := range f.Versions {
			if !versionRE.MatchString(v.Version) || v.Version == "0" {
				return fmt.Errorf("%s.versions[%d].version: expected a published version number, found %q", ft, j, v.Version)
			}
			if vers[v.Version] {
				return fmt.Errorf("%s.versions[%d].version: version %s appears twice", ft, j, v.Version)
			}
			vers[v.Version] = true
		}
		aliases := map[string]bool{}
		for j, a := range f.Aliases {
			if !aliasRE.MatchString(a.Name) || versionRE.MatchString(a.Name) {
				return fmt.Errorf("%s.aliases[%d].name: expected an alias name that starts with a letter, found %q", ft, j, a.Name)
			}
			if aliases[a.Name] {
				return fmt.Errorf("%s.aliases[%d].name: alias %q appears twice", ft, j, a.Name)
			}
			aliases[a.Name] = true
			if a.FunctionVersion != "$LATEST" && !vers[a.FunctionVersion] {
				return fmt.Errorf("%s.aliases[%d].function_version: expected $LATEST or one of the function's versions, found %q", ft, j, a.FunctionVersion)
			}
		}
	}
	res := map[string]bool{}
	for i, x := range r.Resources {
		xt := fmt.Sprintf("%s.resources[%d]", at, i)
		if !kindRE.MatchString(x.Kind) {
			return fmt.Errorf("%s.kind: expected a kind name like sqs-queue, found %q", xt, x.Kind)
		}
		if x.Name == "" {
			return fmt.Errorf("%s.name: expected the resource's name or id", xt)
		}
		if res[x.Kind+"\x00"+x.Name] {
			return fmt.Errorf("%s.name: %s %q appears twice", xt, x.Kind, x.Name)
		}
		res[x.Kind+"\x00"+x.Name] = true
		if x.ARN != "" && !strings.HasPrefix(x.ARN, "arn:") {
			return fmt.Errorf("%s.arn: expected an ARN, found %q", xt, x.ARN)
		}
		for j, g := range x.Grants {
			if g.Grantee == "" {
				return fmt.Errorf("%s.grants[%d].grantee: expected an account, ARN, canonical id or group URI", xt, j)
			}
		}
	}
	layers := map[string]bool{}
	for i, l := range r.LambdaLayers {
		lt := fmt.Sprintf("%s.lambda_layers[%d]", at, i)
		if !lambdaRE.MatchString(l.Name) {
			return fmt.Errorf("%s.name: expected a layer name of 1-64 characters [a-zA-Z0-9_-], found %q", lt, l.Name)
		}
		if layers[l.Name] {
			return fmt.Errorf("%s.name: layer %q appears twice", lt, l.Name)
		}
		layers[l.Name] = true
		if len(l.Versions) == 0 {
			return fmt.Errorf("%s.versions: expected at least one layer version", lt)
		}
		vs := map[int64]bool{}
		for j, v := range l.Versions {
			if v.Version < 1 || vs[v.Version] {
				return fmt.Errorf("%s.versions[%d].version: expected a unique version number >= 1, found %d", lt, j, v.Version)
			}
			vs[v.Version] = true
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Account returns the account with the given id, or nil.
func (w *World) Account(id string) *Account {
	for i := range w.Accounts {
		if w.Accounts[i].ID == id {
			return &w.Accounts[i]
		}
	}
	return nil
}
