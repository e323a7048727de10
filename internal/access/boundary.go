package access

import (
	"fmt"
	"slices"
	"strings"
)

// Boundary is the set of accounts and organizations the user trusts. The owner of the
// resource under evaluation is trusted as well, but it is passed per evaluation because one
// boundary serves every account of a scan.
type Boundary struct {
	accounts []string // sorted, unique, 12-digit ids
	orgs     []string // sorted, unique
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
// organization it lists and its accounts to the configured boundary.
func (b Boundary) With(accounts, orgs []string) (Boundary, error) {
	return NewBoundary(append(b.Accounts(), accounts...), append(b.Orgs(), orgs...))
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

// Accounts returns the trusted account ids, sorted (the owner is not included).
func (b Boundary) Accounts() []string { return slices.Clone(b.accounts) }

// Orgs returns the trusted organization ids, sorted.
func (b Boundary) Orgs() []string { return slices.Clone(b.orgs) }

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
