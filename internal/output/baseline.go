package output

import (
	"io"

	"github.com/trustaudit/trustaudit/internal/baseline"
	"github.com/trustaudit/trustaudit/internal/finding"
)

func init() { Register("baseline", Baseline) }

// Baseline writes a baseline file accepting the scan's unsuppressed findings, for --baseline:
// a team adopting trustaudit on an estate with known findings fails CI only on new ones.
func Baseline(w io.Writer, s *finding.Scan, _ Options) error {
	return baseline.Write(w, baseline.FromScan(s))
}
