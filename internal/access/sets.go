package access

import "strings"

// aset is who a statement admits along the account dimension. The engine needs three
// answers (everyone, these accounts, "bounded but we cannot say whose"), and an
// intersection that keeps an explicit account under an accountless bound such as an IP
// range: that account can still call from inside the range.
type aset struct {
	all         bool     // unbounded: every account, and anonymous callers
	accts       []string // fixed account ids, unique
	accountless bool     // some callers bounded by a value that names no account (IP, VPC, bucket ARN, user id)
}

var setAll = aset{all: true}

func (x aset) empty() bool { return !x.all && len(x.accts) == 0 && !x.accountless }

func containsStr(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func appendUnique(list []string, s string) []string {
	if containsStr(list, s) {
		return list
	}
	return append(list, s)
}

// intersect is x ∩ y. An accountless bound on one side is an unknown account, so it keeps
// every fixed account of the other side.
func intersect(x, y aset) aset {
	if x.all {
		return y
	}
	if y.all {
		return x
	}
	out := aset{accountless: x.accountless && y.accountless}
	for _, a := range x.accts {
		if y.accountless || containsStr(y.accts, a) {
			out.accts = appendUnique(out.accts, a)
		}
	}
	if x.accountless {
		for _, a := range y.accts {
			out.accts = appendUnique(out.accts, a)
		}
	}
	return out
}

// union is x ∪ y, used for the escape hatches of a Deny with several negated conditions
// (the Deny applies only when all of them hold, so a caller escapes by meeting any one).
func union(x, y aset) aset {
	if x.all || y.all {
		return setAll
	}
	out := aset{accountless: x.accountless || y.accountless}
	out.accts = append(out.accts, x.accts...)
	for _, a := range y.accts {
		out.accts = appendUnique(out.accts, a)
	}
	return out
}

// oset is an organization restriction; set is false when nothing restricts organizations.
// Each scope is an organization id (o-...) or an OU path prefix ending in "/"
// (o-.../r-.../ou-.../): every account of that organization, or of that OU subtree.
type oset struct {
	set    bool
	scopes []string
}

// isPathScope tells an OU path scope from an organization id.
func isPathScope(sc string) bool { return strings.IndexByte(sc, '/') >= 0 }

// scopeOrg is the organization a scope belongs to.
func scopeOrg(sc string) string {
	if i := strings.IndexByte(sc, '/'); i >= 0 {
		return sc[:i]
	}
	return sc
}

// within reports whether scope a lies inside scope b. Paths end in "/", so a prefix test is
// a test on whole segments.
func within(a, b string) bool {
	if !isPathScope(b) {
		return scopeOrg(a) == b
	}
	return strings.HasPrefix(a, b)
}

// intersectOrg is x ∩ y: a caller must be in a scope of each. Two scopes meet in the
// narrower when one lies inside the other, and nowhere otherwise.
func intersectOrg(x, y oset) oset {
	if !x.set {
		return y
	}
	if !y.set {
		return x
	}
	out := oset{set: true}
	for _, a := range x.scopes {
		for _, b := range y.scopes {
			switch {
			case within(a, b):
				out.scopes = appendUnique(out.scopes, a)
			case within(b, a):
				out.scopes = appendUnique(out.scopes, b)
			}
		}
	}
	return out
}
