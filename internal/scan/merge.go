package scan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/trustaudit/trustaudit/internal/finding"
)

// Merge combines the scan documents of the shards of one organization scan into the
// document one run would have written. Documents must agree on the schema version and the
// trust boundary (the same finding means something else under another boundary). A
// document given twice counts once, and findings, gaps and skips are de-duplicated, so
// re-running a failed shard and merging both attempts is harmless.
func Merge(docs []*finding.Scan) (*finding.Scan, error) {
	if len(docs) == 0 {
		return nil, fmt.Errorf("merge: no scan documents")
	}
	first := docs[0]
	out := &finding.Scan{
		SchemaVersion: first.SchemaVersion,
		Tool:          first.Tool,
		StartedAt:     first.StartedAt,
		FinishedAt:    first.FinishedAt,
		Boundary:      first.Boundary,
		Findings:      []finding.Finding{},
		Gaps:          []finding.Gap{},
		Resources:     map[string]int{},
	}
	seenAcct, seenRegion, seenKind, seenNotice := map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	seenFinding := map[string]bool{}
	seenGap := map[finding.Gap]bool{}
	seenSkip := map[finding.Skip]bool{}
	var stats *finding.Stats
	for i, d := range docs {
		if d.SchemaVersion != first.SchemaVersion {
			return nil, fmt.Errorf("merge: document %d has schema version %d, document 1 has %d", i+1, d.SchemaVersion, first.SchemaVersion)
		}
		if !sameBoundary(d.Boundary, first.Boundary) {
			return nil, fmt.Errorf("merge: document %d was judged against another trust boundary (accounts %s, organizations %s, OU paths %s) than document 1 (accounts %s, organizations %s, OU paths %s); scan every shard with the same configuration",
				i+1, list(d.Boundary.TrustedAccounts), list(d.Boundary.TrustedOrgs), list(d.Boundary.TrustedOrgPaths),
				list(first.Boundary.TrustedAccounts), list(first.Boundary.TrustedOrgs), list(first.Boundary.TrustedOrgPaths))
		}
		// A document whose accounts were all merged already adds nothing but duplicates.
		fresh := false
		for _, a := range d.Accounts {
			if !seenAcct[a] {
				fresh = true
			}
		}
		if !fresh && len(d.Accounts) > 0 {
			continue
		}
		if d.StartedAt.Before(out.StartedAt) {
			out.StartedAt = d.StartedAt
		}
		if d.FinishedAt.After(out.FinishedAt) {
			out.FinishedAt = d.FinishedAt
		}
		out.Accounts = appendNew(out.Accounts, seenAcct, same, d.Accounts)
		out.Regions = appendNew(out.Regions, seenRegion, same, d.Regions)
		out.Kinds = appendNew(out.Kinds, seenKind, same, d.Kinds)
		out.Findings = appendNew(out.Findings, seenFinding, func(f finding.Finding) string { return f.Account + "|" + f.ID }, d.Findings)
		out.Gaps = appendNew(out.Gaps, seenGap, same, d.Gaps)
		out.Skipped = appendNew(out.Skipped, seenSkip, same, d.Skipped)
		out.Notices = appendNew(out.Notices, seenNotice, same, d.Notices)
		for k, n := range d.Resources {
			out.Resources[k] += n
		}
		stats = mergeStats(stats, d.Stats)
	}
	out.Stats = stats
	slices.Sort(out.Kinds)
	out.Sort()
	return out, nil
}

// appendNew appends the items of src whose key is not in seen yet, in order.
func appendNew[T any, K comparable](dst []T, seen map[K]bool, key func(T) K, src []T) []T {
	for _, v := range src {
		if k := key(v); !seen[k] {
			seen[k] = true
			dst = append(dst, v)
		}
	}
	return dst
}

func same[T comparable](v T) T { return v }

// mergeStats adds a shard's figures: calls and minima add up, the shards ran side by side
// so the elapsed time and the lower bound are the largest.
func mergeStats(into, s *finding.Stats) *finding.Stats {
	if s == nil {
		return into
	}
	if into == nil {
		into = &finding.Stats{Calls: map[string]int64{}, MinimalCalls: map[string]int64{}}
	}
	for k, n := range s.Calls {
		into.Calls[k] += n
	}
	for k, n := range s.MinimalCalls {
		into.MinimalCalls[k] += n
	}
	into.Throttles += s.Throttles
	into.Retries += s.Retries
	into.ElapsedSec = max(into.ElapsedSec, s.ElapsedSec)
	into.LowerBoundSec = max(into.LowerBoundSec, s.LowerBoundSec)
	for a, st := range s.Accounts {
		if into.Accounts == nil {
			into.Accounts = map[string]*finding.Stats{}
		}
		if _, ok := into.Accounts[a]; !ok {
			into.Accounts[a] = st
		}
	}
	return into
}

func sameBoundary(a, b finding.Boundary) bool {
	return slices.Equal(sortedCopy(a.TrustedAccounts), sortedCopy(b.TrustedAccounts)) &&
		slices.Equal(sortedCopy(a.TrustedOrgs), sortedCopy(b.TrustedOrgs)) &&
		slices.Equal(sortedCopy(a.TrustedOrgPaths), sortedCopy(b.TrustedOrgPaths))
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

func list(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ",")
}
