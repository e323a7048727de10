package fix

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

func resourceLine(kind, arn, policyName, account, region string) string {
	s := kind + " " + arn
	if policyName != "" {
		s += " policy " + strconv.Quote(policyName)
	}
	return s + " (account " + account + ", " + region + ")"
}

// WritePlan writes a plan for people: per resource, what goes and why, what needs a person,
// and the policy before and after as a unified diff.
func WritePlan(w io.Writer, p *Plan) error {
	var removals, manuals, skips int
	for _, c := range p.Changes {
		removals += len(c.Removals)
		manuals += len(c.Manual)
		if c.Skip != "" {
			skips++
		}
	}
	if len(p.Changes) == 0 {
		_, err := fmt.Fprintln(w, "Nothing to fix: no finding selected.")
		return err
	}
	fmt.Fprintf(w, "Fix plan: %d resource(s), %d removal(s), %d finding(s) need manual action, %d resource(s) skipped.\n", len(p.Changes), removals, manuals, skips)
	for _, c := range p.Changes {
		fmt.Fprintf(w, "\n%s\n", resourceLine(c.Kind, c.ResourceARN, c.PolicyName, c.Account, c.Region))
		switch {
		case c.Skip != "":
			fmt.Fprintf(w, "  skip: %s\n", c.Skip)
		case c.Action == ActionRewrite:
			fmt.Fprintf(w, "  change: rewrite the policy without the access below\n")
		case c.Action == ActionDelete:
			fmt.Fprintf(w, "  change: delete the policy (no statement would remain)\n")
		case c.Action == ActionRemoveStatements:
			q := make([]string, len(c.StatementIDs))
			for i, s := range c.StatementIDs {
				q[i] = strconv.Quote(s)
			}
			fmt.Fprintf(w, "  change: remove statement(s) %s, each only if the policy is still at the revision read\n", strings.Join(q, ", "))
		default:
			fmt.Fprintf(w, "  change: none\n")
		}
		for _, r := range c.Removals {
			what := r.Statement + " goes"
			if !r.WholeStatement {
				what = "principal " + strings.Join(r.Principals, ", ") + " goes from " + r.Statement
			}
			fmt.Fprintf(w, "  - %s [finding %s, %s]\n      because: %s\n", what, r.FindingID, r.Rule, r.Explanation)
		}
		for _, m := range c.Manual {
			fmt.Fprintf(w, "  ! manual: %s, finding %s (%s): %s\n", m.Statement, m.FindingID, m.Rule, m.Reason)
			if m.Suggestion != "" {
				fmt.Fprintf(w, "      do: %s\n", m.Suggestion)
			}
		}
		if c.Skip == "" && c.Action != ActionNone {
			var b strings.Builder
			Diff(&b, "before", "after", Pretty(c.Original), Pretty(c.Planned))
			for _, line := range strings.SplitAfter(strings.TrimSuffix(b.String(), "\n"), "\n") {
				fmt.Fprintf(w, "    %s", strings.TrimSuffix(line, "\n")+"\n")
			}
		}
	}
	return nil
}

// WriteReport writes the outcome of a fix or restore, one line per resource and a summary.
func WriteReport(w io.Writer, rep *Report) error {
	counts := map[Status]int{}
	for _, r := range rep.Results {
		counts[r.Status]++
		fmt.Fprintf(w, "%-8s %s\n", r.Status, resourceLine(r.Kind, r.ResourceARN, r.PolicyName, r.Account, r.Region))
		if r.Message != "" {
			fmt.Fprintf(w, "         %s\n", r.Message)
		}
		if r.Backup != "" {
			fmt.Fprintf(w, "         backup: %s\n", r.Backup)
		}
		for _, m := range r.Manual {
			fmt.Fprintf(w, "         manual: %s, finding %s: %s\n", m.Statement, m.FindingID, m.Reason)
			if m.Suggestion != "" {
				fmt.Fprintf(w, "           do: %s\n", m.Suggestion)
			}
		}
	}
	_, err := fmt.Fprintf(w, "\n%d applied, %d skipped, %d failed, %d need manual action.\n",
		counts[StatusApplied], counts[StatusSkipped], counts[StatusFailed], counts[StatusManual])
	return err
}

// WriteRestorePlan writes what a restore would do, per backup.
func WriteRestorePlan(w io.Writer, rp *RestorePlan) error {
	fmt.Fprintf(w, "Restore plan: %d backup(s).\n", len(rp.Items))
	for _, it := range rp.Items {
		b := it.Backup
		fmt.Fprintf(w, "\n%s\n  backup: %s (taken %s)\n", resourceLine(b.Kind, b.ResourceARN, b.PolicyName, b.Account, b.Region), it.Path, b.Time.Format("2006-01-02 15:04:05Z"))
		switch {
		case it.Skip != "":
			fmt.Fprintf(w, "  skip: %s\n", it.Skip)
			continue
		case it.Done:
			fmt.Fprintf(w, "  nothing to do: the original is in place\n")
			continue
		}
		if len(it.Add) > 0 {
			for _, st := range it.Add {
				fmt.Fprintf(w, "  + add back: %s\n", st)
			}
			continue
		}
		fmt.Fprintf(w, "  change: put the original policy back\n")
		var sb strings.Builder
		Diff(&sb, "current", "original", Pretty(it.Current), Pretty(b.Original))
		for _, line := range strings.SplitAfter(strings.TrimSuffix(sb.String(), "\n"), "\n") {
			fmt.Fprintf(w, "    %s", strings.TrimSuffix(line, "\n")+"\n")
		}
	}
	return nil
}

// WriteJSON writes v (a Plan, RestorePlan or Report) as indented JSON.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
