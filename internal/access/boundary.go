package access

import (
	"fmt"
	"slices"
	"strings"

	"github.com/trustaudit/trustaudit/internal/finding"
)

// Boundary is the set of accounts, organizations and organizational-unit subtrees the user
// trusts. The owner of the resource under evaluation is trusted as well, but it is passed per
// evaluation because one boundary serves every account of a scan.
type Boundary struct {
	accounts []string // sorted, unique, 12-digit ids
	orgs     []string // sorted, unique
	paths    []string // sorted, unique OU paths in ParseOrgPath's form
}

// NewBoundary validates the trusted accounts (12-digit ids, or IAM/STS ARNs, which name their
// account) and organization ids. Entries are reported one by one so that a typo in a long
// list is easy to find.
func NewBoundary(accounts, orgs []string) (Boundary, error) {
	var b Boundary
	for _, a := range accounts {
		id, err := ParseTrustedAccount(a)
		if err != nil {
			return Boundary{}, err
		}
		b.accounts = append(b.accounts, id)
	}
	for _, o := range orgs {
		o = strings.TrimSpace(o)
		if !isOrgID(o) {
			return Boundary{}, fmt.Errorf("trusted organization %q: expected an organization id such as o-a1b2c3d4e5 (\"o-\" and 10 to 32 lower-case letters or digits)", o)
		}
		b.orgs = append(b.orgs, o)
	}
	slices.Sort(b.accounts)
	b.accounts = slices.Compact(b.accounts)
	slices.Sort(b.orgs)
	b.orgs = slices.Compact(b.orgs)
	return b, nil
}

// With is b trusting more accounts and organizations too: an organization scan adds the
// organization it lists and its accounts to the configured boundary. The trusted OU paths
// are kept.
func (b Boundary) With(accounts, orgs []string) (Boundary, error) {
	nb, err := NewBoundary(append(b.Accounts(), accounts...), append(b.Orgs(), orgs...))
	if err != nil {
		return Boundary{}, err
	}
	nb.paths = b.OrgPaths()
	return nb, nil
}

// WithOrgPaths is b trusting the accounts under the given OU paths too (written as AWS
// writes aws:PrincipalOrgPaths values, see ParseOrgPath). A bad path is an error naming it.
func (b Boundary) WithOrgPaths(paths []string) (Boundary, error) {
	nb := b
	nb.paths = b.OrgPaths()
	for _, p := range paths {
		n, err := ParseOrgPath(p)
		if err != nil {
			return Boundary{}, err
		}
		nb.paths = append(nb.paths, n)
	}
	slices.Sort(nb.paths)
	nb.paths = slices.Compact(nb.paths)
	return nb, nil
}

// orgPathShape is shown in every OU path error so that the fix is evident from the message.
const orgPathShape = "expected an OU path such as o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ (an organization id, a root id r-..., then zero or more OU ids ou-..., each followed by /)"

// ParseOrgPath reads one trusted OU path, as AWS writes aws:PrincipalOrgPaths values:
// o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/. The trailing slash may be left out; the path is
// returned with it, so that a prefix test on the path is a test on whole segments.
// Wildcards are refused: a trusted subtree is named, never matched.
func ParseOrgPath(s string) (string, error) {
	s = strings.TrimSpace(s)
	if hasWildcard(s) {
		return "", fmt.Errorf("trusted OU path %q: wildcards are not allowed; %s", s, orgPathShape)
	}
	p := s
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	segs := strings.Split(strings.TrimSuffix(p, "/"), "/")
	if len(segs) < 2 {
		return "", fmt.Errorf("trusted OU path %q: a path starts with the organization id and its root id; %s", s, orgPathShape)
	}
	if !isOrgID(segs[0]) {
		return "", fmt.Errorf("trusted OU path %q: %q is not an organization id (\"o-\" and 10 to 32 lower-case letters or digits); %s", s, segs[0], orgPathShape)
	}
	if !isRootID(segs[1]) {
		return "", fmt.Errorf("trusted OU path %q: %q is not a root id (\"r-\" and 4 to 32 lower-case letters or digits); %s", s, segs[1], orgPathShape)
	}
	for _, seg := range segs[2:] {
		if !isOUID(seg) {
			return "", fmt.Errorf("trusted OU path %q: %q is not an OU id (\"ou-\", 4 to 32 lower-case letters or digits, \"-\", 8 to 32 lower-case letters or digits); %s", s, seg, orgPathShape)
		}
	}
	return p, nil
}

// ParseTrustedAccount reads one trusted-account entry: a 12-digit id, or an ARN in the iam or
// sts namespace (arn:aws:iam::123456789012:root, a user, role or assumed-role ARN), any
// partition. It returns the account id.
func ParseTrustedAccount(s string) (string, error) {
	s = strings.TrimSpace(s)
	if isAccountID(s) {
		return s, nil
	}
	const want = "expected a 12-digit account id or an IAM/STS ARN such as arn:aws:iam::123456789012:root"
	if !strings.HasPrefix(s, "arn:") {
		return "", fmt.Errorf("trusted account %q: %s", s, want)
	}
	f := strings.SplitN(s, ":", 6)
	if len(f) != 6 || f[1] == "" || f[5] == "" {
		return "", fmt.Errorf("trusted account %q: %s", s, want)
	}
	if f[2] != "iam" && f[2] != "sts" {
		return "", fmt.Errorf("trusted account %q: service %q does not name an account principal; %s", s, f[2], want)
	}
	if f[3] != "" {
		return "", fmt.Errorf("trusted account %q: IAM and STS ARNs have an empty region field; %s", s, want)
	}
	if !isAccountID(f[4]) {
		return "", fmt.Errorf("trusted account %q: account field %q is not 12 digits; %s", s, f[4], want)
	}
	return f[4], nil
}

// Record is the boundary as a scan document records it, so that a reader knows what the
// findings were judged against.
func (b Boundary) Record() finding.Boundary {
	return finding.Boundary{TrustedAccounts: b.Accounts(), TrustedOrgs: b.Orgs(), TrustedOrgPaths: b.OrgPaths()}
}

// Accounts returns the trusted account ids, sorted (the owner is not included).
func (b Boundary) Accounts() []string { return slices.Clone(b.accounts) }

// Orgs returns the trusted organization ids, sorted.
func (b Boundary) Orgs() []string { return slices.Clone(b.orgs) }

// OrgPaths returns the trusted OU paths, sorted, each ending in "/".
func (b Boundary) OrgPaths() []string { return slices.Clone(b.paths) }

// TrustsOrgPath reports whether the accounts at path are trusted: its organization is
// trusted, or a trusted OU path is a prefix of it. path is an account's place in its
// organization (o-.../r-.../ou-.../, the account id may follow); an organization scan uses
// this to trust the accounts it finds under trusted OU paths.
func (b Boundary) TrustsOrgPath(path string) bool {
	path = strings.TrimSpace(path)
	if path == "" {
		return false
	}
	if !strings.HasSuffix(path, "/") {
		path += "/"
	}
	return b.trustsScope(path)
}

func (b Boundary) trustsAccount(owner, id string) bool {
	if id == owner {
		return true
	}
	_, ok := slices.BinarySearch(b.accounts, id)
	return ok
}

func (b Boundary) trustsOrg(id string) bool {
	_, ok := slices.BinarySearch(b.orgs, id)
	return ok
}

// trustsScope reports whether every account of a scope (an organization id, or an OU path
// ending in "/") is trusted.
func (b Boundary) trustsScope(sc string) bool {
	if b.trustsOrg(scopeOrg(sc)) {
		return true
	}
	if !isPathScope(sc) {
		return false
	}
	for _, p := range b.paths {
		if strings.HasPrefix(sc, p) {
			return true
		}
	}
	return false
}

// pathsIn lists the trusted OU paths of one organization, for explanations.
func (b Boundary) pathsIn(org string) []string {
	var out []string
	for _, p := range b.paths {
		if scopeOrg(p) == org {
			out = append(out, p)
		}
	}
	return out
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isOrgID checks the documented organization id shape, o-[a-z0-9]{10,32}.
func isOrgID(s string) bool {
	if len(s) < 12 || len(s) > 34 || !strings.HasPrefix(s, "o-") {
		return false
	}
	for i := 2; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// isRootID checks the documented root id shape, r-[0-9a-z]{4,32}.
func isRootID(s string) bool {
	return strings.HasPrefix(s, "r-") && isLowerAlnum(s[2:], 4, 32)
}

// isOUID checks the documented OU id shape, ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}.
func isOUID(s string) bool {
	rest, ok := strings.CutPrefix(s, "ou-")
	if !ok {
		return false
	}
	root, id, ok := strings.Cut(rest, "-")
	return ok && isLowerAlnum(root, 4, 32) && isLowerAlnum(id, 8, 32)
}

func isLowerAlnum(s string, lo, hi int) bool {
	if len(s) < lo || len(s) > hi {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}
