package finding

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"time"
)

// SchemaVersion is the version of the scan document. It changes only when a reader of an
// older document would misread a newer one (a field removed or its meaning changed), so
// saved scans stay readable by --from-scan, diff and the renderers.
const SchemaVersion = 1

// Scan is the canonical scan document: everything a user sees is rendered from it, so a saved
// scan can be re-rendered, diffed or uploaded later without touching AWS.
type Scan struct {
	SchemaVersion int            `json:"schema_version"`
	Tool          Tool           `json:"tool"`
	StartedAt     time.Time      `json:"started_at"`
	FinishedAt    time.Time      `json:"finished_at"`
	Accounts      []string       `json:"accounts"`
	Regions       []string       `json:"regions"`
	Kinds         []string       `json:"kinds"`
	Boundary      Boundary       `json:"trust_boundary"`
	Findings      []Finding      `json:"findings"`
	Gaps          []Gap          `json:"gaps"`
	Skipped       []Skip         `json:"skipped,omitempty"`
	Notices       []string       `json:"notices,omitempty"`
	Resources     map[string]int `json:"resources"`
	Stats         *Stats         `json:"stats,omitempty"`
}

// Tool names the program that wrote the document, so a finding can be traced to the rules of
// the version that produced it.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// Command is the command that made the document: "scan" (also when empty, as in
	// documents written before the field existed) or "trail", whose resources are the
	// policy changes it read.
	Command string `json:"command,omitempty"`
}

// Boundary records the trust boundary a scan was judged against: the same policy is a
// finding under one boundary and clean under another, so the document must say which.
type Boundary struct {
	TrustedAccounts []string `json:"trusted_accounts"`
	TrustedOrgs     []string `json:"trusted_orgs"`
	TrustedOrgPaths []string `json:"trusted_org_paths,omitempty"`
}

// Finding is one grant to someone outside the trust boundary, with the evidence a reviewer
// needs to confirm it without going back to AWS.
type Finding struct {
	// ID is stable across scans of the same grant so that suppressions, diffs and ticket
	// trackers can follow a finding over time; see ComputeID.
	ID             string   `json:"id"`
	Rule           string   `json:"rule"`
	Title          string   `json:"title"`
	Severity       Severity `json:"severity"`
	Category       Category `json:"category"`
	Kind           string   `json:"kind"`
	ResourceARN    string   `json:"resource_arn"`
	Region         string   `json:"region"` // "global" for IAM
	Account        string   `json:"account"`
	Accounts       []string `json:"accounts,omitempty"`
	Orgs           []string `json:"orgs,omitempty"`
	Services       []string `json:"services,omitempty"`
	PolicyName     string   `json:"policy_name,omitempty"`
	StatementID    string   `json:"statement_id,omitempty"`
	StatementIndex int      `json:"statement_index"`
	Principal      string   `json:"principal,omitempty"`
	Actions        []string `json:"actions,omitempty"`
	Conditions     []string `json:"conditions,omitempty"`
	Statement      string   `json:"statement,omitempty"`
	Explanation    string   `json:"explanation"`
	// Event is the CloudTrail event behind a finding of `trustaudit trail`; nil for scans.
	Event        *Event `json:"event,omitempty"`
	Suppressed   bool   `json:"suppressed,omitempty"`
	SuppressedBy string `json:"suppressed_by,omitempty"`
	// Known marks a finding whose id is in the baseline the run was given: it is still
	// reported, so that it is not forgotten, but it does not fail the run.
	Known bool `json:"known,omitempty"`
}

// Gap is something the scan could not read. A scan with gaps is incomplete and must never be
// reported as clean, so every failure ends up here rather than in a log line.
type Gap struct {
	Account   string `json:"account"`
	Region    string `json:"region"`
	Kind      string `json:"kind"`
	Operation string `json:"operation"`
	Resource  string `json:"resource,omitempty"`
	Error     string `json:"error"`
}

// Skip is a region or account left out on purpose (an opt-in region that is not enabled);
// unlike a gap it does not make the scan incomplete, but the user is told.
type Skip struct {
	Account string `json:"account"`
	Region  string `json:"region"`
	Reason  string `json:"reason"`
}

// Stats lets a user check the scan's cost against the minimum the quotas allow.
type Stats struct {
	Calls         map[string]int64 `json:"calls"`
	MinimalCalls  map[string]int64 `json:"minimal_calls"`
	Throttles     int64            `json:"throttles"`
	Retries       int64            `json:"retries"`
	ElapsedSec    float64          `json:"elapsed_seconds"`
	LowerBoundSec float64          `json:"lower_bound_seconds"`
	// Accounts holds each account's own figures in an organization scan; the fields above
	// are then the run's totals (calls summed, elapsed the wall time, lower bound the
	// largest of any lane's, since every account's lanes run at once).
	Accounts map[string]*Stats `json:"accounts,omitempty"`
}

// ComputeID sets f.ID from what identifies the grant, not from where or when it was seen:
// the rule, the resource, the policy and statement, and who it lets in. Severity, wording and
// statement text are left out so that a rule's retitling or a reformatted policy keeps the id.
func (f *Finding) ComputeID() {
	stmt := f.StatementID
	if stmt == "" {
		stmt = "#" + strconv.Itoa(f.StatementIndex)
	}
	who := make([]string, 0, len(f.Accounts)+len(f.Orgs)+1)
	for _, a := range f.Accounts {
		who = append(who, "account:"+a)
	}
	for _, o := range f.Orgs {
		who = append(who, "org:"+o)
	}
	if f.Principal != "" {
		who = append(who, "principal:"+f.Principal)
	}
	slices.Sort(who)
	who = slices.Compact(who)
	h := sha256.New()
	for i, part := range []string{f.Rule, f.ResourceARN, f.PolicyName, stmt, strings.Join(who, ",")} {
		if i > 0 {
			h.Write([]byte{'|'})
		}
		h.Write([]byte(part))
	}
	f.ID = hex.EncodeToString(h.Sum(nil))[:16]
}

// Sort puts the document in canonical order so that two scans of the same account produce
// byte-identical findings, gaps and skips, and a diff shows only what changed. Findings go
// most severe first because that is the order a reader should act in.
func (s *Scan) Sort() {
	slices.SortStableFunc(s.Findings, func(a, b Finding) int { return CompareFindings(&a, &b) })
	slices.SortStableFunc(s.Gaps, func(a, b Gap) int { return CompareGaps(&a, &b) })
	slices.SortStableFunc(s.Skipped, func(a, b Skip) int { return CompareSkips(&a, &b) })
	slices.Sort(s.Accounts)
	slices.Sort(s.Regions)
}

// CompareFindings is the canonical order of findings; documents too large for memory are
// merged from sorted runs in the same order.
func CompareFindings(a, b *Finding) int {
	return cmp.Or(
		cmp.Compare(b.Severity, a.Severity),
		cmp.Compare(a.Kind, b.Kind),
		cmp.Compare(a.ResourceARN, b.ResourceARN),
		cmp.Compare(a.ID, b.ID),
	)
}

// CompareGaps is the canonical order of gaps.
func CompareGaps(a, b *Gap) int {
	return cmp.Or(
		cmp.Compare(a.Account, b.Account),
		cmp.Compare(a.Region, b.Region),
		cmp.Compare(a.Kind, b.Kind),
		cmp.Compare(a.Operation, b.Operation),
		cmp.Compare(a.Resource, b.Resource),
		cmp.Compare(a.Error, b.Error),
	)
}

// CompareSkips is the canonical order of skipped accounts and regions.
func CompareSkips(a, b *Skip) int {
	return cmp.Or(
		cmp.Compare(a.Account, b.Account),
		cmp.Compare(a.Region, b.Region),
		cmp.Compare(a.Reason, b.Reason),
	)
}

// Unsuppressed returns the findings that still need attention; they decide the exit status.
func (s *Scan) Unsuppressed() []Finding {
	var out []Finding
	for _, f := range s.Findings {
		if !f.Suppressed {
			out = append(out, f)
		}
	}
	return out
}
