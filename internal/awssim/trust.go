package awssim

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
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
	d, err := parseDocument(doc)
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
			if wildMatch(strings.ToLower(a), strings.ToLower(action)) {
				return false
			}
		}
		return true
	}
	for _, a := range st.Action {
		if wildMatch(strings.ToLower(a), strings.ToLower(action)) {
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
		case "StringLike", "ArnLike":
			hit = anyLike(c.Values, value)
		case "StringNotLike", "ArnNotLike":
			hit = !anyLike(c.Values, value)
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

func anyLike(values []string, v string) bool {
	for _, x := range values {
		if wildMatch(x, v) {
			return true
		}
	}
	return false
}

// wildMatch matches IAM's * and ? wildcards (no character classes, unlike path.Match).
func wildMatch(pattern, s string) bool {
	if !strings.ContainsAny(pattern, "*?") {
		return pattern == s
	}
	// path.Match treats [ and \ specially and stops * at /; escape and translate.
	var b strings.Builder
	for _, r := range pattern {
		switch r {
		case '[', ']', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '/':
			b.WriteRune('\x00')
		default:
			b.WriteRune(r)
		}
	}
	ok, err := path.Match(b.String(), strings.ReplaceAll(s, "/", "\x00"))
	return err == nil && ok
}

// parseDocument reads a policy into the shared model. It accepts what IAM accepts in a trust
// policy: string-or-list fields, a principal that is "*" or a map of lists.
func parseDocument(text string) (*policy.Document, error) {
	var raw struct {
		Version   string
		ID        string `json:"Id"`
		Statement json.RawMessage
	}
	if err := json.Unmarshal([]byte(text), &raw); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if len(raw.Statement) == 0 {
		return nil, errors.New("missing Statement")
	}
	var stmts []json.RawMessage
	if strings.HasPrefix(strings.TrimSpace(string(raw.Statement)), "{") {
		stmts = []json.RawMessage{raw.Statement}
	} else if err := json.Unmarshal(raw.Statement, &stmts); err != nil {
		return nil, fmt.Errorf("Statement: %w", err)
	}
	d := &policy.Document{Version: raw.Version, ID: raw.ID}
	for i, rs := range stmts {
		var s struct {
			Sid          string
			Effect       string
			Principal    json.RawMessage
			NotPrincipal json.RawMessage
			Action       json.RawMessage
			NotAction    json.RawMessage
			Resource     json.RawMessage
			Condition    map[string]map[string]json.RawMessage
		}
		if err := json.Unmarshal(rs, &s); err != nil {
			return nil, fmt.Errorf("Statement[%d]: %w", i, err)
		}
		st := policy.Statement{Index: i, Sid: s.Sid, Effect: policy.Effect(s.Effect)}
		if st.Effect != policy.Allow && st.Effect != policy.Deny {
			return nil, fmt.Errorf("Statement[%d].Effect: expected Allow or Deny", i)
		}
		var err error
		if st.Principal, err = parsePrincipal(s.Principal); err != nil {
			return nil, fmt.Errorf("Statement[%d].Principal: %w", i, err)
		}
		if st.NotPrincipal, err = parsePrincipal(s.NotPrincipal); err != nil {
			return nil, fmt.Errorf("Statement[%d].NotPrincipal: %w", i, err)
		}
		if st.Action, st.HasAction, err = stringOrList(s.Action); err != nil {
			return nil, fmt.Errorf("Statement[%d].Action: %w", i, err)
		}
		if st.NotAction, st.HasNotAction, err = stringOrList(s.NotAction); err != nil {
			return nil, fmt.Errorf("Statement[%d].NotAction: %w", i, err)
		}
		if st.Resource, st.HasResource, err = stringOrList(s.Resource); err != nil {
			return nil, fmt.Errorf("Statement[%d].Resource: %w", i, err)
		}
		for op, keys := range s.Condition {
			base := op
			set := policy.SetNone
			if b, ok := strings.CutPrefix(base, "ForAnyValue:"); ok {
				base, set = b, policy.ForAnyValue
			} else if b, ok := strings.CutPrefix(base, "ForAllValues:"); ok {
				base, set = b, policy.ForAllValues
			}
			base, ifExists := strings.CutSuffix(base, "IfExists")
			for k, rv := range keys {
				vals, _, err := stringOrList(rv)
				if err != nil {
					return nil, fmt.Errorf("Statement[%d].Condition.%s.%s: %w", i, op, k, err)
				}
				st.Conditions = append(st.Conditions, policy.Condition{Operator: op, Base: base, Known: true, Set: set,
					IfExists: ifExists, Key: k, KeyLower: strings.ToLower(k), Values: vals})
			}
		}
		d.Statements = append(d.Statements, st)
	}
	return d, nil
}

func parsePrincipal(raw json.RawMessage) (*policy.Principal, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var star string
	if err := json.Unmarshal(raw, &star); err == nil {
		if star == "*" {
			return &policy.Principal{Wildcard: true}, nil
		}
		return &policy.Principal{AWS: []string{star}}, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, errors.New(`expected "*" or an object`)
	}
	p := &policy.Principal{}
	for k, v := range m {
		vals, _, err := stringOrList(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		switch k {
		case "AWS":
			p.AWS = vals
		case "Service":
			p.Service = vals
		case "Federated":
			p.Federated = vals
		case "CanonicalUser":
			p.CanonicalUser = vals
		default:
			return nil, fmt.Errorf("unknown principal type %q", k)
		}
	}
	return p, nil
}

// stringOrList reads a string, a list of strings, or (for condition values) booleans and
// numbers rendered as JSON would.
func stringOrList(raw json.RawMessage) ([]string, bool, error) {
	if len(raw) == 0 {
		return nil, false, nil
	}
	var one any
	if err := json.Unmarshal(raw, &one); err != nil {
		return nil, false, err
	}
	scalar := func(v any) (string, error) {
		switch x := v.(type) {
		case string:
			return x, nil
		case bool, float64:
			b, _ := json.Marshal(x)
			return string(b), nil
		default:
			return "", errors.New("expected a string or a list of strings")
		}
	}
	if list, ok := one.([]any); ok {
		out := make([]string, 0, len(list))
		for _, v := range list {
			s, err := scalar(v)
			if err != nil {
				return nil, false, err
			}
			out = append(out, s)
		}
		return out, true, nil
	}
	s, err := scalar(one)
	if err != nil {
		return nil, false, err
	}
	return []string{s}, true, nil
}
