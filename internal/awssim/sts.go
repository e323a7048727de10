package awssim

import (
	"crypto/sha256"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// STS: GetCallerIdentity and AssumeRole. AssumeRole is what an organization-wide scan does
// in every member account, so the simulator enforces the target role's trust policy the
// way IAM does for the cases trustaudit relies on (see trustAllows).

func init() {
	handleQuery("sts", "GetCallerIdentity", stsGetCallerIdentity)
	handleQuery("sts", "AssumeRole", stsAssumeRole)
}

type callerIdentityResult struct {
	Arn     string `xml:"Arn"`
	UserID  string `xml:"UserId"`
	Account string `xml:"Account"`
}

func stsGetCallerIdentity(s *Server, c *Call) (any, error) {
	p := s.caller(c)
	return callerIdentityResult{Arn: p.ARN, UserID: p.UserID, Account: p.Account}, nil
}

// caller returns the principal behind the call's access key. Called with s.mu held.
func (s *Server) caller(c *Call) principal {
	if p, ok := s.keys[c.AccessKey]; ok {
		return p
	}
	return principal{Account: c.Account, ARN: c.CallerARN, UserID: c.Account}
}

type assumeRoleResult struct {
	Credentials struct {
		AccessKeyID     string `xml:"AccessKeyId"`
		SecretAccessKey string `xml:"SecretAccessKey"`
		SessionToken    string `xml:"SessionToken"`
		Expiration      string `xml:"Expiration"`
	} `xml:"Credentials"`
	AssumedRoleUser struct {
		AssumedRoleID string `xml:"AssumedRoleId"`
		Arn           string `xml:"Arn"`
	} `xml:"AssumedRoleUser"`
	PackedPolicySize int `xml:"PackedPolicySize,omitempty"`
}

var (
	roleARNRE     = regexp.MustCompile(`^arn:aws:iam::([0-9]{12}):role/(?:[\x21-\x7e]*/)?([\w+=,.@-]{1,64})$`)
	sessionNameRE = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	externalIDRE  = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
)

func stsAssumeRole(s *Server, c *Call) (any, error) {
	roleARN := c.Params.Get("RoleArn")
	session := c.Params.Get("RoleSessionName")
	m := roleARNRE.FindStringSubmatch(roleARN)
	if m == nil {
		return nil, &APIError{Status: 400, Code: "ValidationError", Sender: true,
			Message: fmt.Sprintf("%s is invalid", roleARN)}
	}
	if !sessionNameRE.MatchString(session) {
		return nil, &APIError{Status: 400, Code: "ValidationError", Sender: true,
			Message: fmt.Sprintf("1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*", session)}
	}
	externalID, hasExternalID := c.Params.Get("ExternalId"), c.Params.Has("ExternalId")
	if hasExternalID && (len(externalID) < 2 || len(externalID) > 1224 || !externalIDRE.MatchString(externalID)) {
		return nil, &APIError{Status: 400, Code: "ValidationError", Sender: true,
			Message: "1 validation error detected: Value at 'externalId' failed to satisfy constraint: Member must have length between 2 and 1224"}
	}
	duration := 3600
	if d := c.Params.Get("DurationSeconds"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 900 || n > 43200 {
			return nil, &APIError{Status: 400, Code: "ValidationError", Sender: true,
				Message: fmt.Sprintf("1 validation error detected: Value '%s' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200", d)}
		}
		duration = n
	}
	caller := s.caller(c)
	denied := &APIError{Status: 403, Code: "AccessDenied", Sender: true,
		Message: fmt.Sprintf("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", caller.ARN, roleARN)}

	target, roleName := m[1], m[2]
	acct := s.account(target)
	if acct == nil {
		return nil, denied
	}
	role := findRole(acct, roleName)
	if role == nil {
		return nil, denied
	}
	req := assumeRequest{caller: caller, externalID: externalID, hasExternalID: hasExternalID, orgID: s.orgOf(caller.Account)}
	if !trustAllows(string(role.AssumeRolePolicy), req) {
		return nil, denied
	}

	key := "ASIA" + s.randomID(16)
	roleID := roleIDOf(target, role)
	assumedARN := fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", target, role.Name, session)
	s.keys[key] = principal{
		Account: target,
		ARN:     assumedARN,
		UserID:  roleID + ":" + session,
		RoleARN: roleARNOf(target, role),
	}
	var out assumeRoleResult
	out.Credentials.AccessKeyID = key
	out.Credentials.SecretAccessKey = s.randomID(40)
	out.Credentials.SessionToken = "FwoGZXIvYXdzE" + s.randomID(120)
	out.Credentials.Expiration = time.Now().UTC().Add(time.Duration(duration) * time.Second).Format(time.RFC3339)
	out.AssumedRoleUser.AssumedRoleID = roleID + ":" + session
	out.AssumedRoleUser.Arn = assumedARN
	return out, nil
}

// orgOf is the id of the organization an account belongs to ("" for none). A world's
// organization holds all of the world's accounts.
func (s *Server) orgOf(account string) string {
	if s.world.Organization == nil || s.account(account) == nil {
		return ""
	}
	return s.world.Organization.ID
}

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// randomID is n characters of the alphabet AWS uses in key and principal ids.
func (s *Server) randomID(n int) string {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	b := make([]byte, n)
	for i := range b {
		b[i] = idAlphabet[s.rng.IntN(len(idAlphabet))]
	}
	return string(b)
}

// stableID derives an id that stays the same for the same seed text, so that role and user
// ids survive a restart of the simulator on the same world.
func stableID(prefix, seed string) string {
	sum := sha256.Sum256([]byte(seed))
	b := make([]byte, 17)
	for i := range b {
		b[i] = idAlphabet[sum[i]%byte(len(idAlphabet))]
	}
	return prefix + string(b)
}

// userIDFor is the UserId GetCallerIdentity answers for a world access key's ARN.
func userIDFor(account, arn string) string {
	if strings.HasSuffix(arn, ":root") {
		return account
	}
	return stableID("AIDA", arn)
}
