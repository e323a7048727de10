// Package access decides whether a resource-based policy lets anyone outside a trust
// boundary in: the public, accounts and organizations the user does not trust, or AWS
// services acting for any account (the confused deputy). The rules are those of the design
// note SEMANTICS.md (the section numbers in comments refer to it); every verdict carries a
// plain-English explanation of the statement that produced it.
//
// Evaluation is pure and allocation-light: a scan evaluates every policy of every account,
// and a check must never be the slow part of it.
package access

import (
	"slices"

	"github.com/trustaudit/trustaudit/internal/finding"
	"github.com/trustaudit/trustaudit/internal/policy"
)

// Input is one policy to judge.
type Input struct {
	Kind        Kind
	Owner       string // the resource owner's 12-digit account id: always trusted
	ResourceARN string
	PolicyName  string
	Doc         *policy.Document
}

// Result is the verdict on one policy: the union over its Allow statements.
type Result struct {
	Public            bool
	UntrustedAccounts []string // sorted 12-digit ids; the public ("*") is reported by Public
	UntrustedOrgs     []string // sorted organization ids (an untrusted OU path counts as its organization)
	ConfusedDeputy    bool
	Findings          []Finding // by statement index, then category
}

// Finding is one statement's grant of one category.
type Finding struct {
	Rule           Rule
	StatementIndex int
	Sid            string
	Principal      string   // the principal values that produce the grant, as written
	Actions        []string // the statement's Action (or "NotAction:" values)
	Accounts       []string // untrusted accounts, sorted
	Orgs           []string // untrusted scopes, sorted: organization ids, or OU paths (o-.../r-.../ou-.../) when only that subtree is let in
	Services       []string // service principals involved
	Conditions     []string // the statement's conditions, e.g. "StringEquals aws:SourceAccount=111122223333"
	Explanation    string
}

type evaluator struct {
	kind   Kind
	owner  string
	b      Boundary
	res    Result
	denies []denyEffect
}

// Evaluate judges one policy against the trust boundary. The owner is trusted in addition
// to the boundary's accounts.
func Evaluate(in Input, b Boundary) Result {
	e := evaluator{kind: in.Kind, owner: in.Owner, b: b}
	if in.Doc == nil {
		return e.res
	}
	stmts := in.Doc.Statements
	for i := range stmts {
		if stmts[i].Effect == policy.Deny {
			if d := analyzeDeny(&stmts[i], b); d.kind != denyIgnored {
				d.idx = i
				e.denies = append(e.denies, d)
			}
		}
	}
	for i := range stmts {
		if stmts[i].Effect == policy.Allow {
			e.allow(i, &stmts[i])
		}
	}
	if len(e.res.UntrustedAccounts) > 1 {
		slices.Sort(e.res.UntrustedAccounts)
		e.res.UntrustedAccounts = slices.Compact(e.res.UntrustedAccounts)
	}
	if len(e.res.UntrustedOrgs) > 1 {
		slices.Sort(e.res.UntrustedOrgs)
		e.res.UntrustedOrgs = slices.Compact(e.res.UntrustedOrgs)
	}
	return e.res
}

// stmtCtx carries one Allow statement through judgement and, only when it produces a
// finding, through explanation.
type stmtCtx struct {
	idx     int
	st      *policy.Statement
	crs     []condResult
	ps      pset
	applied []*denyEffect

	// explicit account principals left after Deny narrowing
	explicit []acctRef
	// account-dimension grant to callers other than services
	grant aset
	orgs  oset
	// service principals left after Deny narrowing, and what the source conditions admit
	services []string
	svcGrant aset
	svcOrgs  oset
	svcToken bool
}

func (e *evaluator) allow(i int, st *policy.Statement) {
	var crBuf [8]condResult
	crs := crBuf[:0]
	for j := range st.Conditions {
		crs = append(crs, analyzeCondition(&st.Conditions[j]))
	}
	var dBuf [4]*denyEffect
	applied := dBuf[:0]
	for j := range e.denies {
		if covers(e.denies[j].st, st) {
			applied = append(applied, &e.denies[j])
		}
	}
	// s never holds crs or applied: they point to stack buffers, and s goes to the
	// explainers, which may keep what they are given.
	s := stmtCtx{idx: i, st: st}
	s.ps = classifyPrincipals(st, crs)

	var pub, acctF, orgF, cdF bool
	var accts, orgs []string
	var pubAccts []string

	// Callers other than services (§2, §3, §4, §6, §7).
	if s.ps.hasCallers() {
		// Everyone and the explicitly named accounts are narrowed separately: an explicit
		// account keeps its name under a bound that names no account (an IP range), where
		// "everyone from that range" becomes nameless.
		var anyone aset
		if len(s.ps.any) > 0 {
			anyone = setAll
		}
		named := s.ps.named()
		s.explicit = s.ps.accts
		narrow := func(f func(aset) aset) {
			anyone, named = f(anyone), f(named)
		}
		for j := range crs {
			if crs[j].verdict == vRestricts {
				cr := &crs[j]
				narrow(func(x aset) aset { return intersect(x, cr.acct) })
				s.orgs = intersectOrg(s.orgs, cr.org)
			}
		}
		for _, d := range applied {
			switch d.kind {
			case denyAll:
				anyone, named, s.explicit = aset{}, aset{}, nil
			case denyRestrict:
				narrow(func(x aset) aset { return intersect(x, d.acct) })
				s.orgs = intersectOrg(s.orgs, d.org)
			case denyKeepOnly:
				narrow(func(x aset) aset { return intersect(x, aset{accts: d.accts}) })
				s.explicit = filterRefs(s.explicit, d.accts, true)
			case denyRemove:
				narrow(func(x aset) aset {
					if !x.all {
						x.accts = removeAll(x.accts, d.accts)
					}
					return x
				})
				s.explicit = filterRefs(s.explicit, d.accts, false)
			}
		}
		s.grant = union(anyone, named)
		g := s.grant
		switch {
		case g.empty(), s.orgs.set && len(s.orgs.scopes) == 0:
			// grants nothing
		case s.orgs.set && allTrustedScopes(e.b, s.orgs.scopes):
			// every caller must belong to a trusted organization
		case g.all && !s.orgs.set:
			pub = true
			for _, a := range named.accts {
				if !e.b.trustsAccount(e.owner, a) {
					pubAccts = appendUnique(pubAccts, a)
				}
			}
		case g.all:
			orgs = e.untrustedScopes(orgs, s.orgs.scopes)
		default:
			for _, a := range g.accts {
				if !e.b.trustsAccount(e.owner, a) {
					accts = appendUnique(accts, a)
				}
			}
			if len(g.accts) == 0 && s.orgs.set {
				orgs = e.untrustedScopes(orgs, s.orgs.scopes)
			}
		}
	}

	// Service principals (§5).
	s.services = s.ps.services
	for _, d := range applied {
		if len(s.services) == 0 {
			break
		}
		switch d.kind {
		case denyAll:
			s.services = nil
		case denyRestrict:
			if !d.exemptServices && d.svcCancel {
				s.services = nil
			}
		case denyKeepOnly:
			s.services = filterStrings(s.services, d.services, true)
		case denyRemove:
			s.services = filterStrings(s.services, d.services, false)
		}
	}
	var svcAccts []string
	if len(s.services) > 0 {
		s.svcGrant = setAll
		for j := range crs {
			if crs[j].verdict != vRestricts || !crs[j].source {
				continue
			}
			if crs[j].kc == kcEventSourceToken {
				s.svcToken = true
				continue
			}
			s.svcGrant = intersect(s.svcGrant, crs[j].acct)
			s.svcOrgs = intersectOrg(s.svcOrgs, crs[j].org)
		}
		for _, d := range applied {
			if d.kind == denyRestrict && !d.exemptServices {
				s.svcGrant = intersect(s.svcGrant, d.svcAcct)
				s.svcOrgs = intersectOrg(s.svcOrgs, d.svcOrg)
			}
		}
		g := s.svcGrant
		switch {
		case g.empty(), s.svcOrgs.set && len(s.svcOrgs.scopes) == 0:
		case s.svcOrgs.set && allTrustedScopes(e.b, s.svcOrgs.scopes):
		default:
			for _, a := range g.accts {
				if !e.b.trustsAccount(e.owner, a) {
					svcAccts = appendUnique(svcAccts, a)
				}
			}
			if s.svcOrgs.set {
				orgs = e.untrustedScopes(orgs, s.svcOrgs.scopes)
			}
			cdF = !s.svcToken && !s.svcOrgs.set && (g.all || g.accountless)
		}
	}

	allAccts := accts
	for _, a := range pubAccts {
		allAccts = appendUnique(allAccts, a)
	}
	for _, a := range svcAccts {
		allAccts = appendUnique(allAccts, a)
	}
	acctF = len(allAccts) > 0
	orgF = len(orgs) > 0
	if !pub && !acctF && !orgF && !cdF {
		return
	}
	e.res.UntrustedAccounts = append(e.res.UntrustedAccounts, allAccts...)
	for _, sc := range orgs {
		e.res.UntrustedOrgs = append(e.res.UntrustedOrgs, scopeOrg(sc))
	}
	// The explainers get a copy whose slices live on the heap, so that the stack buffers
	// of the common, finding-free path never escape.
	s.crs, s.applied = slices.Clone(crs), slices.Clone(applied)
	if pub {
		e.res.Public = true
		e.res.Findings = append(e.res.Findings, e.publicFinding(&s))
	}
	if acctF {
		e.res.Findings = append(e.res.Findings, e.accountFinding(&s, accts, pubAccts, svcAccts))
	}
	if orgF {
		e.res.Findings = append(e.res.Findings, e.orgFinding(&s, orgs))
	}
	if cdF {
		e.res.ConfusedDeputy = true
		e.res.Findings = append(e.res.Findings, e.deputyFinding(&s))
	}
}

// untrustedScopes adds to dst the scopes the boundary does not trust, leaving out one that
// lies inside another already listed: "organization o-x" says all that "OU path o-x/r-1/ou-2/"
// would.
func (e *evaluator) untrustedScopes(dst, scopes []string) []string {
	for _, sc := range scopes {
		if e.b.trustsScope(sc) {
			continue
		}
		dst = slices.DeleteFunc(dst, func(d string) bool { return d != sc && within(d, sc) })
		if !slices.ContainsFunc(dst, func(d string) bool { return within(sc, d) }) {
			dst = append(dst, sc)
		}
	}
	return dst
}

// filterRefs keeps (keep=true) or drops the references whose account is in accts.
func filterRefs(refs []acctRef, accts []string, keep bool) []acctRef {
	var out []acctRef
	for _, r := range refs {
		if containsStr(accts, r.acct) == keep {
			out = append(out, r)
		}
	}
	return out
}

func filterStrings(list, set []string, keep bool) []string {
	var out []string
	for _, v := range list {
		if containsStr(set, v) == keep {
			out = append(out, v)
		}
	}
	return out
}

func removeAll(list, drop []string) []string {
	var out []string
	for _, v := range list {
		if !containsStr(drop, v) {
			out = append(out, v)
		}
	}
	return out
}

// ruleFor picks the rule of a finding; role trust of PassRole-only services gets the
// low-severity confused-deputy rule.
func (e *evaluator) ruleFor(cat finding.Category, services []string) Rule {
	if cat == finding.CategoryConfusedDeputy && e.kind == KindIAMRole && len(services) > 0 {
		all := true
		for _, s := range services {
			if !isPassRoleService(s) {
				all = false
				break
			}
		}
		if all {
			return passRoleRl
		}
	}
	return RuleFor(e.kind, cat)
}
