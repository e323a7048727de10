package fix

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/trustaudit/trustaudit/internal/kinds"
)

// RestoreOptions configure a restore.
type RestoreOptions struct {
	Config  aws.Config
	Account string // the credentials' account; "" asks STS
	// Force restores a document-kind policy even if it changed after the fix (the change
	// is lost). Lambda statements are added back without overwriting anything, so Force
	// does not apply to them.
	Force bool
}

// RestoreItem is the plan for one backup.
type RestoreItem struct {
	Path   string  `json:"path"`
	Backup *Backup `json:"backup"`
	// Current is the policy as read when the restore was planned.
	Current string `json:"current"`
	// Add are the removed statements that are not back yet (Lambda).
	Add []json.RawMessage `json:"add,omitempty"`
	// Skip says why the backup will not be restored; Done that it needs nothing.
	Skip string `json:"skip,omitempty"`
	Done bool   `json:"already_restored,omitempty"`
}

// RestorePlan is every restore to make.
type RestorePlan struct {
	Items []*RestoreItem `json:"items"`
	p     *Plan
	force bool
}

// PlanRestore reads the current policy of every backup's resource and works out what
// putting the original back takes. It makes no write.
func PlanRestore(ctx context.Context, o RestoreOptions, paths []string, backups []*Backup) *RestorePlan {
	rp := &RestorePlan{p: &Plan{cfg: o.Config, account: o.Account}, force: o.Force}
	for i, b := range backups {
		it := &RestoreItem{Path: paths[i], Backup: b}
		rp.Items = append(rp.Items, it)
		rp.plan(ctx, it)
	}
	return rp
}

func (rp *RestorePlan) plan(ctx context.Context, it *RestoreItem) {
	b := it.Backup
	k, _ := kinds.Get(b.Kind)
	reader, _ := k.(kinds.Reader)
	if reader == nil {
		it.Skip = "kind " + b.Kind + " has no remediation"
		return
	}
	if err := rp.p.checkAccount(ctx, b.Account); err != nil {
		it.Skip = errText(err)
		return
	}
	live, err := reader.ReadPolicy(ctx, rp.p.regionConfig(b.Region, b.ResourceARN), b.ref())
	if err != nil {
		it.Skip = "could not read the current policy: " + errText(err)
		return
	}
	it.Current = live.Document
	switch k.(type) {
	case kinds.DocumentRemediator:
		switch {
		case sameDocument(live.Document, b.Original):
			it.Done = true
		case !sameDocument(live.Document, b.Planned) && !rp.force:
			it.Skip = "the policy changed after the fix; restoring would overwrite that change (use --force to restore anyway)"
		}
	case kinds.StatementRemediator:
		it.Add, it.Skip = missingStatements(live.Document, b)
		it.Done = it.Skip == "" && len(it.Add) == 0
	}
}

// missingStatements returns the removed statements not in doc. A statement id that is back
// with other content is a conflict: adding ours would fail, and replacing theirs would lose
// a change, so the restore of that backup is refused.
func missingStatements(doc string, b *Backup) ([]json.RawMessage, string) {
	var present map[string]json.RawMessage
	if doc != "" {
		tree, err := parseDocument(doc)
		if err != nil {
			return nil, "the current policy: " + err.Error()
		}
		stmts, _ := statements(tree)
		present = map[string]json.RawMessage{}
		for _, st := range stmts {
			if sid := st.get("Sid"); sid != nil && sid.kind == 's' {
				present[sid.text] = json.RawMessage(st.String())
			}
		}
	}
	var add []json.RawMessage
	for i, st := range b.RemovedStatements {
		sid := b.StatementIDs[i]
		cur, ok := present[sid]
		if !ok {
			add = append(add, st)
			continue
		}
		a, errA := kinds.StatementKey(cur)
		o, errO := kinds.StatementKey(st)
		if errA != nil || errO != nil || a != o {
			return nil, fmt.Sprintf("statement %q exists again with other content; remove it first to restore the original", sid)
		}
	}
	return add, ""
}

// Apply restores every planned backup and verifies it.
func (rp *RestorePlan) Apply(ctx context.Context) *Report {
	rep := &Report{}
	for _, it := range rp.Items {
		rep.Results = append(rep.Results, rp.apply(ctx, it))
	}
	return rep
}

func (rp *RestorePlan) apply(ctx context.Context, it *RestoreItem) Result {
	b := it.Backup
	res := Result{Kind: b.Kind, Account: b.Account, Region: b.Region, ResourceARN: b.ResourceARN, PolicyName: b.PolicyName, Backup: it.Path, Findings: b.Findings}
	switch {
	case it.Skip != "":
		res.Status, res.Message = StatusSkipped, "unchanged: "+it.Skip
		return res
	case it.Done:
		res.Status, res.Message = StatusApplied, "already restored"
		return res
	}
	k, _ := kinds.Get(b.Kind)
	reader := k.(kinds.Reader)
	cfg := rp.p.regionConfig(b.Region, b.ResourceARN)
	ref := b.ref()
	live, err := reader.ReadPolicy(ctx, cfg, ref)
	if err != nil {
		res.Status, res.Message = StatusFailed, "unchanged: "+errText(err)
		return res
	}
	if !sameDocument(live.Document, it.Current) {
		res.Status, res.Message = StatusSkipped, "unchanged: the policy changed since the restore was planned"
		return res
	}
	var werr error
	switch r := k.(type) {
	case kinds.DocumentRemediator:
		werr = r.WritePolicy(ctx, cfg, ref, b.Original)
	case kinds.StatementRemediator:
		cur := live
		for i, st := range it.Add {
			if i > 0 {
				if cur, werr = r.ReadPolicy(ctx, cfg, ref); werr != nil {
					break
				}
			}
			if werr = r.AddStatement(ctx, cfg, ref, st, cur.Revision); werr != nil {
				break
			}
		}
	}
	after, rerr := reader.ReadPolicy(ctx, cfg, ref)
	changed := rerr != nil || !sameDocument(after.Document, live.Document)
	switch {
	case werr != nil:
		res.Status, res.Changed = StatusFailed, changed
		if changed {
			res.Message = fmt.Sprintf("restored in part: %s; run restore again to finish", errText(werr))
		} else {
			res.Message = fmt.Sprintf("unchanged: %s", errText(werr))
		}
	case rerr != nil:
		res.Status, res.Changed = StatusFailed, true
		res.Message = fmt.Sprintf("written but not verified: %s", errText(rerr))
	default:
		res.Changed = changed
		if msg := restored(k, after.Document, b); msg != "" {
			res.Status, res.Message = StatusFailed, msg
		} else {
			res.Status, res.Message = StatusApplied, "original restored and verified"
		}
	}
	return res
}

// restored checks a read-back policy against the backup; it returns what is wrong, or "".
func restored(k kinds.Kind, doc string, b *Backup) string {
	switch k.(type) {
	case kinds.StatementRemediator:
		add, skip := missingStatements(doc, b)
		if skip != "" {
			return skip
		}
		if len(add) > 0 {
			return fmt.Sprintf("%d removed statement(s) are still missing after the restore", len(add))
		}
		return ""
	}
	if !sameDocument(doc, b.Original) {
		return "the policy read back is not the original"
	}
	return ""
}
