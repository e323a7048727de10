package scan

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/trustaudit/trustaudit/internal/finding"
)

// MergeFiles combines the scan documents at paths, typically the shards of one
// organization scan, into the document one run would have written. Documents must agree on
// the schema version and the trust boundary (the same finding means something else under
// another boundary). A document given twice counts once, and findings, gaps and skips are
// de-duplicated, so re-running a failed shard and merging both attempts is harmless.
//
// No document is ever read whole: each is read once for its head, which decides whether it
// adds anything, and once more with its findings, gaps and skips going one at a time into
// sorted runs under dir, as an organization scan keeps them. The result reads them back.
func MergeFiles(paths []string, dir string) (*OrgResult, error) {
	if len(paths) == 0 {
		return nil, fmt.Errorf("merge: no scan documents")
	}
	res, err := newResultSpools(dir)
	if err != nil {
		return nil, err
	}
	var first, out *finding.Scan
	seenAcct, seenRegion, seenKind, seenNotice := map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	var stats *finding.Stats
	for i, p := range paths {
		d, err := decodeFile(p, finding.Sinks{})
		if err != nil {
			return nil, err
		}
		if first == nil {
			first = d
			out = &finding.Scan{
				SchemaVersion: d.SchemaVersion,
				Tool:          d.Tool,
				StartedAt:     d.StartedAt,
				FinishedAt:    d.FinishedAt,
				Boundary:      d.Boundary,
				Resources:     map[string]int{},
			}
		}
		if d.SchemaVersion != first.SchemaVersion {
			return nil, fmt.Errorf("merge: %s (document %d) has schema version %d, %s has %d", p, i+1, d.SchemaVersion, paths[0], first.SchemaVersion)
		}
		if !sameBoundary(d.Boundary, first.Boundary) {
			return nil, fmt.Errorf("merge: %s (document %d) was judged against another trust boundary (accounts %s, organizations %s, OU paths %s) than %s (accounts %s, organizations %s, OU paths %s); scan every shard with the same configuration",
				p, i+1, list(d.Boundary.TrustedAccounts), list(d.Boundary.TrustedOrgs), list(d.Boundary.TrustedOrgPaths),
				paths[0], list(first.Boundary.TrustedAccounts), list(first.Boundary.TrustedOrgs), list(first.Boundary.TrustedOrgPaths))
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
		out.Accounts = appendNew(out.Accounts, seenAcct, d.Accounts)
		out.Regions = appendNew(out.Regions, seenRegion, d.Regions)
		out.Kinds = appendNew(out.Kinds, seenKind, d.Kinds)
		out.Notices = appendNew(out.Notices, seenNotice, d.Notices)
		for k, n := range d.Resources {
			out.Resources[k] += n
		}
		stats = mergeStats(stats, d.Stats)

		fw, gw, kw := res.findings.Writer(), res.gaps.Writer(), res.skips.Writer()
		_, err = decodeFile(p, finding.Sinks{Finding: fw.Put, Gap: gw.Put, Skip: kw.Put})
		if err = errors.Join(err, fw.Close(), gw.Close(), kw.Close()); err != nil {
			return nil, fmt.Errorf("merge: %w", err)
		}
	}
	out.Stats = stats
	slices.Sort(out.Kinds)
	out.Sort()
	res.Scan = out
	return res, nil
}

func decodeFile(path string, sinks finding.Sinks) (*finding.Scan, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	defer f.Close()
	d, err := finding.Decode(f, sinks)
	if err != nil {
		return nil, fmt.Errorf("merge: %s: %w", path, err)
	}
	return d, nil
}

// appendNew appends the items of src not in seen yet, in order.
func appendNew(dst []string, seen map[string]bool, src []string) []string {
	for _, v := range src {
		if !seen[v] {
			seen[v] = true
			dst = append(dst, v)
		}
	}
	return dst
}

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
