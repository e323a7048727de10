// Package finding holds what a scan reports: findings, gaps and the versioned scan document
// every renderer reads. It is plain data with no AWS imports, so both the access engine and
// the renderers can depend on it.
package finding

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Severity orders findings. The zero value is invalid so that a forgotten severity is caught.
type Severity int

const (
	SeverityInfo Severity = iota + 1
	SeverityLow
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

var severityNames = map[Severity]string{
	SeverityInfo:     "info",
	SeverityLow:      "low",
	SeverityMedium:   "medium",
	SeverityHigh:     "high",
	SeverityCritical: "critical",
}

func (s Severity) String() string {
	if n, ok := severityNames[s]; ok {
		return n
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// ParseSeverity reads a severity name case-insensitively.
func ParseSeverity(s string) (Severity, error) {
	for k, v := range severityNames {
		if strings.EqualFold(v, s) {
			return k, nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q: expected one of info, low, medium, high, critical", s)
}

func (s Severity) MarshalJSON() ([]byte, error) {
	if _, ok := severityNames[s]; !ok {
		return nil, fmt.Errorf("invalid severity %d", int(s))
	}
	return json.Marshal(s.String())
}

func (s *Severity) UnmarshalJSON(b []byte) error {
	var str string
	if err := json.Unmarshal(b, &str); err != nil {
		return fmt.Errorf("severity: expected a string: %w", err)
	}
	v, err := ParseSeverity(str)
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Category says what kind of outsider a finding names.
type Category string

const (
	CategoryPublic           Category = "public"
	CategoryUntrustedAccount Category = "untrusted-account"
	CategoryUntrustedOrg     Category = "untrusted-org"
	CategoryConfusedDeputy   Category = "confused-deputy"

	// Categories of `trustaudit trail`: an event that carries endgame's signature, a
	// policy change that failed (an attempt), and one that closed access.
	CategoryIndicator Category = "indicator-of-compromise"
	CategoryAttempt   Category = "attempt"
	CategoryRemoval   Category = "access-removed"
)
