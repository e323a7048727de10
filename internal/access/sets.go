package access

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
type oset struct {
	set  bool
	orgs []string
}

func intersectOrg(x, y oset) oset {
	if !x.set {
		return y
	}
	if !y.set {
		return x
	}
	out := oset{set: true}
	for _, o := range x.orgs {
		if containsStr(y.orgs, o) {
			out.orgs = appendUnique(out.orgs, o)
		}
	}
	return out
}
