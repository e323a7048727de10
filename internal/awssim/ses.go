package awssim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/trustaudit/trustaudit/internal/world"
)

// SES v1 speaks the query protocol (xmlns http://ses.amazonaws.com/doc/2010-12-01/). Only
// identities and their sending-authorization policies are simulated; the policies are the
// same ones SES v2 reads and writes (sesv2.go), as in AWS.

func init() {
	handleQuery("ses", "ListIdentities", sesListIdentities)
	handleQuery("ses", "ListIdentityPolicies", sesListIdentityPolicies)
	handleQuery("ses", "GetIdentityPolicies", sesGetIdentityPolicies)
	handleQuery("ses", "PutIdentityPolicy", sesPutIdentityPolicy)
	handleQuery("ses", "DeleteIdentityPolicy", sesDeleteIdentityPolicy)
}

const (
	// sesMaxPolicies is the per-identity policy limit.
	sesMaxPolicies = 20
	// sesPolicyLimit is the documented size limit of one identity policy (4 KB).
	sesPolicyLimit = 4096
)

func sesErr(code, format string, args ...any) *APIError {
	return &APIError{Status: http.StatusBadRequest, Code: code, Message: fmt.Sprintf(format, args...), Sender: true}
}

// --- shared identity state (v1 and v2) ------------------------------------------------------

// sesIndex maps lower-cased identity names to slice positions for one (account, region).
// Entries are verified on use and the index is rebuilt when the world changed under it.
type sesIndex map[string]int

func (s *Server) sesIndexFor(c *Call, r *world.Region, rebuild bool) sesIndex {
	all := extState(s, "ses", func() map[string]sesIndex { return map[string]sesIndex{} })
	key := c.Account + "/" + r.Name
	idx := all[key]
	if rebuild || idx == nil || len(idx) != len(r.SESIdentities) {
		idx = make(sesIndex, len(r.SESIdentities))
		for i, id := range r.SESIdentities {
			idx[strings.ToLower(id.Identity)] = i
		}
		all[key] = idx
	}
	return idx
}

// sesIdentityName accepts an identity as a name or as its ARN
// (arn:aws:ses:us-east-1:123456789012:identity/example.com).
func sesIdentityName(c *Call, ref string) string {
	if strings.HasPrefix(ref, "arn:") {
		parts := strings.SplitN(ref, ":", 6)
		if len(parts) == 6 && parts[2] == "ses" && parts[3] == c.Region && parts[4] == c.Account && strings.HasPrefix(parts[5], "identity/") {
			return strings.TrimPrefix(parts[5], "identity/")
		}
	}
	return ref
}

// findSESIdentity returns the identity, or nil when the caller does not own it here.
func (s *Server) findSESIdentity(c *Call, r *world.Region, ref string) *world.SESIdentity {
	key := strings.ToLower(sesIdentityName(c, ref))
	for _, rebuild := range []bool{false, true} {
		i, ok := s.sesIndexFor(c, r, rebuild)[key]
		if !ok {
			return nil
		}
		if i < len(r.SESIdentities) && strings.ToLower(r.SESIdentities[i].Identity) == key {
			return &r.SESIdentities[i]
		}
	}
	return nil
}

var sesPolicyNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

func checkSESPolicyName(name string) string {
	if !sesPolicyNameRE.MatchString(name) {
		return fmt.Sprintf("Policy name %q is not valid: it must be 1-64 characters of letters, digits, dashes and underscores.", name)
	}
	return ""
}

// checkSESPolicy validates a sending-authorization policy the way SES does before storing
// it, and returns why it is refused ("" when it is accepted).
func checkSESPolicy(doc string) string {
	if len(doc) > sesPolicyLimit {
		return fmt.Sprintf("Policy size (%d bytes) exceeds the limit of %d bytes.", len(doc), sesPolicyLimit)
	}
	var d map[string]json.RawMessage
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return "Policy is not valid JSON."
	}
	raw := bytes.TrimSpace(d["Statement"])
	var sts []map[string]json.RawMessage
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return "Policy has no statements."
	case raw[0] == '[':
		if err := json.Unmarshal(raw, &sts); err != nil {
			return "Policy has an invalid statement list."
		}
	default:
		var one map[string]json.RawMessage
		if err := json.Unmarshal(raw, &one); err != nil {
			return "Policy has an invalid statement."
		}
		sts = append(sts, one)
	}
	if len(sts) == 0 {
		return "Policy has no statements."
	}
	for i, st := range sts {
		var effect string
		if err := json.Unmarshal(st["Effect"], &effect); err != nil || (effect != "Allow" && effect != "Deny") {
			return fmt.Sprintf("Statement %d has an invalid effect: expected Allow or Deny.", i+1)
		}
		if len(bytes.TrimSpace(st["Principal"])) == 0 {
			return fmt.Sprintf("Statement %d has no principal.", i+1)
		}
		if len(bytes.TrimSpace(st["Action"])) == 0 {
			return fmt.Sprintf("Statement %d has no action.", i+1)
		}
	}
	return ""
}

// putSESPolicy stores a policy after the checks both API versions share; it returns the
// refusal as (kind, message) so each version can name it its own way.
func putSESPolicy(id *world.SESIdentity, name, doc string, mustExist, mustNotExist bool) (kind, msg string) {
	if m := checkSESPolicyName(name); m != "" {
		return "name", m
	}
	_, exists := id.Policies[name]
	switch {
	case mustExist && !exists:
		return "missing", fmt.Sprintf("Policy %s does not exist for identity %s.", name, id.Identity)
	case mustNotExist && exists:
		return "exists", fmt.Sprintf("Policy %s already exists for identity %s.", name, id.Identity)
	}
	if m := checkSESPolicy(doc); m != "" {
		return "policy", m
	}
	if !exists && len(id.Policies) >= sesMaxPolicies {
		return "limit", fmt.Sprintf("Identity %s already has the maximum of %d policies.", id.Identity, sesMaxPolicies)
	}
	if id.Policies == nil {
		id.Policies = map[string]world.Policy{}
	}
	id.Policies[name] = world.Policy(doc)
	return "", ""
}

func sortedPolicyNames(p map[string]world.Policy) []string {
	names := make([]string, 0, len(p))
	for n := range p {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// sesToken is an opaque position in an identity listing.
func sesToken(pos int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("ses:" + strconv.Itoa(pos)))
}

func sesTokenPos(tok string) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || !strings.HasPrefix(string(b), "ses:") {
		return 0, false
	}
	n, err := strconv.Atoi(string(b[4:]))
	return n, err == nil && n >= 0
}

// --- v1 handlers ------------------------------------------------------------------------

type sesMembers struct {
	Members []string `xml:"member"`
}

type sesEmpty struct{}

// sesIdentityIn is the identity ref names in the call's region, for SES v1 and v2 alike: null
// is the error for an empty ref (nil: none), missing the error for an identity not found.
func (s *Server) sesIdentityIn(c *Call, ref string, null, missing *APIError) (*world.SESIdentity, *APIError) {
	r, err := s.region(c)
	if err != nil {
		return nil, err
	}
	if null != nil && ref == "" {
		return nil, null
	}
	id := s.findSESIdentity(c, r, ref)
	if id == nil {
		return nil, missing
	}
	return id, nil
}

// sesV1Identity is the identity of the Identity parameter. The owner-only operations refuse an
// identity the caller has not verified.
func (s *Server) sesV1Identity(c *Call) (*world.SESIdentity, *APIError) {
	ref := c.Params.Get("Identity")
	return s.sesIdentityIn(c, ref,
		sesErr("ValidationError", "1 validation error detected: Value null at 'identity' failed to satisfy constraint: Member must not be null"),
		sesErr("InvalidParameterValue", "Identity %s does not exist.", ref))
}

func sesListIdentities(s *Server, c *Call) (any, error) {
	r, rerr := s.region(c)
	if rerr != nil {
		return nil, rerr
	}
	typ := c.Params.Get("IdentityType")
	if typ != "" && typ != world.SESEmailAddress && typ != world.SESDomain {
		return nil, sesErr("ValidationError", "1 validation error detected: Value '%s' at 'identityType' failed to satisfy constraint: Member must satisfy enum value set: [EmailAddress, Domain]", typ)
	}
	size := 1000
	if m := c.Params.Get("MaxItems"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 1 || n > 1000 {
			return nil, sesErr("InvalidParameterValue", "MaxItems must be between 1 and 1000, found %s.", m)
		}
		size = n
	}
	start := 0
	if t := c.Params.Get("NextToken"); t != "" {
		pos, ok := sesTokenPos(t)
		if !ok {
			return nil, sesErr("InvalidParameterValue", "Invalid NextToken.")
		}
		start = pos
	}
	out := struct {
		Identities sesMembers `xml:"Identities"`
		NextToken  string     `xml:"NextToken,omitempty"`
	}{}
	i := start
	for ; i < len(r.SESIdentities) && len(out.Identities.Members) < size; i++ {
		if id := r.SESIdentities[i]; typ == "" || id.Type == typ {
			out.Identities.Members = append(out.Identities.Members, id.Identity)
		}
	}
	if i < len(r.SESIdentities) {
		out.NextToken = sesToken(i)
	}
	return out, nil
}

func sesListIdentityPolicies(s *Server, c *Call) (any, error) {
	id, err := s.sesV1Identity(c)
	if err != nil {
		return nil, err
	}
	out := struct {
		PolicyNames sesMembers `xml:"PolicyNames"`
	}{}
	out.PolicyNames.Members = sortedPolicyNames(id.Policies)
	return out, nil
}

type sesPolicyEntry struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

func sesGetIdentityPolicies(s *Server, c *Call) (any, error) {
	id, err := s.sesV1Identity(c)
	if err != nil {
		return nil, err
	}
	var names []string
	for n := 1; ; n++ {
		v, ok := c.Params["PolicyNames.member."+strconv.Itoa(n)]
		if !ok || len(v) == 0 {
			break
		}
		names = append(names, v[0])
	}
	if len(names) > sesMaxPolicies {
		return nil, sesErr("InvalidParameterValue", "At most %d policy names can be requested at once, found %d.", sesMaxPolicies, len(names))
	}
	out := struct {
		Policies struct {
			Entries []sesPolicyEntry `xml:"entry"`
		} `xml:"Policies"`
	}{}
	seen := map[string]bool{}
	for _, n := range names {
		if doc, ok := id.Policies[n]; ok && !seen[n] {
			seen[n] = true
			out.Policies.Entries = append(out.Policies.Entries, sesPolicyEntry{Key: n, Value: string(doc)})
		}
	}
	return out, nil
}

func sesPutIdentityPolicy(s *Server, c *Call) (any, error) {
	id, err := s.sesV1Identity(c)
	if err != nil {
		return nil, err
	}
	switch kind, msg := putSESPolicy(id, c.Params.Get("PolicyName"), c.Params.Get("Policy"), false, false); kind {
	case "":
		return sesEmpty{}, nil
	case "policy":
		return nil, sesErr("InvalidPolicy", "%s", msg)
	case "limit":
		return nil, sesErr("LimitExceeded", "%s", msg)
	default:
		return nil, sesErr("InvalidParameterValue", "%s", msg)
	}
}

func sesDeleteIdentityPolicy(s *Server, c *Call) (any, error) {
	id, err := s.sesV1Identity(c)
	if err != nil {
		return nil, err
	}
	name := c.Params.Get("PolicyName")
	if m := checkSESPolicyName(name); m != "" {
		return nil, sesErr("InvalidParameterValue", "%s", m)
	}
	// Deleting a policy that is not there succeeds, as in AWS.
	delete(id.Policies, name)
	return sesEmpty{}, nil
}
