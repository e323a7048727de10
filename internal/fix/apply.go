package fix

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"

	"github.com/trustaudit/trustaudit/internal/kinds"
)

// Status is the outcome for one resource.
type Status string

const (
	StatusApplied Status = "applied" // changed as planned and verified
	StatusSkipped Status = "skipped" // left alone on purpose (changed since the scan, ...)
	StatusFailed  Status = "failed"  // a call failed or the result is not the plan
	StatusManual  Status = "manual"  // nothing to do automatically; see Manual
)

// Result is what happened to one resource. Changed says whether the live policy differs
// from before; whenever it may, Backup names the file that holds the original.
type Result struct {
	Kind        string   `json:"kind"`
	Account     string   `json:"account"`
	Region      string   `json:"region"`
	ResourceARN string   `json:"resource_arn"`
	PolicyName  string   `json:"policy_name,omitempty"`
	Status      Status   `json:"status"`
	Changed     bool     `json:"changed"`
	Backup      string   `json:"backup,omitempty"`
	Message     string   `json:"message,omitempty"`
	Findings    []string `json:"findings,omitempty"`
	Manual      []Manual `json:"manual,omitempty"`
}

// Report is the outcome of a fix or a restore.
type Report struct {
	BackupDir string   `json:"backup_dir,omitempty"`
	Results   []Result `json:"results"`
}

// OK reports whether every planned change was applied (manual items are not failures: the
// plan said they need a person).
func (r *Report) OK() bool {
	for _, res := range r.Results {
		if res.Status == StatusFailed || res.Status == StatusSkipped {
			return false
		}
	}
	return true
}

// ApplyOptions configure Apply.
type ApplyOptions struct {
	// BackupDir receives one backup file per changed resource.
	BackupDir string
	Now       func() time.Time
}

// Apply carries out the plan resource by resource: re-read, skip if the policy changed since
// the plan's original, back up, write, re-read and verify. Every resource ends unchanged, or
// changed with its backup on disk, and its Result says which.
func (p *Plan) Apply(ctx context.Context, o ApplyOptions) *Report {
	if o.Now == nil {
		o.Now = time.Now
	}
	rep := &Report{BackupDir: o.BackupDir}
	for _, c := range p.Changes {
		rep.Results = append(rep.Results, p.apply(ctx, o, c))
	}
	return rep
}

func resultFor(c *Change) Result {
	return Result{Kind: c.Kind, Account: c.Account, Region: c.Region, ResourceARN: c.ResourceARN, PolicyName: c.PolicyName, Findings: c.Findings, Manual: c.Manual}
}

func (p *Plan) apply(ctx context.Context, o ApplyOptions, c *Change) Result {
	res := resultFor(c)
	switch {
	case c.Skip != "":
		res.Status, res.Message = StatusSkipped, c.Skip
		return res
	case c.Action == ActionNone:
		res.Status, res.Message = StatusManual, "no automatic change; see the manual actions"
		return res
	}
	k, _ := kinds.Get(c.Kind)
	reader, _ := k.(kinds.Reader)
	if reader == nil {
		res.Status, res.Message = StatusFailed, "kind "+c.Kind+" has no remediation"
		return res
	}
	if err := p.checkAccount(ctx, c.Account); err != nil {
		res.Status, res.Message = StatusSkipped, "unchanged: "+errText(err)
		return res
	}
	cfg := p.regionConfig(c.Region, c.ResourceARN)
	ref := c.ref()
	live, err := reader.ReadPolicy(ctx, cfg, ref)
	if err != nil {
		res.Status, res.Message = StatusFailed, "unchanged: "+errText(err)
		return res
	}
	if !sameDocument(live.Document, c.Original) {
		res.Status, res.Message = StatusSkipped, "unchanged: the policy changed since the scan; scan again and plan anew"
		return res
	}
	b := &Backup{
		Version: BackupVersion, Tool: p.Tool, Time: o.Now().UTC(),
		Account: c.Account, Region: c.Region, Kind: c.Kind, ResourceARN: c.ResourceARN, PolicyName: c.PolicyName,
		Action: c.Action, Original: live.Document, Planned: c.Planned, StatementIDs: c.StatementIDs, Findings: c.Findings,
	}
	if c.Action == ActionRemoveStatements {
		if b.RemovedStatements, err = statementsByID(live.Document, c.StatementIDs); err != nil {
			res.Status, res.Message = StatusFailed, "unchanged: "+errText(err)
			return res
		}
	}
	path, err := writeBackup(o.BackupDir, b)
	if err != nil {
		res.Status, res.Message = StatusFailed, "unchanged: no backup, so no change: "+errText(err)
		return res
	}
	res.Backup = path

	var werr error
	switch r := k.(type) {
	case kinds.DocumentRemediator:
		werr = r.WritePolicy(ctx, cfg, ref, c.Planned)
	case kinds.StatementRemediator:
		werr = removeStatements(ctx, cfg, r, ref, live, c)
	}
	after, rerr := reader.ReadPolicy(ctx, cfg, ref)
	switch {
	case werr != nil && rerr != nil:
		res.Status, res.Changed = StatusFailed, true
		res.Message = fmt.Sprintf("%s; the policy could not be read back (%s), so it may have changed: the original is in the backup", errText(werr), errText(rerr))
	case werr != nil:
		res.Status, res.Changed = StatusFailed, !sameDocument(after.Document, live.Document)
		if res.Changed {
			res.Message = fmt.Sprintf("changed in part: %s; the original is in the backup", errText(werr))
		} else {
			res.Message = fmt.Sprintf("unchanged: %s", errText(werr))
		}
	case rerr != nil:
		res.Status, res.Changed = StatusFailed, true
		res.Message = fmt.Sprintf("written but not verified: %s; the original is in the backup", errText(rerr))
	case !sameDocument(after.Document, c.Planned):
		res.Status, res.Changed = StatusFailed, !sameDocument(after.Document, live.Document)
		res.Message = "the policy read back is not the planned one (changed concurrently?); the original is in the backup"
	default:
		res.Status, res.Changed = StatusApplied, true
		switch c.Action {
		case ActionDelete:
			res.Message = "policy deleted"
		case ActionRemoveStatements:
			res.Message = fmt.Sprintf("removed %d statement(s)", len(c.StatementIDs))
		default:
			res.Message = "policy rewritten"
		}
	}
	return res
}

// errText is an error as a person reads it: our context, then the service's code and
// message without the SDK's operation and request-id wrapping.
func errText(err error) string {
	s := err.Error()
	var ae smithy.APIError
	if errors.As(err, &ae) {
		if i := strings.Index(s, "operation error "); i >= 0 {
			s = s[:i] + ae.ErrorCode()
			if m := ae.ErrorMessage(); m != "" {
				s += ": " + m
			}
		}
	}
	return s
}

// removeStatements removes the change's statements one by one, each conditional on the
// revision read just before it, and checks between removals that nothing else changed.
func removeStatements(ctx context.Context, cfg aws.Config, r kinds.StatementRemediator, ref kinds.PolicyRef, live kinds.LivePolicy, c *Change) error {
	cur := live
	for i, sid := range c.StatementIDs {
		if i > 0 {
			var err error
			if cur, err = r.ReadPolicy(ctx, cfg, ref); err != nil {
				return err
			}
			want, err := withoutStatements(live.Document, c.StatementIDs[:i])
			if err != nil {
				return err
			}
			if !sameDocument(cur.Document, want) {
				return errors.New("the policy changed while statements were being removed; stopped")
			}
		}
		if err := r.RemoveStatement(ctx, cfg, ref, sid, cur.Revision); err != nil {
			return err
		}
	}
	return nil
}

// withoutStatements is doc without the statements with the given ids ("" when none is left).
func withoutStatements(doc string, ids []string) (string, error) {
	tree, err := parseDocument(doc)
	if err != nil {
		return "", err
	}
	stmts, isList := statements(tree)
	kept := slices.DeleteFunc(slices.Clone(stmts), func(st *node) bool {
		sid := st.get("Sid")
		return sid != nil && sid.kind == 's' && slices.Contains(ids, sid.text)
	})
	if len(kept) == 0 {
		return "", nil
	}
	if isList {
		tree.get("Statement").elems = kept
	}
	return tree.String(), nil
}
