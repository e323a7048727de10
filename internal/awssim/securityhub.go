package awssim

import (
	"encoding/json"
	"fmt"
	"sort"
)

// Security Hub (REST-JSON): BatchImportFindings, which `trustaudit report --security-hub`
// sends ASFF findings with. The simulator keeps what was imported per account and region so
// that a test can read it back, and enforces the service's limits: at most 100 findings per
// request (a 400 InvalidInputException), at most 240 KB per finding, the fields ASFF
// requires, and a product ARN and account that are the caller's own (a failed finding in
// FailedFindings, the others imported).

func init() {
	serviceProtocols["securityhub"] = protoREST
	handleREST("securityhub", "POST", "/findings/import", "BatchImportFindings", securityHubBatchImportFindings)
}

const (
	securityHubMaxFindings    = 100
	securityHubMaxFindingSize = 240 * 1024
)

// securityHubState holds imported findings by "account/region", then by product ARN and id
// (a finding is updated in place when imported again, as in Security Hub).
type securityHubState struct {
	findings map[string]map[string]json.RawMessage
}

func (s *Server) securityHub() *securityHubState {
	return extState(s, "securityhub", func() *securityHubState {
		return &securityHubState{findings: map[string]map[string]json.RawMessage{}}
	})
}

type importFindingsError struct {
	Id           string `json:"Id"`
	ErrorCode    string `json:"ErrorCode"`
	ErrorMessage string `json:"ErrorMessage"`
}

type batchImportFindingsOutput struct {
	FailedCount    int                   `json:"FailedCount"`
	SuccessCount   int                   `json:"SuccessCount"`
	FailedFindings []importFindingsError `json:"FailedFindings"`
}

// asffRequired are the fields BatchImportFindings requires of every finding.
var asffRequired = []string{"AwsAccountId", "CreatedAt", "Description", "GeneratorId", "Id", "ProductArn", "Resources", "SchemaVersion", "Title", "UpdatedAt"}

func securityHubBatchImportFindings(s *Server, c *Call) (int, any, error) {
	var in struct {
		Findings []json.RawMessage `json:"Findings"`
	}
	if err := json.Unmarshal(c.Body, &in); err != nil {
		return 0, nil, &APIError{Status: 400, Code: "InvalidInputException", Sender: true, Message: "The request body is not valid JSON: " + err.Error()}
	}
	switch {
	case len(in.Findings) == 0:
		return 0, nil, &APIError{Status: 400, Code: "InvalidInputException", Sender: true, Message: "Findings must contain at least 1 item."}
	case len(in.Findings) > securityHubMaxFindings:
		return 0, nil, &APIError{Status: 400, Code: "InvalidInputException", Sender: true,
			Message: fmt.Sprintf("Findings must contain at most %d items; the request has %d.", securityHubMaxFindings, len(in.Findings))}
	}
	st := s.securityHub()
	key := c.Account + "/" + c.Region
	out := batchImportFindingsOutput{FailedFindings: []importFindingsError{}}
	wantProduct := fmt.Sprintf("arn:%s:securityhub:%s:%s:product/%s/default", arnPartition(c.Region), c.Region, c.Account, c.Account)
	for _, raw := range in.Findings {
		var f map[string]any
		if err := json.Unmarshal(raw, &f); err != nil {
			out.FailedFindings = append(out.FailedFindings, importFindingsError{ErrorCode: "InvalidInput", ErrorMessage: "The finding is not a JSON object."})
			continue
		}
		id, _ := f["Id"].(string)
		fail := func(code, format string, args ...any) {
			out.FailedFindings = append(out.FailedFindings, importFindingsError{Id: id, ErrorCode: code, ErrorMessage: fmt.Sprintf(format, args...)})
		}
		if len(raw) > securityHubMaxFindingSize {
			fail("InvalidInput", "Finding size %d bytes exceeds the maximum of 240 KB.", len(raw))
			continue
		}
		if missing := asffMissing(f); missing != "" {
			fail("InvalidInput", "Finding is missing the required field %s.", missing)
			continue
		}
		if p, _ := f["ProductArn"].(string); p != wantProduct {
			fail("AccessDeniedException", "Account %s is not authorized to import findings for product %s in %s.", c.Account, p, c.Region)
			continue
		}
		if a, _ := f["AwsAccountId"].(string); a != c.Account {
			fail("AccessDeniedException", "Account %s is not authorized to import findings for account %s.", c.Account, a)
			continue
		}
		if sev, ok := f["Severity"].(map[string]any); ok {
			switch sev["Label"] {
			case nil, "INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL":
			default:
				fail("InvalidInput", "Severity.Label %v is not one of INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL.", sev["Label"])
				continue
			}
		}
		if st.findings[key] == nil {
			st.findings[key] = map[string]json.RawMessage{}
		}
		st.findings[key][wantProduct+"|"+id] = append(json.RawMessage(nil), raw...)
	}
	out.FailedCount = len(out.FailedFindings)
	out.SuccessCount = len(in.Findings) - out.FailedCount
	return 200, out, nil
}

func asffMissing(f map[string]any) string {
	for _, k := range asffRequired {
		switch v := f[k].(type) {
		case nil:
			return k
		case string:
			if v == "" {
				return k
			}
		case []any:
			if len(v) == 0 {
				return k
			}
		}
	}
	rs, ok := f["Resources"].([]any)
	if !ok {
		return "Resources (an array)"
	}
	for i, r := range rs {
		m, _ := r.(map[string]any)
		if m["Id"] == nil || m["Type"] == nil {
			return fmt.Sprintf("Resources[%d].Id or Type", i)
		}
	}
	return ""
}

// SecurityHubFindings returns the findings imported into an account and region, as the
// JSON objects that were sent, ordered by Id.
func (s *Server) SecurityHubFindings(account, region string) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, _ := s.ext["securityhub"].(*securityHubState)
	if st == nil {
		return nil
	}
	var out []map[string]any
	for _, raw := range st.findings[account+"/"+region] {
		var f map[string]any
		_ = json.Unmarshal(raw, &f)
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool {
		a, _ := out[i]["Id"].(string)
		b, _ := out[j]["Id"].(string)
		return a < b
	})
	return out
}
