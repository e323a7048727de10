// Package fix takes away the access findings name, and can put it back: it plans a change per
// resource (the policy before and after, and which statements or principals go and why),
// writes a backup of what it is about to change before changing it, applies the change only
// if the policy is still what the scan saw, verifies the result, and restores from backups.
//
// Only the access the selected findings name is removed. Trusted and same-account grants in
// the same statement stay; where the outside access comes from a condition, a service acting
// for an unknown account (confused deputy), or a trust policy that would be left empty, the
// change needs a person's knowledge, and the plan says what to do instead of guessing.
package fix

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/trustaudit/trustaudit/internal/access"
	"github.com/trustaudit/trustaudit/internal/finding"
	"github.com/trustaudit/trustaudit/internal/kinds"
	"github.com/trustaudit/trustaudit/internal/policy"
	"github.com/trustaudit/trustaudit/internal/world"
)

// Action is what a change does to a policy.
type Action string

const (
	// ActionRewrite writes the document back without the removed principals and statements.
	ActionRewrite Action = "rewrite"
	// ActionDelete deletes a policy left with no statement (SES).
	ActionDelete Action = "delete"
	// ActionRemoveStatements removes statements one by one by statement id (Lambda).
	ActionRemoveStatements Action = "remove-statements"
	// ActionNone changes nothing: every finding on the policy needs manual action, or the
	// policy could not be planned (Skip says why).
	ActionNone Action = "none"
)

// Removal is one piece of access that goes, and why.
type Removal struct {
	FindingID      string `json:"finding"`
	Rule           string `json:"rule"`
	Statement      string `json:"statement"` // `statement "Sid"` or `statement at index N`
	StatementIndex int    `json:"statement_index"`
	// Principals are the principal values removed from the statement; empty when the
	// whole statement goes.
	Principals     []string `json:"principals,omitempty"`
	WholeStatement bool     `json:"whole_statement"`
	Explanation    string   `json:"explanation"`
}

// Manual is a finding the tool will not remedy itself, with what a person should do.
type Manual struct {
	FindingID  string `json:"finding"`
	Rule       string `json:"rule"`
	Statement  string `json:"statement"`
	Reason     string `json:"reason"`
	Suggestion string `json:"suggestion,omitempty"`
}

// Change is the plan for one policy of one resource.
type Change struct {
	Kind        string `json:"kind"`
	Account     string `json:"account"`
	Region      string `json:"region"`
	ResourceARN string `json:"resource_arn"`
	PolicyName  string `json:"policy_name,omitempty"`
	Action      Action `json:"action"`
	// Original is the document the plan was made from (as the scan read it, or as read
	// when the plan was made); Planned is the document the change should leave ("" when no
	// policy is left).
	Original     string    `json:"original"`
	Planned      string    `json:"planned"`
	StatementIDs []string  `json:"statement_ids,omitempty"`
	Findings     []string  `json:"findings"`
	Removals     []Removal `json:"removals,omitempty"`
	Manual       []Manual  `json:"manual,omitempty"`
	// Skip says why the policy cannot be changed (it changed since the scan, it could not
	// be read); the change is then ActionNone.
	Skip string `json:"skip,omitempty"`
}

func (c *Change) ref() kinds.PolicyRef {
	return kinds.PolicyRef{Account: c.Account, Region: c.Region, ResourceARN: c.ResourceARN, PolicyName: c.PolicyName}
}

// Plan is every change a fix would make.
type Plan struct {
	Tool    finding.Tool `json:"tool"`
	Created time.Time    `json:"created"`
	Changes []*Change    `json:"changes"`

	cfg     aws.Config
	account string
}

// Options say what to fix and with which credentials.
type Options struct {
	// Config carries the credentials and endpoint; regions are set per resource.
	Config aws.Config
	// Scan is the scan whose findings are fixed; its trust boundary decides what is
	// trusted.
	Scan *finding.Scan
	// World holds the documents the scan judged (scan.Run's world, or a saved snapshot).
	// When nil, documents are read live when planning, and a policy whose statements no
	// longer match the findings is skipped as changed since the scan.
	World *world.World
	// Findings selects findings by id; empty selects every unsuppressed finding. A finding
	// named here is fixed even if suppressed.
	Findings []string
	// Kinds narrows the selection to these kinds; empty means all.
	Kinds []string
	// Account is the account the credentials belong to; "" asks STS when it is needed.
	Account string
	Version string
	Now     func() time.Time
}

// NewPlan plans the fix of the selected findings. It makes no write; without a World it
// reads the policies it plans.
func NewPlan(ctx context.Context, o Options) (*Plan, error) {
	if o.Scan == nil {
		return nil, errors.New("fix: no scan to fix")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	b, err := access.NewBoundary(o.Scan.Boundary.TrustedAccounts, o.Scan.Boundary.TrustedOrgs)
	if err != nil {
		return nil, fmt.Errorf("the scan's trust boundary: %w", err)
	}
	sel, err := selectFindings(o.Scan, o.Findings, o.Kinds)
	if err != nil {
		return nil, err
	}
	p := &Plan{Tool: finding.Tool{Name: "trustaudit", Version: o.Version}, Created: o.Now().UTC(), cfg: o.Config, account: o.Account}

	groups := map[string][]finding.Finding{}
	var order []string
	for _, f := range sel {
		k := strings.Join([]string{f.Kind, f.Account, f.Region, f.ResourceARN, f.PolicyName}, "\x00")
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], f)
	}
	for _, k := range order {
		fs := groups[k]
		f := fs[0]
		c := &Change{Kind: f.Kind, Account: f.Account, Region: f.Region, ResourceARN: f.ResourceARN, PolicyName: f.PolicyName, Action: ActionNone}
		for _, f := range fs {
			c.Findings = append(c.Findings, f.ID)
		}
		p.Changes = append(p.Changes, c)
		doc, live, err := p.basis(ctx, o.World, c)
		if err != nil {
			c.Skip = err.Error()
			continue
		}
		c.Original = doc
		planChange(c, fs, b, live)
	}
	slices.SortFunc(p.Changes, func(a, b *Change) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Account, b.Account), cmp.Compare(a.ResourceARN, b.ResourceARN), cmp.Compare(a.PolicyName, b.PolicyName))
	})
	return p, nil
}

// selectFindings resolves the requested finding ids (every one must be in the scan) and
// kinds. Without ids, suppressed findings are left alone: a suppression is a decision.
func selectFindings(s *finding.Scan, ids, kindNames []string) ([]finding.Finding, error) {
	for _, k := range kindNames {
		if _, err := kinds.Get(k); err != nil {
			return nil, fmt.Errorf("--kinds: %w", err)
		}
	}
	byID := map[string]finding.Finding{}
	for _, f := range s.Findings {
		byID[f.ID] = f
	}
	var out []finding.Finding
	if len(ids) > 0 {
		seen := map[string]bool{}
		for _, id := range ids {
			f, ok := byID[id]
			if !ok {
				return nil, fmt.Errorf("finding %q is not in the scan (finding ids are the 16-hex-digit \"id\" of each finding)", id)
			}
			if !seen[id] {
				seen[id] = true
				out = append(out, f)
			}
		}
	} else {
		out = s.Unsuppressed()
	}
	if len(kindNames) > 0 {
		out = slices.DeleteFunc(out, func(f finding.Finding) bool { return !slices.Contains(kindNames, f.Kind) })
	}
	return out, nil
}

// basis returns the document to plan from: the scan's own copy, or the live one.
func (p *Plan) basis(ctx context.Context, w *world.World, c *Change) (doc string, live bool, err error) {
	k, err := kinds.Get(c.Kind)
	if err != nil {
		return "", false, err
	}
	if w != nil {
		acct := w.Account(c.Account)
		if acct == nil {
			return "", false, fmt.Errorf("account %s is not in the scanned documents", c.Account)
		}
		for _, pol := range k.Policies(acct) {
			if pol.ResourceARN == c.ResourceARN && pol.PolicyName == c.PolicyName {
				return pol.Document, false, nil
			}
		}
		return "", false, errors.New("the policy is not in the scanned documents")
	}
	r, ok := k.(kinds.Reader)
	if !ok {
		return "", false, fmt.Errorf("kind %s has no remediation", c.Kind)
	}
	if err := p.checkAccount(ctx, c.Account); err != nil {
		return "", false, err
	}
	lp, err := r.ReadPolicy(ctx, p.regionConfig(c.Region, c.ResourceARN), c.ref())
	if err != nil {
		return "", false, errors.New("read the policy: " + errText(err))
	}
	return lp.Document, true, nil
}

// checkAccount refuses to touch an account the credentials do not belong to: a resource of
// the same name elsewhere is not the one the finding is about.
func (p *Plan) checkAccount(ctx context.Context, account string) error {
	if p.account == "" {
		out, err := sts.NewFromConfig(p.regionConfig(kinds.GlobalRegion, "")).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			return fmt.Errorf("find the credentials' account (sts:GetCallerIdentity): %w", err)
		}
		p.account = aws.ToString(out.Account)
	}
	if account != p.account {
		return fmt.Errorf("the credentials are for account %s, not %s", p.account, account)
	}
	return nil
}

// regionConfig is the configuration for calls about a resource in region; global resources
// are served from the partition's home region.
func (p *Plan) regionConfig(region, arn string) aws.Config {
	cfg := p.cfg.Copy()
	if region != kinds.GlobalRegion && region != "" {
		cfg.Region = region
		return cfg
	}
	part := "aws"
	if a, err := policy.ParseARN(arn); err == nil {
		part = a.Partition
	} else if cfg.Region != "" {
		part = kinds.Partition(cfg.Region)
	}
	switch part {
	case "aws-cn":
		cfg.Region = "cn-north-1"
	case "aws-us-gov":
		cfg.Region = "us-gov-west-1"
	default:
		if cfg.Region == "" || kinds.Partition(cfg.Region) != "aws" {
			cfg.Region = "us-east-1"
		}
	}
	return cfg
}

// judged pairs a selected finding with the access engine's finding it was made from.
type judged struct {
	f  finding.Finding
	af access.Finding
}

// planChange fills c from its original document. live says the document was read now
// rather than by the scan, so a finding it no longer produces means the policy changed.
func planChange(c *Change, fs []finding.Finding, b access.Boundary, live bool) {
	k, _ := kinds.Get(c.Kind)
	ak, err := access.ParseKind(c.Kind)
	if err != nil {
		c.Skip = err.Error()
		return
	}
	if strings.TrimSpace(c.Original) == "" {
		c.Skip = "the resource has no policy now"
		if !live {
			c.Skip = "the scanned documents hold no policy for it"
		}
		return
	}
	doc, err := policy.ParseString(c.Original)
	if err != nil {
		c.Skip = "the policy does not parse: " + err.Error()
		return
	}
	res := access.Evaluate(access.Input{Kind: ak, Owner: c.Account, ResourceARN: c.ResourceARN, PolicyName: c.PolicyName, Doc: doc}, b)
	byID := map[string]access.Finding{}
	for _, af := range res.Findings {
		byID[findingID(c, af)] = af
	}
	var js []judged
	for _, f := range fs {
		af, ok := byID[f.ID]
		if !ok {
			if live {
				c.Skip = "the policy changed since the scan: it no longer grants what finding " + f.ID + " reports"
			} else {
				c.Skip = "finding " + f.ID + " does not match the scanned policy (was the scan made with another version or trust boundary?)"
			}
			return
		}
		js = append(js, judged{f, af})
	}
	tree, err := parseDocument(c.Original)
	if err != nil {
		c.Skip = err.Error()
		return
	}
	if live {
		// The finding still holds; the statement must also still read as the scan saw it.
		stmts, _ := statements(tree)
		for _, j := range js {
			i := j.af.StatementIndex
			if j.f.Statement == "" || i < 0 || i >= len(stmts) {
				continue
			}
			if !sameDocument(stmts[i].String(), j.f.Statement) {
				c.Skip = "the policy changed since the scan: " + stmtLabel(j.af.Sid, i) + " no longer reads as the scan saw it"
				return
			}
		}
	}
	switch r := k.(type) {
	case kinds.DocumentRemediator:
		planRewrite(c, r, tree, doc, js, ak, b)
	case kinds.StatementRemediator:
		planRemoveStatements(c, r, tree, doc, js)
	default:
		for _, j := range js {
			c.Manual = append(c.Manual, manual(j, "trustaudit cannot change "+c.Kind+" policies", ""))
		}
	}
}

// findingID is the id the scan gives the finding af makes on c's policy.
func findingID(c *Change, af access.Finding) string {
	f := finding.Finding{Rule: af.Rule.ID, ResourceARN: c.ResourceARN, PolicyName: c.PolicyName, StatementID: af.Sid,
		StatementIndex: af.StatementIndex, Accounts: af.Accounts, Orgs: af.Orgs, Principal: af.Principal}
	f.ComputeID()
	return f.ID
}

func stmtLabel(sid string, idx int) string {
	if sid != "" {
		return "statement " + strconv.Quote(sid)
	}
	return "statement at index " + strconv.Itoa(idx)
}

func manual(j judged, reason, suggestion string) Manual {
	return Manual{FindingID: j.f.ID, Rule: j.f.Rule, Statement: stmtLabel(j.af.Sid, j.af.StatementIndex), Reason: reason, Suggestion: suggestion}
}

// deputySuggestion is the condition a confused-deputy grant lacks. The right value is the
// account or resource the service should act for, which only the owner knows.
func deputySuggestion(services []string, lambda bool) string {
	s := `add a condition naming whom ` + strings.Join(services, ", ") +
		` acts for, e.g. "Condition": {"StringEquals": {"aws:SourceAccount": "<the account whose resources call it>"}} or {"ArnLike": {"aws:SourceArn": "<the ARN of the resource that calls it>"}}`
	if lambda {
		s += `; for a Lambda permission, remove it and add it again with --source-account or --source-arn`
	}
	return s
}

// principalValues splits a finding's principal text back into values ("a, b").
func principalValues(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ", ") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// accountOf is the account a principal value names: a 12-digit id or an ARN's account field.
func accountOf(v string) string {
	if len(v) == 12 && strings.Trim(v, "0123456789") == "" {
		return v
	}
	if a, err := policy.ParseARN(v); err == nil {
		return a.Account
	}
	return ""
}

// principalKeys are the principal element keys whose values can be removed one by one.
var principalKeys = []string{"AWS", "Federated", "CanonicalUser", "Service"}

func planRewrite(c *Change, r kinds.DocumentRemediator, tree *node, doc *policy.Document, js []judged, ak access.Kind, b access.Boundary) {
	stmts, _ := statements(tree)
	drop := map[int]bool{}
	remove := map[int]map[string]bool{} // statement index -> principal values to remove
	var handled []judged
	for _, j := range js {
		idx := j.af.StatementIndex
		if idx < 0 || idx >= len(doc.Statements) || idx >= len(stmts) {
			c.Manual = append(c.Manual, manual(j, "the finding's statement is not in the policy", ""))
			continue
		}
		st := &doc.Statements[idx]
		switch j.af.Rule.Category {
		case finding.CategoryConfusedDeputy:
			c.Manual = append(c.Manual, manual(j, "the service grant lacks a source condition, and only the owner knows whom the service should act for", deputySuggestion(j.af.Services, false)))
			continue
		case finding.CategoryUntrustedOrg:
			c.Manual = append(c.Manual, manual(j, "the organization or OU is let in by a condition, not a principal", "remove "+strings.Join(j.af.Orgs, ", ")+" from the statement's aws:PrincipalOrgID or aws:PrincipalOrgPaths (or aws:SourceOrgID, aws:SourceOrgPaths) condition, or remove the statement"))
			continue
		case finding.CategoryPublic:
			if st.NotPrincipal != nil || (st.Principal != nil && st.Principal.Wildcard) {
				drop[idx] = true
				c.Removals = append(c.Removals, Removal{FindingID: j.f.ID, Rule: j.f.Rule, Statement: stmtLabel(j.af.Sid, idx), StatementIndex: idx, WholeStatement: true, Explanation: j.af.Explanation})
				handled = append(handled, j)
				continue
			}
			vals := matchValues(st.Principal, principalValues(j.af.Principal))
			if len(vals) == 0 {
				c.Manual = append(c.Manual, manual(j, "the public grant does not come from a principal value that can be removed", "remove the statement or restrict it with a condition"))
				continue
			}
			addRemoval(c, remove, idx, vals, j)
			handled = append(handled, j)
		case finding.CategoryUntrustedAccount:
			var vals []string
			covered := map[string]bool{}
			if p := st.Principal; p != nil {
				for _, v := range append(slices.Clone(p.AWS), p.Federated...) {
					if a := accountOf(v); a != "" && slices.Contains(j.af.Accounts, a) {
						vals = append(vals, v)
						covered[a] = true
					}
				}
			}
			var rest []string
			for _, a := range j.af.Accounts {
				if !covered[a] {
					rest = append(rest, a)
				}
			}
			if len(rest) > 0 {
				sug := "remove " + strings.Join(rest, ", ") + " from the statement's conditions, or remove the statement"
				if len(j.af.Services) > 0 {
					sug = "the service acts for " + strings.Join(rest, ", ") + " through an aws:SourceAccount or aws:SourceArn condition: change it to an account you trust, or remove the statement"
				}
				c.Manual = append(c.Manual, manual(j, "account "+strings.Join(rest, ", ")+" is let in by a condition or a service acting for it, not by a principal that can be removed", sug))
				if len(vals) == 0 {
					continue
				}
			}
			addRemoval(c, remove, idx, vals, j)
			if len(rest) == 0 {
				handled = append(handled, j)
			}
		default:
			c.Manual = append(c.Manual, manual(j, "no remedy is known for rule "+j.f.Rule, ""))
		}
	}
	if len(drop) == 0 && len(remove) == 0 {
		return
	}
	// Apply the removals to the tree.
	for idx, vals := range remove {
		if drop[idx] {
			continue
		}
		pn := stmts[idx].get("Principal")
		if pn == nil || pn.kind != 'o' {
			continue
		}
		for _, key := range principalKeys {
			v := pn.get(key)
			if v == nil {
				continue
			}
			switch v.kind {
			case 's':
				if vals[v.text] {
					pn.del(key)
				}
			case 'a':
				v.elems = slices.DeleteFunc(v.elems, func(e *node) bool { return e.kind == 's' && vals[e.text] })
				if len(v.elems) == 0 {
					pn.del(key)
				}
			}
		}
		if len(pn.keys) == 0 {
			drop[idx] = true
		}
	}
	for i := range c.Removals {
		if drop[c.Removals[i].StatementIndex] {
			c.Removals[i].WholeStatement, c.Removals[i].Principals = true, nil
		}
	}
	var kept []*node
	for i, st := range stmts {
		if !drop[i] {
			kept = append(kept, st)
		}
	}
	if len(kept) == 0 {
		if !r.CanDelete() {
			// Some policies cannot be removed (a role's trust policy, a key policy, a topic
			// policy): leave it and say so.
			noun := access.Kind(c.Kind).Noun()
			reason := "no statement would remain, and the " + noun + "'s policy cannot be removed"
			advice := "replace the policy with one that grants only your accounts, or delete the " + noun + " if nobody needs it"
			if c.Kind == string(access.KindIAMRole) {
				advice = "delete the role if nobody should assume it, or replace the trust policy with one that trusts only your accounts"
			}
			for _, j := range handled {
				c.Manual = append(c.Manual, manual(j, reason, advice))
			}
			c.Removals = nil
			return
		}
		c.Action, c.Planned = ActionDelete, ""
		return
	}
	st := tree.get("Statement")
	if st.kind == 'a' {
		st.elems = kept
	}
	c.Planned = tree.String()
	c.Action = ActionRewrite
	if msg := verifyPlan(c, ak, b, handled, drop); msg != "" {
		c.Skip, c.Action, c.Planned, c.Removals = msg, ActionNone, "", nil
	}
}

func addRemoval(c *Change, remove map[int]map[string]bool, idx int, vals []string, j judged) {
	if remove[idx] == nil {
		remove[idx] = map[string]bool{}
	}
	for _, v := range vals {
		remove[idx][v] = true
	}
	c.Removals = append(c.Removals, Removal{FindingID: j.f.ID, Rule: j.f.Rule, Statement: stmtLabel(j.af.Sid, idx), StatementIndex: idx, Principals: vals, Explanation: j.af.Explanation})
}

// matchValues returns the values of p that are among want, in document order.
func matchValues(p *policy.Principal, want []string) []string {
	if p == nil {
		return nil
	}
	var out []string
	for _, l := range [][]string{p.AWS, p.Federated, p.CanonicalUser, p.Service} {
		for _, v := range l {
			if slices.Contains(want, v) && !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
	}
	return out
}

// verifyPlan judges the planned document: every handled finding must be gone from its
// statement. It returns why not, or "".
func verifyPlan(c *Change, ak access.Kind, b access.Boundary, handled []judged, drop map[int]bool) string {
	doc, err := policy.ParseString(c.Planned)
	if err != nil {
		return "the planned policy does not parse: " + err.Error()
	}
	res := access.Evaluate(access.Input{Kind: ak, Owner: c.Account, ResourceARN: c.ResourceARN, PolicyName: c.PolicyName, Doc: doc}, b)
	for _, j := range handled {
		old := j.af.StatementIndex
		if drop[old] {
			continue
		}
		idx := old
		for i := range old {
			if drop[i] {
				idx--
			}
		}
		for _, af := range res.Findings {
			if af.StatementIndex == idx && af.Rule.Category == j.af.Rule.Category {
				return "removing the named principals would not end finding " + j.f.ID + "; change the policy by hand"
			}
		}
	}
	return ""
}

func planRemoveStatements(c *Change, r kinds.StatementRemediator, tree *node, doc *policy.Document, js []judged) {
	stmts, _ := statements(tree)
	ref := c.ref()
	removed := map[int]bool{}
	for _, j := range js {
		idx := j.af.StatementIndex
		if idx < 0 || idx >= len(stmts) || idx >= len(doc.Statements) {
			c.Manual = append(c.Manual, manual(j, "the finding's statement is not in the policy", ""))
			continue
		}
		st := &doc.Statements[idx]
		if j.af.Rule.Category == finding.CategoryConfusedDeputy {
			c.Manual = append(c.Manual, manual(j, "the service grant lacks a source condition, and only the owner knows whom the service should act for", deputySuggestion(j.af.Services, true)))
			continue
		}
		if st.Sid == "" {
			c.Manual = append(c.Manual, manual(j, "the statement has no Sid, so the permission API cannot remove it", "remove it by hand"))
			continue
		}
		if p := st.Principal; p != nil && len(p.AWS)+len(p.Service)+len(p.Federated)+len(p.CanonicalUser) > 1 {
			c.Manual = append(c.Manual, manual(j, "the statement names several principals and the permission API removes whole statements, which would also remove the others", "remove the statement and add back a permission for each principal you trust"))
			continue
		}
		if err := r.CheckStatement(ref, json.RawMessage(stmts[idx].String())); err != nil {
			c.Manual = append(c.Manual, manual(j, err.Error()+"; it is left in place because a restore could not put it back", "remove it by hand after saving the policy"))
			continue
		}
		if !removed[idx] {
			removed[idx] = true
			c.StatementIDs = append(c.StatementIDs, st.Sid)
		}
		c.Removals = append(c.Removals, Removal{FindingID: j.f.ID, Rule: j.f.Rule, Statement: stmtLabel(st.Sid, idx), StatementIndex: idx, WholeStatement: true, Explanation: j.af.Explanation})
	}
	if len(removed) == 0 {
		return
	}
	var kept []*node
	for i, st := range stmts {
		if !removed[i] {
			kept = append(kept, st)
		}
	}
	c.Action = ActionRemoveStatements
	if len(kept) == 0 {
		c.Planned = "" // Lambda deletes a policy whose last statement goes
		return
	}
	if st := tree.get("Statement"); st.kind == 'a' {
		st.elems = kept
	}
	c.Planned = tree.String()
}

// statementsByID returns the statements of doc with the given ids, compact, as written.
func statementsByID(doc string, ids []string) ([]json.RawMessage, error) {
	tree, err := parseDocument(doc)
	if err != nil {
		return nil, err
	}
	stmts, _ := statements(tree)
	var out []json.RawMessage
	for _, id := range ids {
		found := false
		for _, st := range stmts {
			if sid := st.get("Sid"); sid != nil && sid.kind == 's' && sid.text == id {
				out = append(out, json.RawMessage(st.String()))
				found = true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("statement %q is not in the policy", id)
		}
	}
	return out, nil
}

// Actions is the least privilege fix and restore need for the named kinds (all when none):
// sts:GetCallerIdentity, to check the credentials' account, and each kind's read and write
// actions. A scan's read actions are extra when fix scans first.
func Actions(kindNames []string) ([]string, error) {
	ks, err := kinds.Select(kindNames)
	if err != nil {
		return nil, err
	}
	out := []string{"sts:GetCallerIdentity"}
	for _, k := range ks {
		if r, ok := k.(kinds.Reader); ok {
			out = append(out, r.FixActions()...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}
