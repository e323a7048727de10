// Package baseline compares scans by finding id: the known findings a team has accepted for
// now (a baseline), and what changed between two scans (a diff). Both rest on the finding id
// being stable across scans of the same grant (finding.ComputeID).
package baseline

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/trustaudit/trustaudit/internal/finding"
)

// Version is the version of the baseline file format.
const Version = 1

// File is what `--format baseline` writes: the ids of the findings to accept, with enough
// context (rule, resource) for a reviewer to see what each line accepts.
type File struct {
	BaselineVersion int       `json:"baseline_version"`
	CreatedAt       time.Time `json:"created_at"`
	Findings        []Entry   `json:"findings"`
}

// Entry is one accepted finding.
type Entry struct {
	ID          string           `json:"id"`
	Rule        string           `json:"rule"`
	Severity    finding.Severity `json:"severity"`
	ResourceARN string           `json:"resource_arn"`
}

// FromScan builds a baseline accepting every finding of s that is not suppressed (a
// suppressed finding is already accepted by the config file, with its reason).
func FromScan(s *finding.Scan) File {
	f := File{BaselineVersion: Version, CreatedAt: s.FinishedAt.UTC(), Findings: []Entry{}}
	for _, x := range s.Findings {
		if x.Suppressed {
			continue
		}
		f.Findings = append(f.Findings, Entry{ID: x.ID, Rule: x.Rule, Severity: x.Severity, ResourceARN: x.ResourceARN})
	}
	slices.SortFunc(f.Findings, func(a, b Entry) int { return cmpString(a.ID, b.ID) })
	f.Findings = slices.CompactFunc(f.Findings, func(a, b Entry) bool { return a.ID == b.ID })
	return f
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Write writes f as indented JSON.
func Write(w io.Writer, f File) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(f); err != nil {
		return fmt.Errorf("write baseline: %w", err)
	}
	return nil
}

// Set is the ids a baseline accepts.
type Set map[string]bool

// Load reads a baseline: either a baseline file or a saved scan document, whose findings
// (suppressed or not) are all accepted. Accepting a saved scan means "fail only on what is new
// since this scan" needs no extra step.
func Load(path string) (Set, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read baseline: %w", err)
	}
	set, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("baseline %s: %w", path, err)
	}
	return set, nil
}

// Parse reads a baseline file or a scan document from data.
func Parse(data []byte) (Set, error) {
	var probe struct {
		BaselineVersion *int            `json:"baseline_version"`
		SchemaVersion   *int            `json:"schema_version"`
		Findings        json.RawMessage `json:"findings"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("expected a JSON baseline file or scan document: %w", err)
	}
	set := Set{}
	switch {
	case probe.BaselineVersion != nil:
		if *probe.BaselineVersion != Version {
			return nil, fmt.Errorf("baseline_version %d: this trustaudit reads version %d", *probe.BaselineVersion, Version)
		}
		var f File
		if err := json.Unmarshal(data, &f); err != nil {
			return nil, fmt.Errorf("baseline file: %w", err)
		}
		for i, e := range f.Findings {
			if e.ID == "" {
				return nil, fmt.Errorf("findings[%d]: missing id", i)
			}
			set[e.ID] = true
		}
	case probe.SchemaVersion != nil:
		s, err := ParseScan(data)
		if err != nil {
			return nil, err
		}
		for _, x := range s.Findings {
			set[x.ID] = true
		}
	default:
		return nil, errors.New("neither a baseline file (baseline_version) nor a scan document (schema_version)")
	}
	return set, nil
}

// LoadScan reads a saved scan document (the json format), as report and diff do.
func LoadScan(path string) (*finding.Scan, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read scan: %w", err)
	}
	s, err := ParseScan(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// ParseScan decodes a scan document, refusing a newer schema than this program writes and
// findings without the id every comparison relies on.
func ParseScan(data []byte) (*finding.Scan, error) {
	var fs []finding.Finding
	var gaps []finding.Gap
	var skips []finding.Skip
	s, err := finding.Decode(bytes.NewReader(data), finding.Sinks{
		Finding: func(f *finding.Finding) error { fs = append(fs, *f); return nil },
		Gap:     func(g *finding.Gap) error { gaps = append(gaps, *g); return nil },
		Skip:    func(k *finding.Skip) error { skips = append(skips, *k); return nil },
	})
	if err != nil {
		return nil, err
	}
	s.Findings, s.Gaps, s.Skipped = fs, gaps, skips
	return s, nil
}
