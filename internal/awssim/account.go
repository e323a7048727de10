package awssim

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/trustaudit/trustaudit/internal/world"
)

// Account (REST-JSON): ListRegions and GetRegionOptStatus, which a scan uses to learn which
// regions an account has opted in to before it calls regional services there.

func init() {
	handleREST("account", "POST", "/listRegions", "ListRegions", accountListRegions)
	handleREST("account", "POST", "/getRegionOptStatus", "GetRegionOptStatus", accountGetRegionOptStatus)
}

// accountEmail is the account's root email; a world that gives none gets a placeholder in
// the documentation domain.
func accountEmail(a *world.Account) string {
	if a == nil {
		return ""
	}
	if a.Email != "" {
		return a.Email
	}
	return "aws+" + a.ID + "@example.com"
}

func optInStatus(r *world.Region) string {
	if r.OptInStatus == "" {
		return world.OptInEnabledByDefault
	}
	return r.OptInStatus
}

func accountValidation(msg string) *APIError {
	return &APIError{Status: 400, Code: "ValidationException", Sender: true, Message: msg}
}

// targetAccount resolves the optional AccountId parameter: the caller's own account, or a
// member account when the caller is the organization's management account.
func (s *Server) targetAccount(c *Call, id *string) (*world.Account, error) {
	if id == nil || *id == "" || *id == c.Account {
		a := s.account(c.Account)
		if a == nil {
			return nil, &APIError{Status: 403, Code: "UnrecognizedClientException", Sender: true, Message: "The security token included in the request is invalid."}
		}
		return a, nil
	}
	o := s.world.Organization
	target := s.account(*id)
	if o == nil || o.ManagementAccount != c.Account || target == nil {
		return nil, &APIError{Status: 403, Code: "AccessDeniedException", Sender: true,
			Message: fmt.Sprintf("User: %s is not authorized to perform: account:ListRegions on resource: arn:aws:account::%s:account", c.CallerARN, *id)}
	}
	return target, nil
}

var validOptStatuses = map[string]bool{"ENABLED": true, "ENABLING": true, "DISABLING": true, "DISABLED": true, "ENABLED_BY_DEFAULT": true}

func accountListRegions(s *Server, c *Call) (int, any, error) {
	var in struct {
		AccountID               *string  `json:"AccountId"`
		MaxResults              *int     `json:"MaxResults"`
		NextToken               *string  `json:"NextToken"`
		RegionOptStatusContains []string `json:"RegionOptStatusContains"`
	}
	if e := jsonUnmarshal(c.Body, &in); e != nil {
		return 0, nil, e
	}
	a, err := s.targetAccount(c, in.AccountID)
	if err != nil {
		return 0, nil, err
	}
	max := 50
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 50 {
			return 0, nil, accountValidation(fmt.Sprintf("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 50", *in.MaxResults))
		}
		max = *in.MaxResults
	}
	want := map[string]bool{}
	for _, st := range in.RegionOptStatusContains {
		if !validOptStatuses[st] {
			return 0, nil, accountValidation(fmt.Sprintf("1 validation error detected: Value '%s' at 'regionOptStatusContains' failed to satisfy enum value set: [ENABLED, ENABLING, DISABLING, DISABLED, ENABLED_BY_DEFAULT]", st))
		}
		want[st] = true
	}
	start := 0
	if in.NextToken != nil {
		raw, err := base64.RawURLEncoding.DecodeString(*in.NextToken)
		rest, ok := strings.CutPrefix(string(raw), "regions:")
		n, err2 := strconv.Atoi(rest)
		if err != nil || !ok || err2 != nil || n < 0 || n > len(a.Regions) {
			return 0, nil, accountValidation("The NextToken is invalid.")
		}
		start = n
	}
	type regionJSON struct {
		RegionName      string `json:"RegionName"`
		RegionOptStatus string `json:"RegionOptStatus"`
	}
	out := struct {
		NextToken *string      `json:"NextToken,omitempty"`
		Regions   []regionJSON `json:"Regions"`
	}{Regions: []regionJSON{}}
	i := start
	for ; i < len(a.Regions) && len(out.Regions) < max; i++ {
		r := &a.Regions[i]
		st := optInStatus(r)
		if len(want) > 0 && !want[st] {
			continue
		}
		out.Regions = append(out.Regions, regionJSON{RegionName: r.Name, RegionOptStatus: st})
	}
	if i < len(a.Regions) {
		tok := base64.RawURLEncoding.EncodeToString([]byte("regions:" + strconv.Itoa(i)))
		out.NextToken = &tok
	}
	return 200, out, nil
}

func accountGetRegionOptStatus(s *Server, c *Call) (int, any, error) {
	var in struct {
		AccountID  *string `json:"AccountId"`
		RegionName string  `json:"RegionName"`
	}
	if e := jsonUnmarshal(c.Body, &in); e != nil {
		return 0, nil, e
	}
	a, err := s.targetAccount(c, in.AccountID)
	if err != nil {
		return 0, nil, err
	}
	for i := range a.Regions {
		if a.Regions[i].Name == in.RegionName {
			return 200, map[string]string{"RegionName": in.RegionName, "RegionOptStatus": optInStatus(&a.Regions[i])}, nil
		}
	}
	return 0, nil, accountValidation(fmt.Sprintf("The region %q is not valid for this account.", in.RegionName))
}
