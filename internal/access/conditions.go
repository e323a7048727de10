package access

import (
	"net/netip"
	"strings"

	"github.com/trustaudit/trustaudit/internal/policy"
)

// keyClass groups condition keys by what a fixed value of theirs says about the caller
// (SEMANTICS.md §3).
type keyClass uint8

const (
	kcNone             keyClass = iota // says nothing about who the caller is
	kcAccount                          // a fixed value names an account
	kcARN                              // account = ARN field 5
	kcOrg                              // a fixed value names an organization
	kcOrgPath                          // a fixed prefix names an OU subtree or organization
	kcVPC                              // bounded, no account
	kcIP                               // bounded unless the CIDR is broad
	kcUserID                           // bounded unless the unique-id part is a wildcard
	kcEventSourceToken                 // bounds service principals (Alexa skills)
	kcWebIdentity                      // audience / subject of a web identity provider (§6)
)

// verdict is what one condition does to a statement's grant.
type verdict uint8

const (
	vIgnored   verdict = iota // does not restrict callers (reason says why)
	vRestricts                // bounds the grant to r
)

// reason says why a condition does not restrict callers; it is turned into English only
// when a finding is reported.
type reason uint8

const (
	rNone reason = iota
	rUnknownOperator
	rForAllValues
	rNegated
	rNotIdentity
	rIfExists
	rOperatorMismatch
	rExternalID
	rResourceKey
	rViaService
	rUsername
	rNotCaller
	rWildcard
	rBroadCIDR
	rWebIdentity
	rAnonymous
)

// condResult is the analysis of one condition.
type condResult struct {
	c       *policy.Condition
	kc      keyClass
	source  bool // an aws:Source* / lambda:EventSourceToken key: pins who a service acts for (§5)
	verdict verdict
	reason  reason
	detail  string // the offending value for rWildcard / rBroadCIDR
	acct    aset   // account dimension when verdict == vRestricts (setAll for org-only keys)
	org     oset
}

// classifyKey maps a lower-case key to its class. alwaysPresent marks the keys IAM puts in
// every request context (anonymous callers get "anonymous"), on which IfExists still restricts.
func classifyKey(k string) (kc keyClass, source, alwaysPresent bool, r reason) {
	switch k {
	case "aws:principalaccount":
		return kcAccount, false, true, rNone
	case "kms:calleraccount":
		return kcAccount, false, false, rNone
	case "aws:sourceaccount", "aws:sourceowner":
		return kcAccount, true, false, rNone
	case "aws:principalarn":
		return kcARN, false, false, rNone
	case "aws:sourcearn":
		return kcARN, true, false, rNone
	case "aws:principalorgid":
		return kcOrg, false, false, rNone
	case "aws:sourceorgid":
		return kcOrg, true, false, rNone
	case "aws:principalorgpaths":
		return kcOrgPath, false, false, rNone
	case "aws:sourceorgpaths":
		return kcOrgPath, true, false, rNone
	case "aws:sourcevpc", "aws:sourcevpce":
		return kcVPC, false, false, rNone
	case "aws:sourceip":
		return kcIP, false, false, rNone
	case "aws:userid":
		return kcUserID, false, true, rNone
	case "lambda:eventsourcetoken":
		return kcEventSourceToken, true, false, rNone
	case "sts:externalid":
		return kcNone, false, false, rExternalID
	case "aws:resourceaccount", "aws:resourceorgid", "aws:resourceorgpaths", "s3:resourceaccount":
		return kcNone, false, false, rResourceKey
	case "kms:viaservice", "aws:calledvia", "aws:calledviafirst", "aws:calledvialast", "aws:viaawsservice":
		return kcNone, false, false, rViaService
	case "aws:username":
		return kcNone, false, false, rUsername
	}
	if isWebIdentityKey(k) {
		return kcWebIdentity, false, false, rWebIdentity
	}
	return kcNone, false, false, rNotCaller
}

// webIdentityHosts are the multi-tenant identity providers: anyone can get a token from
// them, so a trust in them is public unless an audience pins the application (§6).
var webIdentityHosts = []string{
	"cognito-identity.amazonaws.com", "accounts.google.com", "graph.facebook.com", "www.amazon.com",
}

const githubOIDCHost = "token.actions.githubusercontent.com"

func isWebIdentityKey(k string) bool {
	i := strings.LastIndexByte(k, ':')
	if i < 0 {
		return false
	}
	host, name := k[:i], k[i+1:]
	if host == githubOIDCHost {
		return name == "sub" || name == "aud"
	}
	for _, h := range webIdentityHosts {
		if h == host {
			return name == "aud" || name == "app_id" || name == "sub" || name == "amr"
		}
	}
	return false
}

// hasWildcard reports whether a condition value matches more than itself under a Like
// operator: '*', '?' or a policy variable. SEMANTICS.md §3 reads a wildcard as unbounded
// under every operator (the S3 "meaning of public" rule and the safe direction).
func hasWildcard(s string) bool {
	return strings.ContainsAny(s, "*?") || strings.Contains(s, "${")
}

func isPositiveOp(base string) bool {
	switch base {
	case "StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike", "IpAddress":
		return true
	}
	return false
}

func isNegatedOp(base string) bool {
	switch base {
	case "StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "ArnNotEquals", "ArnNotLike", "NotIpAddress":
		return true
	}
	return false
}

// positiveOf maps a negated operator to the positive one whose values it lists.
func positiveOf(base string) string {
	switch base {
	case "StringNotEquals":
		return "StringEquals"
	case "StringNotEqualsIgnoreCase":
		return "StringEqualsIgnoreCase"
	case "StringNotLike":
		return "StringLike"
	case "ArnNotEquals":
		return "ArnEquals"
	case "ArnNotLike":
		return "ArnLike"
	case "NotIpAddress":
		return "IpAddress"
	}
	return base
}

// analyzeCondition decides whether c restricts an Allow statement's callers and to what.
func analyzeCondition(c *policy.Condition) condResult {
	kc, source, always, keyReason := classifyKey(c.KeyLower)
	cr := condResult{c: c, kc: kc, source: source}
	switch {
	case !c.Known:
		cr.reason = rUnknownOperator
		return cr
	case c.Set == policy.ForAllValues:
		cr.reason = rForAllValues
		return cr
	case isNegatedOp(c.Base):
		cr.reason = rNegated
		return cr
	case !isPositiveOp(c.Base):
		cr.reason = rNotIdentity
		return cr
	case kc == kcNone || kc == kcWebIdentity:
		cr.reason = keyReason
		return cr
	case c.IfExists && !always:
		cr.reason = rIfExists
		return cr
	}
	cr.acct, cr.org, cr.verdict, cr.reason, cr.detail = valueSet(kc, c.Base, c.Values)
	return cr
}

// valueSet computes what the values of a restricting operator admit. The values of one key
// are ORed, so one wildcard value makes the whole key unbounded.
func valueSet(kc keyClass, base string, values []string) (acct aset, org oset, v verdict, r reason, detail string) {
	if (kc == kcIP) != (base == "IpAddress") {
		return aset{}, oset{}, vIgnored, rOperatorMismatch, ""
	}
	acct = aset{}
	switch kc {
	case kcAccount:
		for _, val := range values {
			switch {
			case hasWildcard(val):
				return aset{}, oset{}, vIgnored, rWildcard, val
			case strings.EqualFold(val, "anonymous"):
				// aws:PrincipalAccount is "anonymous" for unauthenticated callers.
				return aset{}, oset{}, vIgnored, rAnonymous, val
			case isAccountID(val):
				acct.accts = appendUnique(acct.accts, val)
			}
			// Anything else never equals an account id: that value admits nobody.
		}
	case kcARN:
		for _, val := range values {
			a, ok, wide := arnConditionAccount(val, base)
			switch {
			case wide:
				return aset{}, oset{}, vIgnored, rWildcard, val
			case !ok:
				// never matches a real ARN: this value admits nobody
			case a == "":
				acct.accountless = true
			default:
				acct.accts = appendUnique(acct.accts, a)
			}
		}
	case kcOrg:
		org.set = true
		for _, val := range values {
			if val == "" || hasWildcard(val) {
				return aset{}, oset{}, vIgnored, rWildcard, val
			}
			if isPathScope(val) {
				continue // never equals an organization id: this value admits nobody
			}
			org.scopes = appendUnique(org.scopes, val)
		}
		return setAll, org, vRestricts, rNone, ""
	case kcOrgPath:
		org.set = true
		for _, val := range values {
			sc, ok := orgPathScope(val)
			if !ok {
				return aset{}, oset{}, vIgnored, rWildcard, val
			}
			org.scopes = appendUnique(org.scopes, sc)
		}
		return setAll, org, vRestricts, rNone, ""
	case kcVPC, kcEventSourceToken:
		for _, val := range values {
			if hasWildcard(val) {
				return aset{}, oset{}, vIgnored, rWildcard, val
			}
		}
		acct.accountless = len(values) > 0
	case kcUserID:
		for _, val := range values {
			id := val
			if i := strings.IndexByte(id, ':'); i >= 0 {
				id = id[:i]
			}
			if id == "" || hasWildcard(id) {
				return aset{}, oset{}, vIgnored, rWildcard, val
			}
			if strings.EqualFold(val, "anonymous") {
				return aset{}, oset{}, vIgnored, rAnonymous, val
			}
		}
		acct.accountless = len(values) > 0
	case kcIP:
		for _, val := range values {
			p, ok := parseCIDR(val)
			if !ok {
				continue // not an address: matches nobody
			}
			if broadCIDR(p) {
				return aset{}, oset{}, vIgnored, rBroadCIDR, val
			}
			acct.accountless = true
		}
	}
	return acct, oset{}, vRestricts, rNone, ""
}

// orgPathScope reads the scope an aws:PrincipalOrgPaths or aws:SourceOrgPaths value admits:
// the OU subtree before its first wildcard, cut back to a whole segment, or the
// organization when no more than the organization segment is fixed. ok is false when even
// the organization is not fixed. A value without a wildcard is read as the subtree at that
// path (the safe direction: StringEquals matches only accounts directly in that OU).
func orgPathScope(val string) (scope string, ok bool) {
	p := val
	if i := wildcardIndex(p); i >= 0 {
		p = p[:i]
		j := strings.LastIndexByte(p, '/')
		if j < 0 {
			return "", false // the organization segment itself has a wildcard
		}
		p = p[:j+1]
	} else if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	org := p[:strings.IndexByte(p, '/')]
	if org == "" {
		return "", false
	}
	if len(p) == len(org)+1 {
		return org, true
	}
	return p, true
}

// wildcardIndex is where a value first matches more than itself ('*', '?' or "${"), or -1.
func wildcardIndex(s string) int {
	i := strings.IndexAny(s, "*?")
	if j := strings.Index(s, "${"); j >= 0 && (i < 0 || j < i) {
		i = j
	}
	return i
}

// arnConditionAccount reads the account a fixed ARN condition value names. ok is false for
// a value that can never match a caller's ARN (not an ARN under an Arn operator, or an
// IAM/STS ARN without an account); wide is true for a value that admits every account.
// a == "" with ok means bounded without an account (an S3 bucket ARN, "cloudfront").
func arnConditionAccount(val, base string) (a string, ok, wide bool) {
	if val == "" {
		return "", false, false
	}
	if strings.Trim(val, "*") == "" {
		return "", false, true // "*" matches every ARN under every operator
	}
	if !strings.HasPrefix(val, "arn:") {
		// A Like operator's '*' spans colons, so a non-ARN pattern with a wildcard may
		// match any ARN; under Arn operators it is not an ARN and matches nothing.
		if base == "StringLike" && hasWildcard(val) {
			return "", false, true
		}
		return "", false, false
	}
	var idx [5]int
	n := 0
	for i := 0; i < len(val) && n < 5; i++ {
		if val[i] == ':' {
			idx[n] = i
			n++
		}
	}
	if n < 4 {
		if base == "StringLike" && hasWildcard(val) {
			return "", false, true
		}
		return "", false, false
	}
	end := len(val)
	if n == 5 {
		end = idx[4]
	}
	service := val[idx[1]+1 : idx[2]]
	account := val[idx[3]+1 : end]
	switch {
	case hasWildcard(account):
		return "", false, true
	case isAccountID(account):
		return account, true, false
	case account == "":
		if service == "iam" || service == "sts" || n < 5 {
			return "", false, false // an IAM ARN always has an account: matches nobody
		}
		if strings.Trim(val[idx[4]+1:], "*") == "" {
			return "", false, true // arn:aws:s3:::* is every bucket
		}
		return "", true, false
	}
	return "", true, false
}

func parseCIDR(s string) (netip.Prefix, bool) {
	if strings.IndexByte(s, '/') >= 0 {
		p, err := netip.ParsePrefix(s)
		return p, err == nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, a.BitLen()), true
}

// broadCIDR applies the S3 "meaning of public" thresholds: an IPv4 range wider than /8 or
// an IPv6 range wider than /32 is public.
func broadCIDR(p netip.Prefix) bool {
	if p.Addr().Is4() || p.Addr().Is4In6() {
		bits := p.Bits()
		if p.Addr().Is4In6() {
			bits -= 96
		}
		return bits < 8
	}
	return p.Bits() < 32
}

func isPerimeterClass(kc keyClass) bool {
	switch kc {
	case kcAccount, kcARN, kcOrg, kcOrgPath, kcVPC:
		return true
	}
	return false
}
