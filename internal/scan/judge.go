package scan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/trustaudit/trustaudit/internal/access"
	"github.com/trustaudit/trustaudit/internal/finding"
	"github.com/trustaudit/trustaudit/internal/kinds"
	"github.com/trustaudit/trustaudit/internal/policy"
	"github.com/trustaudit/trustaudit/internal/world"
)

// Judge judges a snapshot offline: the same findings Run reports for what it collected,
// and the same gaps: the snapshot carries the reads that failed when it was collected, and
// policies that fail to parse are gaps here as in Run. o.Regions and o.Kinds narrow what is
// judged; Config, rates and timeouts are unused.
func Judge(w *world.World, o Options) (*finding.Scan, error) {
	o.defaults()
	ks, err := o.kinds()
	if err != nil {
		return nil, err
	}
	if len(o.Regions) > 0 {
		w = onlyRegions(w, o.Regions)
	}
	now := time.Now().UTC()
	// The snapshot of an organization records the members its scan listed: the same trust
	// settings trust the same accounts offline.
	var notices []string
	if org := snapshotOrganization(w); org != nil {
		if o.Boundary, err = OrganizationBoundary(o.Boundary, org, o.TrustOrganization); err != nil {
			return nil, err
		}
	} else if o.TrustOrganization {
		notices = append(notices, "trust_organization: the snapshot records no organization; only the configured boundary applies")
	}
	s, err := judge(w, o, ks)
	if err != nil {
		return nil, err
	}
	s.Notices = append(s.Notices, notices...)
	for _, g := range w.Gaps {
		if (len(o.Regions) == 0 || slices.Contains(o.Regions, g.Region) || g.Region == kinds.GlobalRegion) &&
			(g.Kind == "" || g.Kind == "*" || slices.Contains(s.Kinds, g.Kind)) {
			s.Gaps = append(s.Gaps, g)
		}
	}
	s.StartedAt, s.FinishedAt = now, now
	s.Sort()
	return s, nil
}

// snapshotOrganization is the organization a snapshot records, with its accounts among the
// members (a snapshot written before members were recorded lists only its accounts).
func snapshotOrganization(w *world.World) *world.Organization {
	if w.Organization == nil {
		return nil
	}
	org := *w.Organization
	org.Members = slices.Clone(org.Members)
	listed := map[string]bool{}
	for _, m := range org.Members {
		listed[m.ID] = true
	}
	for _, a := range w.Accounts {
		if !listed[a.ID] {
			org.Members = append(org.Members, world.Member{ID: a.ID})
		}
	}
	return &org
}

func onlyRegions(w *world.World, regions []string) *world.World {
	keep := map[string]bool{}
	for _, r := range regions {
		keep[r] = true
	}
	out := *w
	out.Gaps = slices.Clone(w.Gaps)
	out.Accounts = make([]world.Account, len(w.Accounts))
	for i, a := range w.Accounts {
		a.Regions = slices.DeleteFunc(slices.Clone(a.Regions), func(r world.Region) bool { return !keep[r.Name] })
		out.Accounts[i] = a
	}
	return &out
}

// judge builds the scan document of a collected world: every policy of every kind parsed and
// evaluated against the trust boundary.
func judge(w *world.World, o Options, ks []kinds.Kind) (*finding.Scan, error) {
	s := &finding.Scan{
		SchemaVersion: finding.SchemaVersion,
		Tool:          finding.Tool{Name: "trustaudit", Version: o.Version},
		Boundary:      o.Boundary.Record(),
		Findings:      []finding.Finding{},
		Gaps:          []finding.Gap{},
		Resources:     map[string]int{},
	}
	regions := map[string]bool{}
	for _, k := range ks {
		s.Kinds = append(s.Kinds, k.Name())
		s.Resources[k.Name()] = 0
	}
	for ai := range w.Accounts {
		acct := &w.Accounts[ai]
		s.Accounts = append(s.Accounts, acct.ID)
		for _, r := range acct.Regions {
			if r.Enabled() {
				regions[r.Name] = true
			} else {
				s.Skipped = append(s.Skipped, finding.Skip{Account: acct.ID, Region: r.Name, Reason: "opt-in region not enabled (" + world.OptInDisabled + ")"})
			}
		}
		for _, k := range ks {
			s.Resources[k.Name()] += k.Resources(acct)
			ak, err := access.ParseKind(k.Name())
			if err != nil {
				return nil, fmt.Errorf("kind %s: %w", k.Name(), err)
			}
			for _, p := range k.Policies(acct) {
				doc, err := policy.Parse([]byte(p.Document))
				if err != nil {
					s.Gaps = append(s.Gaps, finding.Gap{Account: acct.ID, Region: p.Region, Kind: k.Name(), Operation: "parse", Resource: p.ResourceARN, Error: err.Error()})
					continue
				}
				res := access.Evaluate(access.Input{Kind: ak, Owner: acct.ID, ResourceARN: p.ResourceARN, PolicyName: p.PolicyName, Doc: doc}, o.Boundary)
				for _, af := range res.Findings {
					f := finding.Finding{
						Rule:           af.Rule.ID,
						Title:          af.Rule.Title,
						Severity:       af.Rule.Severity,
						Category:       af.Rule.Category,
						Kind:           k.Name(),
						ResourceARN:    p.ResourceARN,
						Region:         p.Region,
						Account:        acct.ID,
						Accounts:       af.Accounts,
						Orgs:           af.Orgs,
						Services:       af.Services,
						PolicyName:     p.PolicyName,
						StatementID:    af.Sid,
						StatementIndex: af.StatementIndex,
						Principal:      af.Principal,
						Actions:        af.Actions,
						Conditions:     af.Conditions,
						Statement:      statementText(p.Document, af.StatementIndex),
						Explanation:    af.Explanation,
					}
					f.ComputeID()
					s.Findings = append(s.Findings, f)
				}
			}
			if n, ok := k.(kinds.Noticer); ok {
				s.Notices = append(s.Notices, n.Notices(acct)...)
			}
		}
	}
	for r := range regions {
		s.Regions = append(s.Regions, r)
	}
	sort.Strings(s.Regions)
	sort.Strings(s.Accounts)
	return s, nil
}

// statementText is the i-th statement of a policy as compact JSON: the evidence a reader
// checks a finding against. Statement may be a single object (index 0).
func statementText(doc string, i int) string {
	var top struct {
		Statement json.RawMessage
	}
	if json.Unmarshal([]byte(doc), &top) != nil || len(top.Statement) == 0 {
		return ""
	}
	raw := top.Statement
	if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("[")) {
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) != nil || i < 0 || i >= len(list) {
			return ""
		}
		raw = list[i]
	} else if i != 0 {
		return ""
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) != nil {
		return ""
	}
	return buf.String()
}
