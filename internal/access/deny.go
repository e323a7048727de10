package access

import (
	"strings"

	"github.com/trustaudit/trustaudit/internal/policy"
)

// denyKind is how a Deny statement narrows the Allow statements it covers (SEMANTICS.md §7).
type denyKind uint8

const (
	denyIgnored  denyKind = iota // a condition we cannot turn into a boundary: no narrowing
	denyAll                      // everyone, no condition: the covered Allow grants nothing
	denyRestrict                 // everyone, negated perimeter conditions: Allow ∩ listed values
	denyKeepOnly                 // NotPrincipal, no condition: Allow ∩ the NotPrincipal accounts
	denyRemove                   // named accounts or services, no condition: those are removed
)

type denyEffect struct {
	st   *policy.Statement
	idx  int
	kind denyKind

	// denyRestrict, callers other than services
	acct aset
	org  oset
	// denyRestrict, service principals: exempt when the Deny carries
	// aws:PrincipalIsAWSService=false; otherwise only aws:Source* values let them through.
	exemptServices bool
	svcCancel      bool
	svcAcct        aset
	svcOrg         oset

	accts    []string // denyKeepOnly: kept; denyRemove: removed
	services []string // denyKeepOnly: kept; denyRemove: removed
}

func analyzeDeny(st *policy.Statement, b Boundary) denyEffect {
	d := denyEffect{st: st}
	if np := st.NotPrincipal; np != nil {
		if len(st.Conditions) > 0 || np.Wildcard || containsStr(np.AWS, "*") {
			return d
		}
		d.kind = denyKeepOnly
		for _, v := range np.AWS {
			if a := accountOf(v); a != "" {
				d.accts = appendUnique(d.accts, a)
			}
		}
		d.services = np.Service
		return d
	}
	p := st.Principal
	if p == nil {
		return d
	}
	everyone := p.Wildcard || containsStr(p.AWS, "*")
	if !everyone {
		if len(st.Conditions) > 0 {
			return d
		}
		d.kind = denyRemove
		for _, v := range p.AWS {
			// Only an account (id or root) takes the whole account away; denying one user
			// leaves the account's other principals.
			if isAccountID(v) {
				d.accts = appendUnique(d.accts, v)
			} else if a, res, ok := arnAccountField(v); ok && res == "root" && isAccountID(a) {
				d.accts = appendUnique(d.accts, a)
			}
		}
		d.services = p.Service
		if len(d.accts) == 0 && len(d.services) == 0 {
			d.kind = denyIgnored // only users, roles or federated principals: no account leaves
		}
		return d
	}
	if len(st.Conditions) == 0 {
		d.kind = denyAll
		return d
	}
	type part struct {
		acct   aset
		org    oset
		source bool
	}
	var parts []part
	for i := range st.Conditions {
		c := &st.Conditions[i]
		if c.KeyLower == "aws:principalisawsservice" && c.Base == "Bool" && c.Known && c.Set == policy.SetNone &&
			len(c.Values) == 1 && strings.EqualFold(c.Values[0], "false") {
			d.exemptServices = true
			continue
		}
		kc, source, _, _ := classifyKey(c.KeyLower)
		if !c.Known || c.Set != policy.SetNone || !isNegatedOp(c.Base) || !(isPerimeterClass(kc) || kc == kcIP) {
			return d
		}
		acct, org, v, _, _ := valueSet(kc, positiveOf(c.Base), c.Values)
		if v != vRestricts {
			if kc == kcIP {
				return d // NotIpAddress on a broad range: the Deny almost never applies
			}
			acct, org = setAll, oset{} // a wildcard value lets everyone escape
		}
		parts = append(parts, part{acct: acct, org: org, source: source})
	}
	if len(parts) == 0 {
		return d
	}
	d.kind = denyRestrict
	if len(parts) == 1 {
		d.acct, d.org = parts[0].acct, parts[0].org
	} else {
		// The Deny applies only when every condition holds, so a caller escapes by
		// meeting any one of them: the boundary is the union.
		d.acct = aset{}
		for _, pt := range parts {
			a := pt.acct
			if pt.org.set {
				if !allTrustedScopes(b, pt.org.scopes) {
					return denyEffect{st: st} // cannot express "accounts or untrusted org members"
				}
				a = aset{accountless: true} // members of trusted orgs or OU paths: trusted, unnamed
			}
			d.acct = union(d.acct, a)
		}
	}
	if !d.exemptServices {
		// A service principal has no principal account or organization, and a missing key
		// makes a negated operator true: only the aws:Source* values let a service through.
		d.svcCancel = true
		d.svcAcct = aset{}
		for _, pt := range parts {
			if !pt.source {
				continue
			}
			if d.svcCancel {
				d.svcCancel = false
				d.svcAcct, d.svcOrg = pt.acct, pt.org
				continue
			}
			if pt.org.set || d.svcOrg.set {
				return denyEffect{st: st}
			}
			d.svcAcct = union(d.svcAcct, pt.acct)
		}
	}
	return d
}

func allTrustedScopes(b Boundary, scopes []string) bool {
	for _, sc := range scopes {
		if !b.trustsScope(sc) {
			return false
		}
	}
	return true
}

// accountOf returns the account a principal value names, or "".
func accountOf(v string) string {
	if isAccountID(v) {
		return v
	}
	if strings.HasPrefix(v, "arn:") {
		if a, _, ok := arnAccountField(v); ok && isAccountID(a) {
			return a
		}
	}
	return ""
}

// covers reports whether Deny d applies to every request Allow a grants: all of a's actions
// and resources (SEMANTICS.md §7). Anything uncertain is "does not cover", which keeps the
// Allow's findings.
func covers(d, a *policy.Statement) bool {
	if d.HasNotResource {
		return false
	}
	if d.HasResource && !containsStr(d.Resource, "*") {
		if a.HasNotResource || !a.HasResource {
			return false
		}
		for _, r := range a.Resource {
			if !anyMatch(d.Resource, r, false) {
				return false
			}
		}
	}
	if d.HasAction && containsStr(d.Action, "*") {
		return true
	}
	if a.HasNotAction || !a.HasAction {
		return false
	}
	for _, act := range a.Action {
		switch {
		case d.HasAction:
			if !anyMatch(d.Action, act, true) {
				return false
			}
		case d.HasNotAction:
			// The Deny covers what it does not list; a wildcard Allow action may overlap a
			// listed one, so only literal actions are judged.
			if hasWildcard(act) || anyMatch(d.NotAction, act, true) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func anyMatch(patterns []string, v string, fold bool) bool {
	for _, p := range patterns {
		if fold && policy.MatchFold(p, v) || !fold && policy.Match(p, v) {
			return true
		}
	}
	return false
}
