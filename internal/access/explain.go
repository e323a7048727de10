package access

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/trustaudit/trustaudit/internal/finding"
	"github.com/trustaudit/trustaudit/internal/policy"
)

// This file turns a judged statement into findings. It runs only for statements that
// grant something to outsiders, so it may format freely.

func (e *evaluator) base(s *stmtCtx, cat finding.Category, services []string) Finding {
	f := Finding{
		Rule:           e.ruleFor(cat, services),
		StatementIndex: s.idx,
		Sid:            s.st.Sid,
		Actions:        actionList(s.st),
	}
	for i := range s.st.Conditions {
		f.Conditions = append(f.Conditions, renderCondition(&s.st.Conditions[i]))
	}
	return f
}

func header(s *stmtCtx) string { return "S" + stmtLabel(s.st.Sid, s.idx)[1:] }

// stmtLabel names a statement by Sid, or by its 0-based index (as in the JSON report) when
// it has none.
func stmtLabel(sid string, idx int) string {
	if sid != "" {
		return "statement " + strconv.Quote(sid)
	}
	return "statement at index " + strconv.Itoa(idx)
}

func actionList(st *policy.Statement) []string {
	if st.HasNotAction {
		out := make([]string, len(st.NotAction))
		for i, a := range st.NotAction {
			out[i] = "NotAction:" + a
		}
		return out
	}
	return slices.Clone(st.Action)
}

func actionText(st *policy.Statement) string {
	switch {
	case st.HasNotAction:
		return "every action except " + strings.Join(st.NotAction, ", ")
	case len(st.Action) == 0:
		return "its actions"
	}
	return strings.Join(st.Action, ", ")
}

// renderCondition writes a condition as "StringEquals aws:SourceAccount=111122223333".
func renderCondition(c *policy.Condition) string {
	return c.Operator + " " + c.Key + "=" + strings.Join(c.Values, ",")
}

func condName(c *policy.Condition) string { return c.Operator + " " + c.Key }

// whyNot explains why a condition does not restrict callers.
func whyNot(cr *condResult) string {
	c := cr.c
	var because string
	switch cr.reason {
	case rUnknownOperator:
		because = strconv.Quote(c.Operator) + " is not an operator AWS knows, so it matches nothing predictable"
	case rForAllValues:
		because = "ForAllValues is true when the key is absent, as it is for anonymous callers"
	case rNegated:
		because = "a negated operator admits everyone it does not list"
	case rNotIdentity:
		because = c.Base + " does not compare who the caller is"
	case rIfExists:
		because = "the key can be absent"
	case rOperatorMismatch:
		because = c.Base + " does not apply to " + c.Key
	case rExternalID:
		because = "an external ID is a shared secret, not an identity"
	case rResourceKey:
		because = "it describes the resource owner, not the caller"
	case rViaService:
		because = "any account can call through that service"
	case rUsername:
		because = "any account can have a user of that name"
	case rWildcard:
		because = "its value " + strconv.Quote(cr.detail) + " is a wildcard"
	case rBroadCIDR:
		limit := "/8"
		if strings.Contains(cr.detail, ":") {
			limit = "/32"
		}
		because = cr.detail + " is broader than " + limit
	case rAnonymous:
		because = "the value " + strconv.Quote(cr.detail) + " is what IAM sets for unauthenticated callers"
	case rWebIdentity:
		if w := webIdentityNote(c); w != "" {
			return "the condition " + condName(c) + " " + w
		}
		because = "it bounds only web identity sign-ins"
	default:
		because = c.Key + " does not identify the caller"
	}
	return "the condition " + condName(c) + " does not restrict callers because " + because
}

// tail explains the conditions and Denies of a statement: which bounded the grant (and
// still let it out) and which failed to.
func tail(s *stmtCtx, include func(*condResult) bool, bounded string) string {
	if len(s.st.Conditions) == 0 && len(s.applied) == 0 {
		return " with no condition"
	}
	var b strings.Builder
	var restricting []string
	for i := range s.crs {
		cr := &s.crs[i]
		if include != nil && !include(cr) {
			continue
		}
		if cr.verdict == vRestricts {
			restricting = append(restricting, renderCondition(cr.c))
		}
	}
	if len(restricting) > 0 && bounded != "" {
		b.WriteString(", bounded only by ")
		b.WriteString(plural(len(restricting), "the condition ", "the conditions "))
		b.WriteString(strings.Join(restricting, " and "))
		if len(restricting) > 1 {
			bounded = strings.Replace(bounded, " does not ", " do not ", 1)
		}
		b.WriteString(bounded)
	}
	for i := range s.crs {
		cr := &s.crs[i]
		if cr.verdict == vRestricts || include != nil && !include(cr) {
			continue
		}
		b.WriteString("; ")
		b.WriteString(whyNot(cr))
	}
	for _, d := range s.applied {
		b.WriteString("; the Deny in ")
		b.WriteString(stmtLabel(d.st.Sid, d.idx))
		b.WriteString(" narrows it but does not close it")
	}
	if b.Len() == 0 {
		return " with no condition that restricts callers"
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func anyDesc(r anyRef) string {
	switch r.why {
	case anyWildcard:
		return `Principal "*"`
	case anyAWSStar:
		return `AWS "*"`
	case anyWildcardAccount:
		return r.raw + ", whose account is a wildcard"
	case anyCanonicalStar:
		return `CanonicalUser "*"`
	case anyNotPrincipal:
		return "NotPrincipal with Allow: everyone except " + r.raw
	case anyWebIdentity:
		return "any user of " + r.raw + ", with no fixed audience condition"
	case anyGitHub:
		return "any GitHub Actions workflow via " + r.raw + ", with no token.actions.githubusercontent.com:sub condition pinning the repository owner"
	}
	return r.raw
}

func (e *evaluator) publicFinding(s *stmtCtx) Finding {
	f := e.base(s, finding.CategoryPublic, nil)
	descs := make([]string, len(s.ps.any))
	raws := make([]string, len(s.ps.any))
	for i, r := range s.ps.any {
		descs[i] = anyDesc(r)
		raws[i] = r.raw
		if r.why == anyNotPrincipal {
			raws[i] = "NotPrincipal " + r.raw
		}
	}
	f.Principal = strings.Join(raws, ", ")
	f.Explanation = header(s) + " lets anyone (" + strings.Join(descs, "; ") + ") perform " + actionText(s.st) +
		tail(s, nil, "")
	return f
}

func (e *evaluator) accountFinding(s *stmtCtx, accts, pubAccts, svcAccts []string) Finding {
	f := e.base(s, finding.CategoryUntrustedAccount, nil)
	var who, principals []string
	named := map[string]bool{}
	for _, r := range s.explicit {
		if containsStr(accts, r.acct) || containsStr(pubAccts, r.acct) {
			who = append(who, fmt.Sprintf("%s (account %s, not trusted)", r.raw, r.acct))
			principals = append(principals, r.raw)
			named[r.acct] = true
		}
	}
	for _, a := range accts {
		if !named[a] {
			who = append(who, "callers in account "+a+" (not trusted)")
			if len(s.ps.any) > 0 {
				principals = appendUnique(principals, s.ps.any[0].raw)
			}
		}
	}
	for _, a := range svcAccts {
		who = append(who, fmt.Sprintf("%s acting for account %s (not trusted)", serviceList(s.services), a))
		f.Services = slices.Clone(s.services)
		for _, svc := range s.services {
			principals = appendUnique(principals, svc)
		}
	}
	f.Principal = strings.Join(principals, ", ")
	all := append(append(slices.Clone(accts), pubAccts...), svcAccts...)
	slices.Sort(all)
	f.Accounts = slices.Compact(all)
	f.Explanation = header(s) + " lets " + joinAnd(who) + " perform " + actionText(s.st) +
		tail(s, nil, ", which does not keep it inside the trust boundary")
	return f
}

func (e *evaluator) orgFinding(s *stmtCtx, orgs []string) Finding {
	f := e.base(s, finding.CategoryUntrustedOrg, nil)
	slices.Sort(orgs)
	f.Orgs = orgs
	var principals []string
	for _, r := range s.ps.any {
		principals = append(principals, r.raw)
	}
	for _, r := range s.explicit {
		principals = append(principals, r.raw)
	}
	principals = append(principals, s.ps.accountless...)
	principals = append(principals, s.services...)
	f.Principal = strings.Join(principals, ", ")
	if s.svcOrgs.set {
		f.Services = slices.Clone(s.services)
	}
	f.Explanation = header(s) + " lets " + scopeText(orgs) + " (not trusted) perform " + actionText(s.st) +
		tail(s, nil, scopeBound(orgs)) + e.partialTrust(orgs)
	return f
}

// scopeText names who the untrusted scopes let in: "every account of organization o-x", or
// "every account under OU path o-x/r-ab12/ou-ab12-11111111/ of organization o-x".
func scopeText(scopes []string) string {
	var orgIDs, parts []string
	for _, sc := range scopes {
		if isPathScope(sc) {
			parts = append(parts, "under OU path "+sc+" of organization "+scopeOrg(sc))
		} else {
			orgIDs = append(orgIDs, sc)
		}
	}
	if len(orgIDs) > 0 {
		parts = append([]string{"of " + plural(len(orgIDs), "organization ", "organizations ") + strings.Join(orgIDs, ", ")}, parts...)
	}
	return "every account " + joinAnd(parts)
}

// scopeBound is the tail's note on a condition that bounds the grant to the scopes.
func scopeBound(scopes []string) string {
	for _, sc := range scopes {
		if !isPathScope(sc) {
			return ", which admits every member of that organization"
		}
	}
	return ", which admits every account in that OU subtree"
}

// partialTrust says which OU paths of a reported organization the boundary does trust, so
// that a reader sees why a condition on the parent or a sibling OU is still reported.
func (e *evaluator) partialTrust(scopes []string) string {
	var b strings.Builder
	var seen []string
	for _, sc := range scopes {
		org := scopeOrg(sc)
		if containsStr(seen, org) {
			continue
		}
		seen = append(seen, org)
		if ps := e.b.pathsIn(org); len(ps) > 0 {
			b.WriteString("; the trust boundary trusts only " + plural(len(ps), "OU path ", "OU paths ") + strings.Join(ps, ", ") + " of organization " + org)
		}
	}
	return b.String()
}

func (e *evaluator) deputyFinding(s *stmtCtx) Finding {
	f := e.base(s, finding.CategoryConfusedDeputy, s.services)
	f.Services = slices.Clone(s.services)
	f.Principal = strings.Join(s.services, ", ")
	var b strings.Builder
	b.WriteString(header(s))
	b.WriteString(" lets ")
	b.WriteString(serviceList(s.services))
	b.WriteString(" perform ")
	b.WriteString(actionText(s.st))
	b.WriteString(" for any account: no aws:SourceAccount, aws:SourceArn with an account or aws:SourceOrgID condition pins whom the service acts for")
	for i := range s.crs {
		cr := &s.crs[i]
		if !cr.source && cr.verdict == vRestricts {
			b.WriteString("; the condition " + condName(cr.c) + " does not say whom the service acts for")
			continue
		}
		if cr.verdict == vRestricts {
			if cr.acct.accountless && len(cr.acct.accts) == 0 {
				b.WriteString("; the condition " + renderCondition(cr.c) + " names a resource whose ARN has no account, so it does not say whose resource it is")
			}
			continue
		}
		b.WriteString("; ")
		b.WriteString(whyNot(cr))
	}
	f.Explanation = b.String()
	return f
}

func serviceList(services []string) string {
	return plural(len(services), "service ", "services ") + joinAnd(services)
}

func joinAnd(parts []string) string {
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// webIdentityNote says what a web identity condition does for a federated principal.
func webIdentityNote(c *policy.Condition) string {
	k := c.KeyLower
	switch {
	case k == githubOIDCHost+":sub":
		if githubSubPinned([]condResult{{c: c}}) {
			return "pins the GitHub repository owner, which says nothing about the account that owns the provider"
		}
		return "does not restrict callers because it does not pin the repository owner as repo:<owner>/... without a wildcard"
	case k == githubOIDCHost+":aud":
		return "does not restrict callers because every GitHub Actions token can carry that audience"
	case strings.HasSuffix(k, ":aud") || strings.HasSuffix(k, ":app_id"):
		host := k[:strings.LastIndexByte(k, ':')]
		if audiencePinned(host, []condResult{{c: c}}) {
			return "fixes the application that tokens must be issued to"
		}
		return "does not restrict callers because it does not fix the audience (a wildcard, IfExists or a set operator)"
	}
	return ""
}
