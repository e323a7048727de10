// Package config reads trustaudit.yaml: the trust boundary, the regions and kinds to scan, and
// the suppressions a team has reviewed. It is strict because a typo in a trust boundary or a
// suppression silently changes what a scan reports: every unknown field and invalid value is
// an error naming the file and line.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"

	"github.com/trustaudit/trustaudit/internal/access"
	"github.com/trustaudit/trustaudit/internal/kinds"
)

// FileName is the config file looked for in the working directory.
const FileName = "trustaudit.yaml"

// Config is trustaudit.yaml after validation.
type Config struct {
	// Path is the file it was read from ("" when no file was used).
	Path            string
	TrustedAccounts []string
	TrustedOrgs     []string
	// TrustedOUPaths trusts every account under these OU paths (trusted_ou_paths), each
	// normalised to end in "/" as AWS writes aws:PrincipalOrgPaths values.
	TrustedOUPaths []string
	// TrustOrganization trusts the organization an organization scan lists, and all of its
	// accounts, without naming them (trust_organization: true).
	TrustOrganization bool
	Regions           []string
	Kinds             []string
	Suppressions      []Suppression
}

// Suppression hides findings a team has reviewed and accepted. It always carries a reason so
// that the report can say why a grant is tolerated, and may expire so that acceptance is
// revisited.
type Suppression struct {
	Kind string
	// Resource is an ARN pattern: * matches any run of characters (including : and /), ?
	// exactly one.
	Resource string
	// Principal, when set, limits the suppression to findings whose outsiders all match it:
	// a 12-digit account id or an ARN pattern.
	Principal string
	Reason    string
	// Expires is the first day (UTC) on which the suppression no longer applies; zero means
	// never.
	Expires time.Time
	// Line is where the suppression starts in the file, for messages.
	Line int
}

// Find returns the config file in dir, if there is one.
func Find(dir string) (path string, ok bool) {
	p := filepath.Join(dir, FileName)
	st, err := os.Stat(p)
	if err != nil || st.IsDir() {
		return "", false
	}
	return p, true
}

// Load reads and validates a config file.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(path, data)
}

// scalar is a YAML scalar with the line it came from, so that validation after decoding can
// still point at the line. Its text is the literal source text: an unquoted account id such
// as 012345678901 keeps its leading zero instead of becoming a number.
type scalar struct {
	Value string
	Line  int
	set   bool
}

func (s *scalar) UnmarshalYAML(node ast.Node) error {
	s.Line = node.GetToken().Position.Line
	s.set = true
	switch n := node.(type) {
	case *ast.StringNode:
		s.Value = n.Value
	case *ast.NullNode:
		s.Value = ""
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		s.Value = node.GetToken().Value
	case *ast.LiteralNode:
		s.Value = strings.TrimSpace(n.Value.Value)
	default:
		return &lineError{line: s.Line, msg: fmt.Sprintf("expected a single value, found a %s", nodeTypeName(node))}
	}
	return nil
}

func nodeTypeName(n ast.Node) string {
	switch n.Type() {
	case ast.MappingType, ast.MappingValueType:
		return "mapping"
	case ast.SequenceType:
		return "list"
	default:
		return strings.ToLower(n.Type().String())
	}
}

type rawSuppression struct {
	Kind      scalar `yaml:"kind"`
	Resource  scalar `yaml:"resource"`
	Principal scalar `yaml:"principal"`
	Reason    scalar `yaml:"reason"`
	Expires   scalar `yaml:"expires"`
	line      int
}

func (r *rawSuppression) UnmarshalYAML(node ast.Node) error {
	r.line = node.GetToken().Position.Line
	if m, ok := node.(*ast.MappingNode); ok && len(m.Values) > 0 {
		r.line = m.Values[0].Key.GetToken().Position.Line
	}
	type plain rawSuppression
	var p plain
	if err := yaml.NodeToValue(node, &p, yaml.DisallowUnknownField()); err != nil {
		return err
	}
	line := r.line
	*r = rawSuppression(p)
	r.line = line
	return nil
}

type rawConfig struct {
	TrustedAccounts []scalar         `yaml:"trusted_accounts"`
	TrustedOrgs     []scalar         `yaml:"trusted_orgs"`
	TrustedOUPaths  []scalar         `yaml:"trusted_ou_paths"`
	TrustOrg        bool             `yaml:"trust_organization"`
	Regions         []scalar         `yaml:"regions"`
	Kinds           []scalar         `yaml:"kinds"`
	Suppressions    []rawSuppression `yaml:"suppressions"`
}

var fieldNames = "trusted_accounts, trusted_orgs, trusted_ou_paths, trust_organization, regions, kinds, suppressions"

// lineError is a problem at a line of the file.
type lineError struct {
	line int
	msg  string
}

func (e *lineError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

// Parse decodes and validates a config; name (a path) prefixes every error.
func Parse(name string, data []byte) (*Config, error) {
	var raw rawConfig
	if len(bytes.TrimSpace(data)) > 0 {
		if err := yaml.UnmarshalWithOptions(data, &raw, yaml.DisallowUnknownField()); err != nil {
			return nil, decodeError(name, err)
		}
	}
	c := &Config{Path: name, TrustOrganization: raw.TrustOrg}
	var err error
	at := func(line int, field string, e error) error {
		return fmt.Errorf("%s:%d: %s: %w", name, line, field, e)
	}
	if c.TrustedAccounts, err = values(raw.TrustedAccounts, "trusted_accounts", CheckTrustedAccount, at); err != nil {
		return nil, err
	}
	if c.TrustedOrgs, err = values(raw.TrustedOrgs, "trusted_orgs", CheckOrg, at); err != nil {
		return nil, err
	}
	// Paths are compared in their normal form, so that o-x/r-1 and o-x/r-1/ are one entry.
	for i, it := range raw.TrustedOUPaths {
		if n, err := access.ParseOrgPath(it.Value); err == nil {
			raw.TrustedOUPaths[i].Value = n
		}
	}
	if c.TrustedOUPaths, err = values(raw.TrustedOUPaths, "trusted_ou_paths", CheckOUPath, at); err != nil {
		return nil, err
	}
	if c.Regions, err = values(raw.Regions, "regions", CheckRegion, at); err != nil {
		return nil, err
	}
	if c.Kinds, err = values(raw.Kinds, "kinds", CheckKind, at); err != nil {
		return nil, err
	}
	for i, rs := range raw.Suppressions {
		s, err := suppression(rs, fmt.Sprintf("suppressions[%d]", i), at)
		if err != nil {
			return nil, err
		}
		c.Suppressions = append(c.Suppressions, s)
	}
	return c, nil
}

func values(items []scalar, field string, check func(string) error, at func(int, string, error) error) ([]string, error) {
	out := make([]string, 0, len(items))
	seen := map[string]int{}
	for i, it := range items {
		f := fmt.Sprintf("%s[%d]", field, i)
		if err := check(it.Value); err != nil {
			return nil, at(it.Line, f, err)
		}
		if prev, dup := seen[it.Value]; dup {
			return nil, at(it.Line, f, fmt.Errorf("%q already given at %s[%d]", it.Value, field, prev))
		}
		seen[it.Value] = i
		out = append(out, it.Value)
	}
	return out, nil
}

func suppression(rs rawSuppression, field string, at func(int, string, error) error) (Suppression, error) {
	s := Suppression{
		Kind:      rs.Kind.Value,
		Resource:  rs.Resource.Value,
		Principal: rs.Principal.Value,
		Reason:    strings.TrimSpace(rs.Reason.Value),
		Line:      rs.line,
	}
	// A missing field has no line of its own: point at the suppression.
	lineOf := func(v scalar) int {
		if v.set {
			return v.Line
		}
		return rs.line
	}
	if err := checkRuleKind(s.Kind); err != nil {
		return s, at(lineOf(rs.Kind), field+".kind", err)
	}
	if err := checkResourcePattern(s.Resource); err != nil {
		return s, at(lineOf(rs.Resource), field+".resource", err)
	}
	if rs.Principal.set {
		if err := checkPrincipalPattern(s.Principal); err != nil {
			return s, at(lineOf(rs.Principal), field+".principal", err)
		}
	}
	if s.Reason == "" {
		return s, at(lineOf(rs.Reason), field+".reason", errors.New("expected the reason this access is accepted (required)"))
	}
	if rs.Expires.set {
		t, err := time.Parse(time.DateOnly, rs.Expires.Value)
		if err != nil {
			return s, at(lineOf(rs.Expires), field+".expires", fmt.Errorf("expected a date YYYY-MM-DD, found %q", rs.Expires.Value))
		}
		s.Expires = t
	}
	return s, nil
}

// decodeError turns a YAML decoding error into "file:line: message".
func decodeError(name string, err error) error {
	var le *lineError
	if errors.As(err, &le) {
		return fmt.Errorf("%s:%d: %s", name, le.line, le.msg)
	}
	var ue *yaml.UnknownFieldError
	if errors.As(err, &ue) && ue.Token != nil {
		return fmt.Errorf("%s:%d: %s (expected one of %s; suppressions take kind, resource, principal, reason, expires)",
			name, ue.Token.Position.Line, ue.GetMessage(), fieldNames)
	}
	var ye yaml.Error
	if errors.As(err, &ye) && ye.GetToken() != nil {
		return fmt.Errorf("%s:%d: %s", name, ye.GetToken().Position.Line, ye.GetMessage())
	}
	return fmt.Errorf("%s: %w", name, err)
}

var (
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
	regionRE  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	arnPatRE  = regexp.MustCompile(`^arn:[a-z*?-]*:`)
)

// CheckTrustedAccount accepts what a trusted account may be written as: a 12-digit account id
// or an IAM/STS ARN in that account. The access engine decides, so that the file accepts
// exactly what the boundary understands.
func CheckTrustedAccount(v string) error {
	if _, err := access.ParseTrustedAccount(v); err != nil {
		return fmt.Errorf("expected a 12-digit account id or an IAM ARN, found %q", v)
	}
	return nil
}

// CheckOrg accepts an AWS Organizations id, as the access engine's boundary does.
func CheckOrg(v string) error {
	if _, err := access.NewBoundary(nil, []string{v}); err != nil {
		return fmt.Errorf("expected an organization id like o-a1b2c3d4e5, found %q", v)
	}
	return nil
}

// CheckOUPath accepts a trusted OU path as the access engine's boundary does
// (o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/, trailing slash optional, no wildcard); its error
// says which segment is wrong.
func CheckOUPath(v string) error {
	_, err := access.ParseOrgPath(v)
	return err
}

// CheckRegion accepts a region name.
func CheckRegion(v string) error {
	if regionRE.MatchString(v) {
		return nil
	}
	return fmt.Errorf("expected a region name like us-east-1, found %q", v)
}

// CheckKind accepts a kind trustaudit can scan: one registered in internal/kinds.
func CheckKind(v string) error {
	if _, err := kinds.Get(v); err != nil {
		return fmt.Errorf("expected one of %s, found %q", strings.Join(kinds.Names(), ", "), v)
	}
	return nil
}

// checkRuleKind accepts any kind the access engine has rules for: a suppression may be
// written ahead of a kind's scanner.
func checkRuleKind(v string) error {
	if _, err := access.ParseKind(v); err != nil {
		names := make([]string, 0, len(access.Kinds()))
		for _, k := range access.Kinds() {
			names = append(names, string(k))
		}
		return fmt.Errorf("expected one of %s, found %q", strings.Join(names, ", "), v)
	}
	return nil
}

func checkResourcePattern(v string) error {
	if v == "" {
		return errors.New("expected an ARN pattern such as arn:aws:lambda:*:111122223333:function:public-* (required)")
	}
	if !arnPatRE.MatchString(v) {
		return fmt.Errorf("expected an ARN pattern starting with arn:, found %q", v)
	}
	return nil
}

func checkPrincipalPattern(v string) error {
	if accountRE.MatchString(v) || arnPatRE.MatchString(v) {
		return nil
	}
	return fmt.Errorf("expected a 12-digit account id or an ARN pattern, found %q", v)
}
