package awssim

import (
	"strings"

	"github.com/trustaudit/trustaudit/internal/policy"
)

// assumeRequest is what IAM knows about an sts:AssumeRole call when it reads the target
// role's trust policy.
type assumeRequest struct {
	caller        principal
	externalID    string
	hasExternalID bool
	orgID         string
}

// trustAllows evaluates a role trust policy for sts:AssumeRole the way IAM does for the
// shapes trustaudit meets: an explicit Deny wins; otherwise an Allow statement whose
// action covers sts:AssumeRole and whose principal is "*", {"AWS":"*"}, the caller's
// account (id or root ARN), the caller's exact ARN, or (for a role session) the role's ARN.
// Conditions on sts:ExternalId, aws:PrincipalAccount, aws:PrincipalArn and
// aws:PrincipalOrgID are honoured; an Allow with any other condition key does not apply
// (a simulator that guessed would let a scan in where AWS would not).
func trustAllows(doc string, req assumeRequest) bool {
	d, err := policy.ParseString(doc)
	if err != nil {
		return false
	}
	allowed := false
	for _, st := range d.Statements {
		if !actionCovers(st, "sts:AssumeRole") || !principalCovers(st, req.caller) {
			continue
		}
		ok, known := conditionsHold(st.Conditions, req)
		switch st.Effect {
		case policy.Deny:
			if known && ok {
				return false
			}
		case policy.Allow:
			if known && ok {
				allowed = true
			}
		}
	}
	return allowed
}

func actionCovers(st policy.Statement, action string) bool {
	if st.HasNotAction {
		for _, a := range st.NotAction {
			if policy.MatchFold(a, action) {
				return false
			}
		}
		return true
	}
	for _, a := range st.Action {
		if policy.MatchFold(a, action) {
			return true
		}
	}
	return false
}

func principalCovers(st policy.Statement, p principal) bool {
	pr := st.Principal
	if pr == nil {
		return false // NotPrincipal with Allow is not a shape trustaudit's scans rely on
	}
	if pr.Wildcard {
		return true
	}
	for _, v := range pr.AWS {
		switch v {
		case "*", p.Account, "arn:aws:iam::" + p.Account + ":root", p.ARN:
			return true
		}
		if p.RoleARN != "" && v == p.RoleARN {
			return true
		}
	}
	return false
}

// conditionsHold evaluates the conditions it knows; known is false when a condition uses a
// key or operator it cannot judge.
func conditionsHold(conds []policy.Condition, req assumeRequest) (ok, known bool) {
	for _, c := range conds {
		if !c.Known || c.Set != policy.SetNone {
			return false, false
		}
		var value string
		present := true
		switch c.KeyLower {
		case "sts:externalid":
			value, present = req.externalID, req.hasExternalID
		case "aws:principalaccount":
			value = req.caller.Account
		case "aws:principalarn":
			value = req.caller.ARN
			if req.caller.RoleARN != "" {
				value = req.caller.RoleARN
			}
		case "aws:principalorgid":
			value, present = req.orgID, req.orgID != ""
		default:
			return false, false
		}
		if !present {
			if c.IfExists {
				continue
			}
			if c.Base == "Null" {
				if !anyEqual(c.Values, "true", false) {
					return false, true
				}
				continue
			}
			return false, true
		}
		var hit bool
		switch c.Base {
		case "StringEquals", "ArnEquals":
			hit = anyEqual(c.Values, value, false)
		case "StringEqualsIgnoreCase":
			hit = anyEqual(c.Values, value, true)
		case "StringNotEquals", "ArnNotEquals":
			hit = !anyEqual(c.Values, value, false)
		case "StringLike":
			hit = anyLike(c.Values, value, policy.Match)
		case "StringNotLike":
			hit = !anyLike(c.Values, value, policy.Match)
		case "ArnLike":
			hit = anyLike(c.Values, value, policy.MatchARN)
		case "ArnNotLike":
			hit = !anyLike(c.Values, value, policy.MatchARN)
		case "Null":
			hit = anyEqual(c.Values, "false", false)
		default:
			return false, false
		}
		if !hit {
			return false, true
		}
	}
	return true, true
}

func anyEqual(values []string, v string, fold bool) bool {
	for _, x := range values {
		if x == v || (fold && strings.EqualFold(x, v)) {
			return true
		}
	}
	return false
}

func anyLike(values []string, v string, match func(pattern, value string) bool) bool {
	for _, x := range values {
		if match(x, v) {
			return true
		}
	}
	return false
}
