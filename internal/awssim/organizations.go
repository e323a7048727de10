package awssim

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Organizations (JSON 1.1): DescribeOrganization and ListAccounts, which an organization-wide
// scan uses to find its member accounts. Organizations is global.
//
// Only the organization's management account may call ListAccounts: any other account
// (a member, unless it is a delegated administrator, which the world does not model) gets
// AccessDeniedException, as AWS answers. DescribeOrganization works from every member.

const orgsTarget = "AWSOrganizationsV20161128."

func init() {
	handleJSON("organizations", orgsTarget+"DescribeOrganization", orgsDescribeOrganization)
	handleJSON("organizations", orgsTarget+"ListAccounts", orgsListAccounts)
}

type orgJSON struct {
	Arn                  string `json:"Arn"`
	AvailablePolicyTypes []any  `json:"AvailablePolicyTypes"`
	FeatureSet           string `json:"FeatureSet"`
	ID                   string `json:"Id"`
	MasterAccountArn     string `json:"MasterAccountArn"`
	MasterAccountEmail   string `json:"MasterAccountEmail"`
	MasterAccountID      string `json:"MasterAccountId"`
}

func notInOrg() *APIError {
	return &APIError{Status: 400, Code: "AWSOrganizationsNotInUseException", Sender: true,
		Message: "Your account is not a member of an organization."}
}

func (s *Server) orgOfCaller(c *Call) (*orgJSON, error) {
	o := s.world.Organization
	if o == nil || s.account(c.Account) == nil {
		return nil, notInOrg()
	}
	mgmt := s.account(o.ManagementAccount)
	return &orgJSON{
		Arn:                  fmt.Sprintf("arn:aws:organizations::%s:organization/%s", o.ManagementAccount, o.ID),
		AvailablePolicyTypes: []any{},
		FeatureSet:           "ALL",
		ID:                   o.ID,
		MasterAccountArn:     fmt.Sprintf("arn:aws:organizations::%s:account/%s/%s", o.ManagementAccount, o.ID, o.ManagementAccount),
		MasterAccountEmail:   accountEmail(mgmt),
		MasterAccountID:      o.ManagementAccount,
	}, nil
}

func orgsDescribeOrganization(s *Server, c *Call) (any, error) {
	o, err := s.orgOfCaller(c)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Organization": o}, nil
}

type orgAccountJSON struct {
	Arn             string  `json:"Arn"`
	Email           string  `json:"Email"`
	ID              string  `json:"Id"`
	JoinedMethod    string  `json:"JoinedMethod"`
	JoinedTimestamp float64 `json:"JoinedTimestamp"`
	Name            string  `json:"Name"`
	State           string  `json:"State"`
	Status          string  `json:"Status"`
}

func orgsInvalidInput(reason, msg string) *APIError {
	return &APIError{Status: 400, Code: "InvalidInputException", Sender: true, Message: msg,
		Extra: map[string]any{"Reason": reason}}
}

func orgsListAccounts(s *Server, c *Call) (any, error) {
	if _, err := s.orgOfCaller(c); err != nil {
		return nil, err
	}
	o := s.world.Organization
	if c.Account != o.ManagementAccount {
		return nil, &APIError{Status: 400, Code: "AccessDeniedException", Sender: true,
			Message: "You don't have permissions to access this resource."}
	}
	var in struct {
		MaxResults *int
		NextToken  *string
	}
	if e := jsonUnmarshal(c.Body, &in); e != nil {
		return nil, e
	}
	max := 20
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 20 {
			return nil, orgsInvalidInput("INVALID_PATTERN", fmt.Sprintf("You provided a value that does not match the required pattern: MaxResults must be between 1 and 20, found %d.", *in.MaxResults))
		}
		max = *in.MaxResults
	}
	start := 0
	if in.NextToken != nil {
		raw, err := base64.RawURLEncoding.DecodeString(*in.NextToken)
		n, err2 := strconv.Atoi(strings.TrimPrefix(string(raw), "accounts:"))
		if err != nil || err2 != nil || !strings.HasPrefix(string(raw), "accounts:") || n < 0 || n > len(s.world.Accounts) {
			return nil, orgsInvalidInput("INVALID_NEXT_TOKEN", "You specified an invalid value for nextToken.")
		}
		start = n
	}
	end := min(len(s.world.Accounts), start+max)
	accounts := make([]orgAccountJSON, 0, end-start)
	for i := start; i < end; i++ {
		a := &s.world.Accounts[i]
		method := "INVITED"
		if a.ID != o.ManagementAccount {
			method = "CREATED"
		}
		accounts = append(accounts, orgAccountJSON{
			Arn:             fmt.Sprintf("arn:aws:organizations::%s:account/%s/%s", o.ManagementAccount, o.ID, a.ID),
			Email:           accountEmail(a),
			ID:              a.ID,
			JoinedMethod:    method,
			JoinedTimestamp: float64(time.Date(2022, 3, 1, 12, 0, 0, 0, time.UTC).Unix() + int64(i)*86400),
			Name:            firstNonEmpty(a.Name, a.ID),
			State:           "ACTIVE",
			Status:          "ACTIVE",
		})
	}
	out := map[string]any{"Accounts": accounts}
	if end < len(s.world.Accounts) {
		out["NextToken"] = base64.RawURLEncoding.EncodeToString([]byte("accounts:" + strconv.Itoa(end)))
	}
	return out, nil
}
