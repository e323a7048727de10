package scan

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/trustaudit/trustaudit/internal/access"
	"github.com/trustaudit/trustaudit/internal/finding"
	"github.com/trustaudit/trustaudit/internal/kinds"
	"github.com/trustaudit/trustaudit/internal/spool"
	"github.com/trustaudit/trustaudit/internal/world"
)

// OrgOptions configure a scan of many accounts in one run: every account of an AWS
// Organization (Options.Config holds the management or delegated-administrator
// credentials, which list the accounts and assume RoleName in each), or named profiles
// (Profiles, one account each, for estates without Organizations).
type OrgOptions struct {
	Options
	// RoleName is the role assumed in every account; ExternalID is passed when set.
	RoleName   string
	ExternalID string
	// Accounts, when set, limits the scan to these account ids; Exclude leaves these out.
	Accounts, Exclude []string
	// OUs, when set, limits the scan to the accounts under these OUs (or roots), at any
	// depth.
	OUs []string
	// MaxAccounts bounds the accounts scanned at once (default 128). Memory grows with it,
	// not with the size of the organization; the wall time is about one account's as long
	// as every account fits.
	MaxAccounts int
	// Shard picks this process's part of the accounts (zero value: all of them).
	Shard Shard
	// TrustOrganization adds the organization id and every account of it to the boundary.
	TrustOrganization bool
	// Profiles scans these credentials, one account each, instead of listing an
	// organization. Name identifies a profile in gaps and in sharding.
	Profiles []Profile
	// Dir receives, as each account finishes, its snapshot part and its findings, gaps and
	// skips as sorted runs (required), so that no more than MaxAccounts accounts' worlds and
	// findings are ever in memory.
	Dir string
	// Mark, when set, sees every finding before it goes to disk (suppressions, a baseline):
	// the findings are not held in memory to be marked later. It is called from one
	// goroutine at a time.
	Mark func(*finding.Finding)
}

// Profile is one account's credentials in a scan without Organizations.
type Profile struct {
	Name   string
	Config aws.Config
}

// Shard is part Index (0-based) of Count parts of the accounts. Accounts are assigned by a
// hash of their id, so the split is the same on every machine and run whatever order the
// accounts are listed in, and N processes with indexes 0..N-1 cover each account once.
type Shard struct{ Index, Count int }

// ParseShard reads "I/N" with 0 <= I < N.
func ParseShard(s string) (Shard, error) {
	i, n, ok := strings.Cut(s, "/")
	a, err1 := strconv.Atoi(strings.TrimSpace(i))
	b, err2 := strconv.Atoi(strings.TrimSpace(n))
	if !ok || err1 != nil || err2 != nil || b < 1 || a < 0 || a >= b {
		return Shard{}, fmt.Errorf("shard %q: expected I/N with 0 <= I < N, such as 0/4 (a Kubernetes JOB_COMPLETION_INDEX or AWS_BATCH_JOB_ARRAY_INDEX is 0-based)", s)
	}
	return Shard{Index: a, Count: b}, nil
}

// Has reports whether the shard scans the account (or profile) id.
func (s Shard) Has(id string) bool {
	if s.Count <= 1 {
		return true
	}
	// SHA-256, not FNV: FNV's low bits split 12-digit ids unevenly (half in one of four).
	sum := sha256.Sum256([]byte(id))
	return int(binary.BigEndian.Uint64(sum[:8])%uint64(s.Count)) == s.Index
}

func (s Shard) String() string {
	if s.Count <= 1 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// OrgReadActions are the IAM actions an organization scan's caller needs to read the
// organization: the organizations lane's operations (DescribeOrganization, ListAccounts,
// and ListChildren and ListAccountsForParent for OUs). It also needs sts:AssumeRole on each
// account's role, whose own policy is Actions.
func OrgReadActions() []string {
	for _, l := range engineLanes {
		if l.Name == laneOrgs {
			out := slices.Clone(l.Ops)
			slices.Sort(out)
			return out
		}
	}
	return nil
}

// OrgResult is an organization scan. Scan is the document's head; its findings, gaps and
// skips stay on disk, in the document's order, until Findings, Gaps and Skipped read them
// (or Load reads the whole document), and the snapshot is one part per account.
type OrgResult struct {
	Scan         *finding.Scan
	Organization *world.Organization
	parts        []string
	findings     *spool.Spool[finding.Finding]
	gaps         *spool.Spool[finding.Gap]
	skips        *spool.Spool[finding.Skip]
}

// newResultSpools makes the runs of a result's lists under dir.
func newResultSpools(dir string) (*OrgResult, error) {
	for _, name := range []string{"findings", "gaps", "skipped"} {
		if err := os.MkdirAll(filepath.Join(dir, name), 0o700); err != nil {
			return nil, fmt.Errorf("keep the results on disk: %w", err)
		}
	}
	return &OrgResult{
		findings: spool.New(filepath.Join(dir, "findings"), finding.CompareFindings),
		gaps:     spool.New(filepath.Join(dir, "gaps"), finding.CompareGaps),
		skips:    spool.New(filepath.Join(dir, "skipped"), finding.CompareSkips),
	}, nil
}

// Findings calls fn with every finding in the document's order. A finding seen twice
// (shards merged with a retried attempt) is given once: equal findings sort side by side.
func (r *OrgResult) Findings(fn func(*finding.Finding) error) error {
	var prev finding.Finding
	var accounts []string // of the findings equal to prev given so far
	started := false
	return r.findings.Each(func(f *finding.Finding) error {
		if started && finding.CompareFindings(&prev, f) == 0 {
			if slices.Contains(accounts, f.Account) {
				return nil
			}
		} else {
			accounts = accounts[:0]
		}
		started, prev = true, *f
		accounts = append(accounts, f.Account)
		return fn(f)
	})
}

// Gaps calls fn with every gap in the document's order, each once.
func (r *OrgResult) Gaps(fn func(*finding.Gap) error) error { return eachOnce(r.gaps, fn) }

// Skipped calls fn with every skipped account or region in the document's order, each once.
func (r *OrgResult) Skipped(fn func(*finding.Skip) error) error { return eachOnce(r.skips, fn) }

func eachOnce[T comparable](s *spool.Spool[T], fn func(*T) error) error {
	var prev T
	started := false
	return s.Each(func(v *T) error {
		if started && *v == prev {
			return nil
		}
		started, prev = true, *v
		return fn(v)
	})
}

// GapCount is the number of gaps (duplicates included): a scan with any is incomplete.
func (r *OrgResult) GapCount() int { return r.gaps.Len() }

// Load reads the whole document into memory, for the renderers that need it at once.
func (r *OrgResult) Load() (*finding.Scan, error) {
	s := *r.Scan
	s.Findings = make([]finding.Finding, 0, r.findings.Len())
	s.Gaps = make([]finding.Gap, 0, r.gaps.Len())
	s.Skipped = nil
	if err := r.Findings(func(f *finding.Finding) error { s.Findings = append(s.Findings, *f); return nil }); err != nil {
		return nil, err
	}
	if err := r.Gaps(func(g *finding.Gap) error { s.Gaps = append(s.Gaps, *g); return nil }); err != nil {
		return nil, err
	}
	if err := r.Skipped(func(k *finding.Skip) error { s.Skipped = append(s.Skipped, *k); return nil }); err != nil {
		return nil, err
	}
	return &s, nil
}

// WriteSnapshot writes the collected world (no credentials) to w one account at a time, so
// that the snapshot of an organization never has to fit in memory.
func (r *OrgResult) WriteSnapshot(w io.Writer) error {
	head := map[string]any{"schema_version": world.SchemaVersion}
	if r.Organization != nil {
		head["organization"] = r.Organization
	}
	b, err := json.Marshal(head)
	if err != nil {
		return err
	}
	if _, err := w.Write(b[:len(b)-1]); err != nil {
		return err
	}
	// The reads that failed go with the snapshot (judging it offline reports them); parse
	// gaps are not collection gaps: the offline judgement finds them again.
	n := 0
	err = r.Gaps(func(g *finding.Gap) error {
		if g.Operation == "parse" {
			return nil
		}
		sep := ","
		if n == 0 {
			sep = `,"gaps":[`
		}
		n++
		data, err := json.Marshal(g)
		if err != nil {
			return err
		}
		_, err = w.Write(append([]byte(sep), data...))
		return err
	})
	if err != nil {
		return err
	}
	if n > 0 {
		if _, err := io.WriteString(w, "]"); err != nil {
			return err
		}
	}
	if _, err := io.WriteString(w, `,"accounts":[`); err != nil {
		return err
	}
	for i, p := range r.parts {
		data, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("read snapshot part: %w", err)
		}
		if i > 0 {
			data = append([]byte{',', '\n'}, data...)
		}
		if _, err := w.Write(data); err != nil {
			return err
		}
	}
	_, err = io.WriteString(w, "]}\n")
	return err
}

// orgAccount is one account to scan: an organization member (ID known, role to assume)
// or a profile (credentials given, ID found by the scan).
type orgAccount struct {
	id      string
	profile *Profile
	page    int // the organizations page it came on (1-based)
}

type orgRun struct {
	o    OrgOptions
	ctl  *engine
	ks   []kinds.Kind
	sts  *sts.Client
	part string // partition

	mu       sync.Mutex
	started  map[string]float64 // by account: the earliest it could start, seconds
	doc      *finding.Scan      // the head: accounts, notices; the lists go to the spools
	out      *OrgResult         // its lists take each account's as it finishes
	diskErr  error              // the first spool write that failed: the document would be incomplete
	parts    []string
	perAcct  map[string]*finding.Stats
	bound    access.Boundary
	org      *world.Organization
	pages    int              // organizations pages read, once the list is done
	orgCalls map[string]int64 // by API, once the list is done
	assumed  int
	regions  map[string]bool
	resource map[string]int
}

// RunOrg scans every account of the organization o.Config's credentials manage (or every
// profile in o.Profiles) in one run. Accounts stream from the organization's pages
// (ListAccounts, or the OUs' ListAccountsForParent) into the scan as the pages arrive; up
// to MaxAccounts are collected at once, each on its own lanes (quotas are per account and
// region), and each account's snapshot and findings go to disk when it finishes.
// An account whose role cannot be assumed, or that cannot be scanned at all, is a gap;
// an error means the organization itself could not be read.
func RunOrg(ctx context.Context, o OrgOptions) (*OrgResult, error) {
	o.defaults()
	if o.MaxAccounts <= 0 {
		o.MaxAccounts = 128
	}
	if o.Dir == "" {
		return nil, errors.New("organization scan: no directory for the per-account parts")
	}
	ks, err := o.kinds()
	if err != nil {
		return nil, err
	}
	started := time.Now()
	ctl := newEngine(ctx, o.Options)
	defer ctl.close()
	r := &orgRun{
		o: o, ctl: ctl, ks: ks, perAcct: map[string]*finding.Stats{}, bound: o.Boundary, started: map[string]float64{},
		regions: map[string]bool{}, resource: map[string]int{},
		doc: &finding.Scan{
			SchemaVersion: finding.SchemaVersion,
			Tool:          finding.Tool{Name: "trustaudit", Version: o.Version},
		},
	}
	if r.out, err = newResultSpools(o.Dir); err != nil {
		return nil, err
	}
	for _, k := range ks {
		r.doc.Kinds = append(r.doc.Kinds, k.Name())
		r.resource[k.Name()] = 0
	}

	accounts := make(chan orgAccount)
	ready := make(chan struct{})
	listErr := make(chan error, 1)
	if len(o.Profiles) > 0 {
		go func() {
			defer close(accounts)
			close(ready)
			listErr <- nil
			for i := range o.Profiles {
				p := &o.Profiles[i]
				if !o.Shard.Has(p.Name) {
					continue
				}
				select {
				case accounts <- orgAccount{profile: p}:
				case <-ctx.Done():
					return
				}
			}
		}()
	} else {
		if err := r.describe(); err != nil {
			return nil, err
		}
		// The lister never waits for the scheduler: accounts in flight wait for the list
		// to end before they are judged (the boundary is final only then), so a lister
		// blocked on a full scheduler would wait for them in turn. Ids queue in between.
		listed := make(chan orgAccount)
		go func() {
			defer close(listed)
			listErr <- r.list(listed)
			close(ready)
		}()
		go func() {
			defer close(accounts)
			var queue []orgAccount
			in := listed
			for in != nil || len(queue) > 0 {
				var out chan<- orgAccount
				var next orgAccount
				if len(queue) > 0 {
					out, next = accounts, queue[0]
				}
				select {
				case a, ok := <-in:
					if !ok {
						in = nil
						continue
					}
					queue = append(queue, a)
				case out <- next:
					queue = queue[1:]
				case <-ctx.Done():
					for range in {
					}
					return
				}
			}
		}()
	}

	// Accounts are scanned as they are listed; the semaphore bounds them in flight.
	sem := make(chan struct{}, o.MaxAccounts)
	var wg sync.WaitGroup
	for a := range accounts {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r.scanAccount(ctx, a, ready)
		}()
	}
	for range accounts { // drain after an interrupt so the lister ends
	}
	wg.Wait()
	listed := <-listErr
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("scan interrupted: %w", context.Cause(ctx))
	}
	if listed != nil {
		return nil, listed
	}

	// The organization's own gaps and skips (one at most per account) join the accounts'.
	if err := errors.Join(r.diskErr, r.out.gaps.Add(append(r.doc.Gaps, ctl.gaps...)), r.out.skips.Add(r.doc.Skipped)); err != nil {
		return nil, fmt.Errorf("organization scan: keep the results on disk: %w", err)
	}
	s := r.doc
	s.Gaps, s.Skipped = nil, nil
	s.Boundary = r.bound.Record()
	s.Resources = r.resource
	for reg := range r.regions {
		s.Regions = append(s.Regions, reg)
	}
	s.StartedAt, s.FinishedAt = started.UTC(), time.Now().UTC()
	s.Stats = r.totals(s.FinishedAt.Sub(started))
	s.Sort()
	sort.Strings(r.parts)
	r.out.Scan, r.out.Organization, r.out.parts = s, r.org, r.parts
	return r.out, nil
}

// describe finds the organization and the caller's partition: the roles to assume are
// named in it.
func (r *orgRun) describe() error {
	org, err := describeOrganization(r.ctl.lane("", controlRegion, r.ctl.globalRegion(), laneOrgs))
	if err != nil {
		return fmt.Errorf("describe the organization (organizations:DescribeOrganization): %s; without AWS Organizations, name one profile per account with --profiles", errorText(err))
	}
	r.org = org
	r.part = kinds.Partition(r.ctl.homeRegion())
	sl := r.ctl.lane("", controlRegion, r.ctl.homeRegion(), laneSTS)
	r.sts = sts.NewFromConfig(sl.cfg)
	return nil
}

// list hands each account in scope to the scheduler as soon as a page names it: every
// account from ListAccounts, or with OUs the accounts under them (each subtree walked with
// ListChildren and ListAccountsForParent). Suspended accounts cannot be assumed into; they
// are skipped and said so. Then it settles the boundary, which may need more of the
// organization: all of its accounts (TrustOrganization, or a trusted OU path that is the
// root), or the accounts under each trusted OU path of this organization.
func (r *orgRun) list(out chan<- orgAccount) error {
	only := setOf(r.o.Accounts)
	exclude := setOf(r.o.Exclude)
	t := newOrgTree(r.ctl.lane("", controlRegion, r.ctl.globalRegion(), laneOrgs))
	sent := map[string]bool{}
	send := func(a orgtypes.Account) error {
		id := aws.ToString(a.Id)
		if sent[id] || (len(only) > 0 && !only[id]) || exclude[id] || !r.o.Shard.Has(id) {
			return nil
		}
		sent[id] = true
		if a.Status != "" && a.Status != orgtypes.AccountStatusActive {
			r.mu.Lock()
			r.doc.Skipped = append(r.doc.Skipped, finding.Skip{Account: id, Reason: "account " + strings.ToLower(string(a.Status))})
			r.mu.Unlock()
			return nil
		}
		select {
		case out <- orgAccount{id: id, page: t.pages}:
			return nil
		case <-r.ctl.ctx.Done():
			return context.Cause(r.ctl.ctx)
		}
	}
	if len(r.o.OUs) == 0 {
		if err := t.all(send); err != nil {
			return err
		}
	}
	for _, ou := range r.o.OUs {
		if err := t.walk(ou, "", send); err != nil {
			return err
		}
	}

	// The boundary may need more of the organization than the accounts in scope.
	if r.o.TrustOrganization {
		if err := t.all(nil); err != nil {
			return err
		}
	}
	for _, p := range r.bound.OrgPaths() {
		node, root, ok := pathNode(r.org.ID, p)
		if !ok || r.o.TrustOrganization {
			continue // another organization's accounts cannot be listed; or all are trusted
		}
		var err error
		if root {
			err = t.all(nil) // every account
		} else {
			err = t.walk(node, p, nil)
		}
		if err != nil {
			return fmt.Errorf("trusted OU path %s: %w", p, err)
		}
	}
	r.org.Members = t.members
	b, err := OrganizationBoundary(r.bound, r.org, r.o.TrustOrganization)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.bound, r.pages, r.orgCalls = b, t.pages, t.calls
	r.mu.Unlock()
	return nil
}

// OrganizationBoundary is b widened by what an organization's listing says: with trustOrg,
// the organization and every member; otherwise the members b trusts by their place
// (Boundary.TrustsOrgPath), and every member when a trusted OU path is the root. An organization scan settles
// its boundary with it, and judging the scan's snapshot again does the same from the
// members the snapshot recorded.
func OrganizationBoundary(b access.Boundary, org *world.Organization, trustOrg bool) (access.Boundary, error) {
	if org == nil {
		return b, nil
	}
	whole := trustOrg
	for _, p := range b.OrgPaths() {
		if _, root, ok := pathNode(org.ID, p); ok && root {
			whole = true
		}
	}
	var accounts, orgs []string
	for _, m := range org.Members {
		if whole || b.TrustsOrgPath(m.Path) {
			accounts = append(accounts, m.ID)
		}
	}
	if trustOrg {
		orgs = append(orgs, org.ID)
	}
	if len(accounts) == 0 && len(orgs) == 0 {
		return b, nil
	}
	return b.With(accounts, orgs)
}

func (r *orgRun) boundary() access.Boundary {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.bound
}

func setOf(ids []string) map[string]bool {
	m := map[string]bool{}
	for _, id := range ids {
		m[strings.TrimSpace(id)] = true
	}
	return m
}

// scanAccount assumes the role in one account (once: the credentials are cached and
// refreshed before they expire) and scans it with the engine of a single-account scan.
func (r *orgRun) scanAccount(ctx context.Context, a orgAccount, ready <-chan struct{}) {
	o := r.o.Options
	o.httpClient = r.ctl.base.HTTPClient
	o.ready, o.boundary = ready, r.boundary
	o.Progress = r.o.Progress
	name, doneID := a.id, a.id
	defer func() {
		if r.o.Progress != nil {
			r.o.Progress(Progress{Account: doneID, Finished: true})
		}
	}()
	if a.profile != nil {
		name = a.profile.Name
		o.Config = a.profile.Config
	} else {
		roleARN := fmt.Sprintf("arn:%s:iam::%s:role/%s", r.part, a.id, r.o.RoleName)
		provider := stscreds.NewAssumeRoleProvider(r.sts, roleARN, func(ao *stscreds.AssumeRoleOptions) {
			ao.RoleSessionName = "trustaudit-scan"
			if r.o.ExternalID != "" {
				ao.ExternalID = aws.String(r.o.ExternalID)
			}
		})
		creds := aws.NewCredentialsCache(provider, func(co *aws.CredentialsCacheOptions) {
			co.ExpiryWindow = 5 * time.Minute
		})
		// The earliest this account's scan could start: the organizations page that named it
		// (after DescribeOrganization) at the organizations rate, its AssumeRole at STS's.
		r.mu.Lock()
		r.assumed++
		scale := r.o.RateScale
		r.started[a.id] = max(float64(a.page+1)/(r.ctl.specs[laneOrgs].Rate*scale), float64(r.assumed)/(r.ctl.specs[laneSTS].Rate*scale))
		r.mu.Unlock()
		if _, err := creds.Retrieve(ctx); err != nil {
			r.o.Logger.Warn("cannot assume the audit role; the account is a gap", "account", a.id, "role", roleARN, "err", errorText(err))
			r.accountGap(a.id, "sts:AssumeRole", roleARN, err)
			return
		}
		o.Config = r.ctl.base.Copy()
		o.Config.HTTPClient = nil
		o.Config.Credentials = creds
	}
	s, w, _, err := run(ctx, o)
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		r.o.Logger.Warn("account not scanned", "account", name, "err", err)
		op := kinds.OpOf(err)
		if op == "" {
			op = "*"
		}
		r.accountGap(a.id, op, "", err)
		return
	}
	id := w.Accounts[0].ID
	doneID = id
	part := filepath.Join(r.o.Dir, id+".json")
	acct := w.Accounts[0]
	acct.AccessKeys = nil
	data, err := json.Marshal(&acct)
	if err == nil {
		err = os.WriteFile(part, data, 0o600)
	}
	if err != nil {
		s.Gaps = append(s.Gaps, finding.Gap{Account: id, Region: kinds.GlobalRegion, Kind: "*", Operation: "snapshot", Error: err.Error()})
	}
	if r.o.Mark != nil {
		r.mu.Lock()
		for i := range s.Findings {
			r.o.Mark(&s.Findings[i])
		}
		r.mu.Unlock()
	}
	// The account's lists go to disk now; only its figures stay in memory.
	diskErr := errors.Join(r.out.findings.Add(s.Findings), r.out.gaps.Add(s.Gaps), r.out.skips.Add(s.Skipped))
	r.mu.Lock()
	defer r.mu.Unlock()
	if diskErr != nil && r.diskErr == nil {
		r.diskErr = diskErr
	}
	if err == nil && !slices.Contains(r.parts, part) {
		r.parts = append(r.parts, part)
	}
	d := r.doc
	d.Accounts = append(d.Accounts, id)
	for _, n := range s.Notices {
		if !slices.Contains(d.Notices, n) {
			d.Notices = append(d.Notices, n)
		}
	}
	for _, reg := range s.Regions {
		r.regions[reg] = true
	}
	for k, n := range s.Resources {
		r.resource[k] += n
	}
	r.perAcct[id] = s.Stats
}

func (r *orgRun) accountGap(id, op, resource string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if id != "" {
		r.doc.Accounts = append(r.doc.Accounts, id)
	}
	r.doc.Gaps = append(r.doc.Gaps, finding.Gap{Account: id, Region: kinds.GlobalRegion, Kind: "*", Operation: op, Resource: resource, Error: errorText(err)})
}

// totals are the run's figures: every account's calls and the organization's own (listing
// and one AssumeRole per account), against the minimum. The lower bound is the largest,
// over the accounts, of the earliest the account could start plus its own bound, since
// the accounts run at once (when they fit in MaxAccounts).
func (r *orgRun) totals(elapsed time.Duration) *finding.Stats {
	st := &finding.Stats{
		Calls:        r.ctl.stats.snapshot(),
		MinimalCalls: map[string]int64{},
		Throttles:    r.ctl.stats.throttles.Load(),
		Retries:      r.ctl.stats.retries.Load(),
		ElapsedSec:   elapsed.Seconds(),
		Accounts:     r.perAcct,
	}
	if r.org != nil {
		st.MinimalCalls["organizations:DescribeOrganization"] = 1
		// No page is read twice, so each call made is one the scan needed.
		for api, n := range r.orgCalls {
			st.MinimalCalls[api] = n
		}
		st.MinimalCalls["sts:AssumeRole"] = int64(r.assumed)
		scale := r.o.RateScale
		st.LowerBoundSec = max(float64(r.pages+1)/(r.ctl.specs[laneOrgs].Rate*scale), float64(r.assumed)/(r.ctl.specs[laneSTS].Rate*scale))
	}
	for _, a := range r.perAcct {
		if a == nil {
			continue
		}
		for k, n := range a.Calls {
			st.Calls[k] += n
		}
		for k, n := range a.MinimalCalls {
			st.MinimalCalls[k] += n
		}
		st.Throttles += a.Throttles
		st.Retries += a.Retries
		st.LowerBoundSec = max(st.LowerBoundSec, a.LowerBoundSec)
	}
	// Accounts cannot start before they are listed and assumed: pages are a chain at the
	// organizations rate, so the last page's accounts start late by as much.
	for id, a := range r.perAcct {
		if a != nil {
			st.LowerBoundSec = max(st.LowerBoundSec, r.started[id]+a.LowerBoundSec)
		}
	}
	return st
}
