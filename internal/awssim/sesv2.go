package awssim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/trustaudit/trustaudit/internal/world"
)

// SES v2 speaks REST-JSON under /v2/email/ and signs as "ses", like v1. It reads and writes
// the very policies v1 does (ses.go).

func init() {
	// The Go SDK lists with POST /v2/email/list-identities (which carries a Filter); the
	// AWS CLI and older SDKs with GET /v2/email/identities. Both are the same operation.
	handleREST("ses", http.MethodGet, "/v2/email/identities", "ListEmailIdentities", sesv2ListEmailIdentities)
	handleREST("ses", http.MethodPost, "/v2/email/list-identities", "ListEmailIdentities", sesv2ListEmailIdentities)
	handleREST("ses", http.MethodGet, "/v2/email/identities/{EmailIdentity}", "GetEmailIdentity", sesv2GetEmailIdentity)
	handleREST("ses", http.MethodGet, "/v2/email/identities/{EmailIdentity}/policies", "GetEmailIdentityPolicies", sesv2GetEmailIdentityPolicies)
	handleREST("ses", http.MethodPost, "/v2/email/identities/{EmailIdentity}/policies/{PolicyName}", "CreateEmailIdentityPolicy", sesv2CreateEmailIdentityPolicy)
	handleREST("ses", http.MethodPut, "/v2/email/identities/{EmailIdentity}/policies/{PolicyName}", "UpdateEmailIdentityPolicy", sesv2UpdateEmailIdentityPolicy)
	handleREST("ses", http.MethodDelete, "/v2/email/identities/{EmailIdentity}/policies/{PolicyName}", "DeleteEmailIdentityPolicy", sesv2DeleteEmailIdentityPolicy)
}

// sesv2DefaultPageSize is what ListEmailIdentities returns without a PageSize.
const sesv2DefaultPageSize = 100

func sesv2Err(status int, code, format string, args ...any) *APIError {
	return &APIError{Status: status, Code: code, Message: fmt.Sprintf(format, args...), Sender: true}
}

func sesv2BadRequest(format string, args ...any) *APIError {
	return sesv2Err(http.StatusBadRequest, "BadRequestException", format, args...)
}

// sesv2IdentityType names an identity type as SES v2 does.
func sesv2IdentityType(t string) string {
	if t == world.SESDomain {
		return "DOMAIN"
	}
	return "EMAIL_ADDRESS"
}

func (s *Server) sesv2Identity(c *Call) (*world.SESIdentity, *APIError) {
	ref := c.PathParams["EmailIdentity"]
	return s.sesIdentityIn(c, ref, nil,
		sesv2Err(http.StatusNotFound, "NotFoundException", "Email identity %s does not exist.", ref))
}

type emailIdentity struct {
	IdentityType       string `json:"IdentityType"`
	IdentityName       string `json:"IdentityName"`
	SendingEnabled     bool   `json:"SendingEnabled"`
	VerificationStatus string `json:"VerificationStatus"`
}

func sesv2ListEmailIdentities(s *Server, c *Call) (int, any, error) {
	r, rerr := s.region(c)
	if rerr != nil {
		return 0, nil, rerr
	}
	var in struct {
		Filter    map[string]string `json:"Filter"`
		NextToken string            `json:"NextToken"`
		PageSize  *int              `json:"PageSize"`
	}
	if len(bytes.TrimSpace(c.Body)) > 0 {
		if err := json.Unmarshal(c.Body, &in); err != nil {
			return 0, nil, sesv2BadRequest("Could not parse the request body: %v", err)
		}
	}
	if t := c.Params.Get("NextToken"); t != "" {
		in.NextToken = t
	}
	if p := c.Params.Get("PageSize"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			return 0, nil, sesv2BadRequest("PageSize must be a number, found %q.", p)
		}
		in.PageSize = &n
	}
	size := sesv2DefaultPageSize
	if in.PageSize != nil {
		if *in.PageSize < 0 || *in.PageSize > 1000 {
			return 0, nil, sesv2BadRequest("PageSize must be between 0 and 1000, found %d.", *in.PageSize)
		}
		if *in.PageSize > 0 {
			size = *in.PageSize
		}
	}
	start := 0
	if in.NextToken != "" {
		pos, ok := sesTokenPos(in.NextToken)
		if !ok {
			return 0, nil, sesv2BadRequest("Invalid NextToken.")
		}
		start = pos
	}
	match := func(id world.SESIdentity) bool { return true }
	for k, v := range in.Filter {
		prev := match
		switch k {
		case "IDENTITY_TYPE":
			match = func(id world.SESIdentity) bool { return prev(id) && sesv2IdentityType(id.Type) == v }
		case "IDENTITY_NAME_CONTAINS":
			match = func(id world.SESIdentity) bool { return prev(id) && strings.Contains(id.Identity, v) }
		case "VERIFICATION_STATUS":
			// Every simulated identity is verified.
			match = func(id world.SESIdentity) bool { return prev(id) && v == "SUCCESS" }
		default:
			return 0, nil, sesv2BadRequest("Invalid filter key %q: expected IDENTITY_TYPE, IDENTITY_NAME_CONTAINS or VERIFICATION_STATUS.", k)
		}
	}
	out := struct {
		EmailIdentities []emailIdentity `json:"EmailIdentities"`
		NextToken       string          `json:"NextToken,omitempty"`
	}{EmailIdentities: []emailIdentity{}}
	i := start
	for ; i < len(r.SESIdentities) && len(out.EmailIdentities) < size; i++ {
		if id := r.SESIdentities[i]; match(id) {
			out.EmailIdentities = append(out.EmailIdentities, emailIdentity{
				IdentityType: sesv2IdentityType(id.Type), IdentityName: id.Identity,
				SendingEnabled: true, VerificationStatus: "SUCCESS",
			})
		}
	}
	if i < len(r.SESIdentities) {
		out.NextToken = sesToken(i)
	}
	return http.StatusOK, out, nil
}

func policiesMap(id *world.SESIdentity) map[string]string {
	m := make(map[string]string, len(id.Policies))
	for k, v := range id.Policies {
		m[k] = string(v)
	}
	return m
}

func sesv2GetEmailIdentity(s *Server, c *Call) (int, any, error) {
	id, err := s.sesv2Identity(c)
	if err != nil {
		return 0, nil, err
	}
	dkim := map[string]any{"SigningEnabled": false, "Status": "NOT_STARTED", "SigningAttributesOrigin": "AWS_SES"}
	if id.Type == world.SESDomain {
		dkim = map[string]any{"SigningEnabled": true, "Status": "SUCCESS", "SigningAttributesOrigin": "AWS_SES",
			"CurrentSigningKeyLength": "RSA_2048_BIT", "NextSigningKeyLength": "RSA_2048_BIT"}
	}
	out := map[string]any{
		"IdentityType":             sesv2IdentityType(id.Type),
		"FeedbackForwardingStatus": true,
		"VerifiedForSendingStatus": true,
		"DkimAttributes":           dkim,
		"MailFromAttributes":       map[string]any{"MailFromDomain": "", "MailFromDomainStatus": "SUCCESS", "BehaviorOnMxFailure": "USE_DEFAULT_VALUE"},
		"Policies":                 policiesMap(id),
		"Tags":                     []any{},
		"VerificationStatus":       "SUCCESS",
	}
	return http.StatusOK, out, nil
}

func sesv2GetEmailIdentityPolicies(s *Server, c *Call) (int, any, error) {
	id, err := s.sesv2Identity(c)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"Policies": policiesMap(id)}, nil
}

func sesv2WritePolicy(s *Server, c *Call, mustExist, mustNotExist bool) (int, any, error) {
	id, err := s.sesv2Identity(c)
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		Policy string `json:"Policy"`
	}
	if jerr := json.Unmarshal(c.Body, &in); jerr != nil {
		return 0, nil, sesv2BadRequest("Could not parse the request body: %v", jerr)
	}
	switch kind, msg := putSESPolicy(id, c.PathParams["PolicyName"], in.Policy, mustExist, mustNotExist); kind {
	case "":
		return http.StatusOK, map[string]any{}, nil
	case "missing":
		return 0, nil, sesv2Err(http.StatusNotFound, "NotFoundException", "%s", msg)
	case "exists":
		return 0, nil, sesv2Err(http.StatusBadRequest, "AlreadyExistsException", "%s", msg)
	case "limit":
		return 0, nil, sesv2Err(http.StatusBadRequest, "LimitExceededException", "%s", msg)
	default:
		return 0, nil, sesv2BadRequest("%s", msg)
	}
}

func sesv2CreateEmailIdentityPolicy(s *Server, c *Call) (int, any, error) {
	return sesv2WritePolicy(s, c, false, true)
}

func sesv2UpdateEmailIdentityPolicy(s *Server, c *Call) (int, any, error) {
	return sesv2WritePolicy(s, c, true, false)
}

func sesv2DeleteEmailIdentityPolicy(s *Server, c *Call) (int, any, error) {
	id, err := s.sesv2Identity(c)
	if err != nil {
		return 0, nil, err
	}
	name := c.PathParams["PolicyName"]
	if _, ok := id.Policies[name]; !ok {
		return 0, nil, sesv2Err(http.StatusNotFound, "NotFoundException", "Policy %s does not exist for identity %s.", name, id.Identity)
	}
	delete(id.Policies, name)
	return http.StatusOK, map[string]any{}, nil
}
