package output

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/trustaudit/trustaudit/internal/finding"
)

func init() { Register("json", JSON) }

// JSON writes the scan document itself, indented: the canonical form that --from-scan, diff
// and every other renderer read back. Options do not apply: a machine-readable document
// always carries every finding, suppressed or not, with its flag.
func JSON(w io.Writer, s *finding.Scan, _ Options) error {
	doc := *s
	// Empty lists are written as [] rather than null so that consumers (jq, other languages)
	// can iterate without a null check.
	if doc.Accounts == nil {
		doc.Accounts = []string{}
	}
	if doc.Regions == nil {
		doc.Regions = []string{}
	}
	if doc.Kinds == nil {
		doc.Kinds = []string{}
	}
	if doc.Boundary.TrustedAccounts == nil {
		doc.Boundary.TrustedAccounts = []string{}
	}
	if doc.Boundary.TrustedOrgs == nil {
		doc.Boundary.TrustedOrgs = []string{}
	}
	if doc.Findings == nil {
		doc.Findings = []finding.Finding{}
	}
	if doc.Gaps == nil {
		doc.Gaps = []finding.Gap{}
	}
	if doc.Resources == nil {
		doc.Resources = map[string]int{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// Policies and ARNs are evidence; keep them readable rather than \u003c-escaped.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&doc); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}
