package access

import (
	"strings"

	"github.com/trustaudit/trustaudit/internal/policy"
)

// anyWhy records why a principal admits everyone, for the explanation.
type anyWhy uint8

const (
	anyWildcard        anyWhy = iota // Principal: "*"
	anyAWSStar                       // {"AWS": "*"}
	anyWildcardAccount               // arn:aws:iam::*:root
	anyCanonicalStar                 // {"CanonicalUser": "*"}
	anyNotPrincipal                  // Allow with NotPrincipal
	anyWebIdentity                   // multi-tenant web identity without a fixed audience
	anyGitHub                        // GitHub Actions OIDC without a pinned repository owner
	anyWildcardValue                 // another value with a wildcard
)

type anyRef struct {
	raw string
	why anyWhy
}

// acctRef is a principal that names an account.
type acctRef struct {
	raw  string
	acct string
}

// pset is what an Allow statement's principal element names, before conditions.
type pset struct {
	any         []anyRef
	accts       []acctRef
	services    []string
	accountless []string // web identities pinned to an application by an audience condition
}

// named is what the principal element admits by name: accounts, and web identities pinned
// to an application (bounded, but naming no account).
func (p *pset) named() aset {
	g := aset{accountless: len(p.accountless) > 0}
	for _, a := range p.accts {
		g.accts = appendUnique(g.accts, a.acct)
	}
	return g
}

func (p *pset) hasCallers() bool {
	return len(p.any) > 0 || len(p.accts) > 0 || len(p.accountless) > 0
}

// classifyPrincipals reads an Allow statement's principal element (SEMANTICS.md §2, §6).
func classifyPrincipals(st *policy.Statement, crs []condResult) pset {
	var ps pset
	if np := st.NotPrincipal; np != nil {
		// Allow + NotPrincipal admits everyone not listed, anonymous callers included.
		ps.any = append(ps.any, anyRef{raw: principalText(np), why: anyNotPrincipal})
		return ps
	}
	p := st.Principal
	if p == nil {
		return ps
	}
	if p.Wildcard {
		ps.any = append(ps.any, anyRef{raw: "*", why: anyWildcard})
	}
	for _, v := range p.AWS {
		classifyAWS(v, &ps)
	}
	for _, v := range p.CanonicalUser {
		if v == "*" {
			ps.any = append(ps.any, anyRef{raw: v, why: anyCanonicalStar})
		}
		// A specific canonical user id names an account that cannot be derived offline.
	}
	ps.services = append(ps.services, p.Service...)
	for _, v := range p.Federated {
		classifyFederated(v, crs, &ps)
	}
	return ps
}

func classifyAWS(v string, ps *pset) {
	if v == "*" {
		ps.any = append(ps.any, anyRef{raw: v, why: anyAWSStar})
		return
	}
	if isAccountID(v) {
		ps.accts = append(ps.accts, acctRef{raw: v, acct: v})
		return
	}
	if strings.HasPrefix(v, "arn:") {
		acct, _, ok := arnAccountField(v)
		switch {
		case !ok:
			if hasWildcard(v) {
				ps.any = append(ps.any, anyRef{raw: v, why: anyWildcardValue})
			}
		case hasWildcard(acct):
			// AWS refuses wildcards here, but the only safe reading is "every account".
			ps.any = append(ps.any, anyRef{raw: v, why: anyWildcardAccount})
		case isAccountID(acct):
			ps.accts = append(ps.accts, acctRef{raw: v, acct: acct})
		}
		// "cloudfront" (an origin access identity, owned by the resource owner) and other
		// account fields name nobody outside.
		return
	}
	// Unique ids (AIDA..., AROA...) replace a deleted principal and match nobody.
	if hasWildcard(v) {
		ps.any = append(ps.any, anyRef{raw: v, why: anyWildcardValue})
	}
}

// arnAccountField returns field 5 of an ARN-like string and the rest after it; ok is false
// when the string has fewer than five fields. Malformed ARNs such as
// arn:aws:iam::012345678910 still name their account.
func arnAccountField(v string) (acct, resource string, ok bool) {
	n, start := 0, 0
	for i := 0; i < len(v); i++ {
		if v[i] != ':' {
			continue
		}
		n++
		if n == 4 {
			start = i + 1
		} else if n == 5 {
			return v[start:i], v[i+1:], true
		}
	}
	if n == 4 {
		return v[start:], "", true
	}
	return "", "", false
}

func classifyFederated(v string, crs []condResult, ps *pset) {
	if strings.HasPrefix(v, "arn:") {
		acct, resource, ok := arnAccountField(v)
		if !ok {
			if hasWildcard(v) {
				ps.any = append(ps.any, anyRef{raw: v, why: anyWildcardValue})
			}
			return
		}
		if hasWildcard(acct) {
			ps.any = append(ps.any, anyRef{raw: v, why: anyWildcardAccount})
			return
		}
		if host, isOIDC := strings.CutPrefix(resource, "oidc-provider/"); isOIDC {
			if host == githubOIDCHost || strings.HasPrefix(host, githubOIDCHost+"/") {
				if !githubSubPinned(crs) {
					ps.any = append(ps.any, anyRef{raw: v, why: anyGitHub})
					return
				}
			} else if isWebIdentityHost(host) && !audiencePinned(host, crs) {
				ps.any = append(ps.any, anyRef{raw: v, why: anyWebIdentity})
				return
			}
		}
		if isAccountID(acct) {
			// SAML providers and single-tenant OIDC providers belong to one account.
			ps.accts = append(ps.accts, acctRef{raw: v, acct: acct})
		}
		return
	}
	// A bare host is a web identity provider that anyone can sign in to.
	if audiencePinned(v, crs) {
		ps.accountless = append(ps.accountless, v)
		return
	}
	ps.any = append(ps.any, anyRef{raw: v, why: anyWebIdentity})
}

func isWebIdentityHost(h string) bool {
	for _, w := range webIdentityHosts {
		if w == h {
			return true
		}
	}
	return false
}

// audiencePinned reports whether a positive condition fixes the application id of tokens
// from host (<host>:aud or <host>:app_id, the keys Access Analyzer uses).
func audiencePinned(host string, crs []condResult) bool {
	for i := range crs {
		c := crs[i].c
		k := c.KeyLower
		if len(k) <= len(host) || !strings.EqualFold(k[:len(host)], host) || k[len(host)] != ':' {
			continue
		}
		if name := k[len(host)+1:]; name != "aud" && name != "app_id" {
			continue
		}
		if positiveFixed(c, func(v string) bool { return v != "" && !hasWildcard(v) }) {
			return true
		}
	}
	return false
}

// githubSubPinned reports whether token.actions.githubusercontent.com:sub pins at least
// the repository owner ("repo:<org>/...") without a wildcard in the owner.
func githubSubPinned(crs []condResult) bool {
	for i := range crs {
		c := crs[i].c
		if c.KeyLower != githubOIDCHost+":sub" {
			continue
		}
		if positiveFixed(c, func(v string) bool {
			rest, ok := strings.CutPrefix(v, "repo:")
			if !ok {
				return false
			}
			slash := strings.IndexByte(rest, '/')
			return slash > 0 && !hasWildcard(rest[:slash])
		}) {
			return true
		}
	}
	return false
}

// positiveFixed reports whether c is a positive string comparison that holds only when the
// key is present and every value passes ok.
func positiveFixed(c *policy.Condition, ok func(string) bool) bool {
	if !c.Known || c.Set == policy.ForAllValues || c.IfExists || len(c.Values) == 0 {
		return false
	}
	switch c.Base {
	case "StringEquals", "StringEqualsIgnoreCase", "StringLike":
	default:
		return false
	}
	for _, v := range c.Values {
		if !ok(v) {
			return false
		}
	}
	return true
}

// principalText renders a principal element compactly for explanations.
func principalText(p *policy.Principal) string {
	var parts []string
	if p.Wildcard {
		parts = append(parts, `"*"`)
	}
	parts = append(parts, p.AWS...)
	for _, s := range p.Service {
		parts = append(parts, "service "+s)
	}
	for _, s := range p.Federated {
		parts = append(parts, "federated "+s)
	}
	for _, s := range p.CanonicalUser {
		parts = append(parts, "canonical user "+s)
	}
	return strings.Join(parts, ", ")
}
