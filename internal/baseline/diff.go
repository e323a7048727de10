package baseline

import (
	"github.com/trustaudit/trustaudit/internal/finding"
)

// Diff is what changed between two scans, by finding id.
type Diff struct {
	New       []finding.Finding `json:"new"`
	Resolved  []finding.Finding `json:"resolved"`
	Unchanged []finding.Finding `json:"unchanged"`
	// Changed lists unchanged findings whose severity differs between the scans (a rule's
	// rating changed, or the grant widened within the same statement): still the same id.
	Changed []SeverityChange `json:"severity_changed,omitempty"`
}

// SeverityChange is an unchanged finding rated differently in the new scan.
type SeverityChange struct {
	ID   string           `json:"id"`
	Old  finding.Severity `json:"old"`
	New  finding.Severity `json:"new"`
	Rule string           `json:"rule"`
}

// Compare diffs old against new. Suppressed findings are compared like any other, so that a
// suppression that hides a finding does not make it look resolved; each list keeps the
// canonical order of its scan.
func Compare(old, new *finding.Scan) Diff {
	d := Diff{New: []finding.Finding{}, Resolved: []finding.Finding{}, Unchanged: []finding.Finding{}}
	before := map[string]finding.Finding{}
	for _, f := range old.Findings {
		before[f.ID] = f
	}
	after := map[string]bool{}
	for _, f := range new.Findings {
		after[f.ID] = true
		o, seen := before[f.ID]
		if !seen {
			d.New = append(d.New, f)
			continue
		}
		d.Unchanged = append(d.Unchanged, f)
		if o.Severity != f.Severity {
			d.Changed = append(d.Changed, SeverityChange{ID: f.ID, Old: o.Severity, New: f.Severity, Rule: f.Rule})
		}
	}
	for _, f := range old.Findings {
		if !after[f.ID] {
			d.Resolved = append(d.Resolved, f)
		}
	}
	return d
}
