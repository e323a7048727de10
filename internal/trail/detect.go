package trail

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/trustaudit/trustaudit/internal/access"
	"github.com/trustaudit/trustaudit/internal/finding"
	"github.com/trustaudit/trustaudit/internal/policy"
)

// Categories of trail findings beyond the access categories. An attempt is a change AWS
// refused; a removal closed access. Neither opened anything, so neither fails a build by
// default, but both belong in an incident timeline.
const (
	CategoryIndicator = finding.CategoryIndicator
	CategoryAttempt   = finding.CategoryAttempt
	CategoryRemoval   = finding.CategoryRemoval
)

// Rule ids of the findings the detector adds on top of the access rules. A change that opens
// access is reported under "trail/" + the access rule id (trail/ses-identity/public).
const (
	RuleIndicator = "trail/endgame-indicator"
	RuleAttempt   = "trail/attempt"
	RuleRemoval   = "trail/access-removed"
)

// endgame's signatures (endgame/shared/constants.py): the Sid or policy name it writes, and
// the user agent it sends unless run with --cloak.
const (
	endgameSid       = "Endgame"
	endgameUserAgent = "HotDogsAreSandwiches"
)

// Options configure a Detector.
type Options struct {
	Boundary access.Boundary
	Window   Window
	// All also reports changes that removed access (informational).
	All bool
}

// Detector judges CloudTrail records one at a time and keeps only what it reports, so its
// memory does not grow with the number of records read. Sources may run concurrently (one per
// region of LookupEvents, each held to its own region's quota): mu serialises what they feed.
type Detector struct {
	mu         sync.Mutex
	opts       Options
	detections []finding.Finding // each with its Event
	gaps       []finding.Gap
	notices    []string
	seen       map[string]bool // event ids already judged (sources may overlap)
	accounts   map[string]bool
	regions    map[string]bool
	kinds      map[string]int
	records    int64
	matched    int64
	started    time.Time
}

// NewDetector returns a detector for one run.
func NewDetector(opts Options) *Detector {
	return &Detector{
		opts: opts, seen: map[string]bool{}, accounts: map[string]bool{}, regions: map[string]bool{},
		kinds: map[string]int{}, started: time.Now().UTC(),
	}
}

// Counts reports how many records were read and how many changed a resource policy.
func (d *Detector) Counts() (records, matched int64) { return d.records, d.matched }

// Run reads every source in turn.
func (d *Detector) Run(ctx context.Context, sources ...Source) error {
	for _, src := range sources {
		if err := src.Records(ctx, d.opts.Window, d.Record); err != nil {
			return err
		}
	}
	return nil
}

// AddGap records a source that could not be read (one region of LookupEvents, say), so that
// the report is not mistaken for a clean one.
func (d *Detector) AddGap(g finding.Gap) {
	d.mu.Lock()
	d.gaps = append(d.gaps, g)
	d.mu.Unlock()
}

// AddNotice adds a line the report shows as is (what was read, what may be missing).
func (d *Detector) AddNotice(n string) {
	d.mu.Lock()
	d.notices = append(d.notices, n)
	d.mu.Unlock()
}

// Record judges one record. It returns an error only to stop the run; a record that cannot
// be judged becomes a gap.
func (d *Detector) Record(r *Record) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.records++
	ev, ok := Match(r.EventSource, r.EventName)
	if !ok || !d.opts.Window.Contains(r.EventTime) {
		return nil
	}
	if r.EventID != "" {
		if d.seen[r.EventID] {
			return nil
		}
		d.seen[r.EventID] = true
	}
	d.matched++
	d.kinds[string(ev.Kind)]++
	owner := r.Account()
	d.accounts[owner] = true
	gap := func(resource string, err error) error {
		d.gaps = append(d.gaps, finding.Gap{
			Account: owner, Region: r.AWSRegion, Kind: string(ev.Kind),
			Operation: r.EventSource + ":" + r.EventName, Resource: resource,
			Error: fmt.Sprintf("event %s at %s: %v", r.EventID, r.EventTime.Format(time.RFC3339), err),
		})
		return nil
	}
	p, err := parseParams(r.RequestParameters)
	if err != nil {
		if r.Failed() {
			// A refused call is often logged without its parameters; the attempt itself is
			// still worth reporting.
			region := regionOf(ev, r)
			d.regions[region] = true
			f := attemptFinding(r, ev, nil)
			f.Explanation += " CloudTrail did not log the request, so what it would have granted is unknown."
			d.add(r, ev, &Change{Region: region}, nil, f)
			return nil
		}
		return gap("", err)
	}
	ch, err := ev.Rebuild(r, p)
	if err != nil {
		return gap("", err)
	}
	d.regions[ch.Region] = true
	var doc *policy.Document
	if ch.Policy != "" {
		if doc, err = policy.ParseString(ch.Policy); err != nil {
			return gap(ch.ResourceARN, fmt.Errorf("the policy in the request: %w", err))
		}
	}
	indicator := indicators(r, ch, doc)

	if ev.Removal {
		switch {
		case r.Failed():
			if indicator != "" {
				d.add(r, ev, ch, doc, attemptFinding(r, ev, nil, indicator))
			}
		case indicator != "":
			d.add(r, ev, ch, doc, indicatorFinding(indicator, nil))
		case d.opts.All:
			d.add(r, ev, ch, doc, finding.Finding{
				Rule: RuleRemoval, Title: ev.Kind.Noun() + " access removed", Severity: finding.SeverityInfo,
				Category:    CategoryRemoval,
				Explanation: fmt.Sprintf("%s removed %s from the %s; this closes whatever access it granted.", r.EventName, describePolicy(ev, ch), ev.Kind.Noun()),
			})
		}
		return nil
	}

	res := access.Evaluate(access.Input{Kind: ev.Kind, Owner: owner, ResourceARN: ch.ResourceARN, PolicyName: ch.PolicyName, Doc: doc}, d.opts.Boundary)
	if r.Failed() {
		if len(res.Findings) > 0 || indicator != "" {
			d.add(r, ev, ch, doc, attemptFinding(r, ev, res.Findings, indicator))
		}
		return nil
	}
	for _, af := range res.Findings {
		if af.Rule.Severity < finding.SeverityMedium {
			// The access engine rates low only hygiene that lets no one in (a compute
			// service trusted without a source condition, usable only through
			// iam:PassRole in the owner's account); every role created for EC2 or Lambda
			// would be reported otherwise.
			continue
		}
		f := fromAccess(af)
		f.Rule = "trail/" + af.Rule.ID
		f.Title = "Policy change: " + af.Rule.Title
		f.Explanation = "This opened access: " + af.Explanation
		d.add(r, ev, ch, doc, f)
	}
	if indicator != "" {
		d.add(r, ev, ch, doc, indicatorFinding(indicator, res.Findings))
	}
	return nil
}

// regionOf is the region a finding is filed under: IAM is global (CloudTrail logs it in
// us-east-1).
func regionOf(ev Event, r *Record) string {
	if ev.Kind == access.KindIAMRole {
		return "global"
	}
	return r.AWSRegion
}

// indicators returns why the event carries endgame's signature, or "".
func indicators(r *Record, ch *Change, doc *policy.Document) string {
	var why []string
	if strings.Contains(strings.ToLower(r.UserAgent), strings.ToLower(endgameUserAgent)) {
		why = append(why, fmt.Sprintf("user agent %q", r.UserAgent))
	}
	if strings.EqualFold(ch.PolicyName, endgameSid) {
		why = append(why, fmt.Sprintf("policy or statement named %q", ch.PolicyName))
	}
	if doc != nil {
		for _, st := range doc.Statements {
			if strings.EqualFold(st.Sid, endgameSid) && !strings.EqualFold(ch.PolicyName, endgameSid) {
				why = append(why, fmt.Sprintf("statement %d with Sid %q", st.Index+1, st.Sid))
			}
		}
	}
	return strings.Join(why, ", ")
}

func indicatorFinding(why string, grants []access.Finding) finding.Finding {
	f := finding.Finding{
		Rule: RuleIndicator, Title: "Indicator of compromise: endgame's signature on a policy change",
		Severity: finding.SeverityCritical, Category: CategoryIndicator,
		Explanation: "The change carries the signature of endgame, a tool that backdoors resource policies: " + why +
			". Treat the caller's credentials as compromised whatever the grant names.",
	}
	if len(grants) > 0 {
		g := fromAccess(grants[0])
		f.Accounts, f.Orgs, f.Services, f.Principal = g.Accounts, g.Orgs, g.Services, g.Principal
		f.StatementID, f.StatementIndex = g.StatementID, g.StatementIndex
	}
	return f
}

func attemptFinding(r *Record, ev Event, grants []access.Finding, indicator ...string) finding.Finding {
	f := finding.Finding{
		Rule: RuleAttempt, Title: ev.Kind.Noun() + " policy change refused by AWS", Severity: finding.SeverityLow,
		Category: CategoryAttempt,
	}
	var what []string
	if len(grants) > 0 {
		g := fromAccess(grants[0])
		f.Accounts, f.Orgs, f.Services, f.Principal = g.Accounts, g.Orgs, g.Services, g.Principal
		f.StatementID, f.StatementIndex, f.Conditions = g.StatementID, g.StatementIndex, g.Conditions
		for _, a := range grants {
			what = append(what, a.Explanation)
		}
	}
	why := strings.Join(slices.DeleteFunc(indicator, func(s string) bool { return s == "" }), ", ")
	if why != "" {
		f.Severity = finding.SeverityHigh
		f.Title += ", with endgame's signature"
	}
	f.Explanation = fmt.Sprintf("%s failed with %s", r.EventName, r.ErrorCode)
	if r.ErrorMessage != "" {
		f.Explanation += " (" + r.ErrorMessage + ")"
	}
	if len(what) > 0 {
		f.Explanation += "; had it succeeded: " + strings.Join(what, "; ")
	}
	if why != "" {
		f.Explanation += "; endgame's signature: " + why
	}
	f.Explanation += "."
	return f
}

func fromAccess(af access.Finding) finding.Finding {
	return finding.Finding{
		Rule: af.Rule.ID, Title: af.Rule.Title, Severity: af.Rule.Severity, Category: af.Rule.Category,
		StatementID: af.Sid, StatementIndex: af.StatementIndex, Principal: af.Principal, Actions: af.Actions,
		Accounts: af.Accounts, Orgs: af.Orgs, Services: af.Services, Conditions: af.Conditions,
		Explanation: af.Explanation,
	}
}

func describePolicy(ev Event, ch *Change) string {
	switch {
	case ch.PolicyName == "":
		return "a policy"
	case ev.Kind == access.KindSESIdentity:
		return fmt.Sprintf("policy %q", ch.PolicyName)
	default:
		return fmt.Sprintf("statement %q", ch.PolicyName)
	}
}

// add completes f with the resource and the event and keeps it.
func (d *Detector) add(r *Record, ev Event, ch *Change, doc *policy.Document, f finding.Finding) {
	f.Kind = string(ev.Kind)
	f.ResourceARN = ch.ResourceARN
	f.Region = ch.Region
	f.Account = r.Account()
	if f.PolicyName == "" && ev.Kind == access.KindSESIdentity {
		f.PolicyName = ch.PolicyName
	}
	if f.StatementID == "" && ev.Kind != access.KindSESIdentity {
		f.StatementID = ch.PolicyName
	}
	if f.Actions == nil && doc != nil && f.StatementIndex >= 0 && f.StatementIndex < len(doc.Statements) {
		f.Actions = doc.Statements[f.StatementIndex].Action
	}
	if ch.Policy != "" {
		f.Statement = ch.Policy
	}
	e := finding.Event{
		Time: r.EventTime.UTC(), ID: r.EventID, Name: r.EventName, Source: r.EventSource, Actor: r.Actor(),
		SourceIP: r.SourceIPAddress, UserAgent: r.UserAgent, ErrorCode: r.ErrorCode,
	}
	f.Explanation = fmt.Sprintf("%s: %s called %s from %s (user agent %q, event %s). %s",
		e.Time.Format(time.RFC3339), e.Actor, e.Name, orDash(e.SourceIP), e.UserAgent, e.ID, f.Explanation)
	f.Event = &e
	f.ComputeID()
	// One grant can be made many times; each event is its own finding.
	h := sha256.Sum256([]byte(f.ID + "|" + e.ID + "|" + e.Time.Format(time.RFC3339Nano)))
	f.ID = hex.EncodeToString(h[:])[:16]
	d.detections = append(d.detections, f)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Detections returns what the detector reported, in event-time order; each finding carries
// the event behind it.
func (d *Detector) Detections() []finding.Finding {
	out := slices.Clone(d.detections)
	slices.SortStableFunc(out, func(a, b finding.Finding) int { return a.Event.Time.Compare(b.Event.Time) })
	return out
}

// Scan returns the run as a scan document, for the renderers shared with `scan`.
func (d *Detector) Scan(version string) *finding.Scan {
	s := &finding.Scan{
		SchemaVersion: finding.SchemaVersion,
		Tool:          finding.Tool{Name: "trustaudit", Version: version, Command: "trail"},
		StartedAt:     d.started,
		FinishedAt:    time.Now().UTC(),
		Accounts:      keys(d.accounts),
		Regions:       keys(d.regions),
		Boundary:      d.opts.Boundary.Record(),
		Findings:      []finding.Finding{},
		Gaps:          slices.Clone(d.gaps),
		Resources:     map[string]int{},
		Notices:       append([]string{fmt.Sprintf("read %d CloudTrail records; %d changed a resource policy", d.records, d.matched)}, d.notices...),
	}
	if s.Gaps == nil {
		s.Gaps = []finding.Gap{}
	}
	for k, n := range d.kinds {
		s.Kinds = append(s.Kinds, k)
		s.Resources[k] = n
	}
	slices.Sort(s.Kinds)
	s.Findings = append(s.Findings, d.detections...)
	s.Sort()
	return s
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		if k != "" {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// Failing reports whether a finding should fail a build: everything that opened access or
// carries an indicator; attempts only when asked; removals never.
func Failing(f finding.Finding, failOnAttempts bool) bool {
	switch f.Category {
	case CategoryRemoval:
		return false
	case CategoryAttempt:
		return failOnAttempts
	default:
		return true
	}
}
