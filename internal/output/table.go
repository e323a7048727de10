package output

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/trustaudit/trustaudit/internal/finding"
)

func init() { Register("table", Table) }

var severityOrder = []finding.Severity{
	finding.SeverityCritical, finding.SeverityHigh, finding.SeverityMedium, finding.SeverityLow, finding.SeverityInfo,
}

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
	ansiDim    = "\x1b[2m"
)

// wrapWidth keeps explanations readable in an 100-column terminal after the indent.
const wrapWidth = 92

// Table writes the scan for people: a summary first, so that the verdict (clean, findings,
// incomplete) is visible without scrolling, then the findings grouped by severity, most
// severe first, then what could not be read.
func Table(w io.Writer, s *finding.Scan, opts Options) error {
	bw := bufio.NewWriter(w)
	t := &tableWriter{w: bw, color: opts.Color}
	t.summary(s)
	t.findings(s, opts.ShowSuppressed)
	t.gaps(s)
	t.notices(s)
	if opts.Stats {
		t.stats(s)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}

type tableWriter struct {
	w     *bufio.Writer
	color bool
}

func (t *tableWriter) paint(code, s string) string {
	if !t.color {
		return s
	}
	return code + s + ansiReset
}

func (t *tableWriter) printf(format string, args ...any) { fmt.Fprintf(t.w, format, args...) }

func severityColor(s finding.Severity) string {
	switch s {
	case finding.SeverityCritical:
		return ansiBold + ansiRed
	case finding.SeverityHigh:
		return ansiRed
	case finding.SeverityMedium:
		return ansiYellow
	default:
		return ansiCyan
	}
}

func (t *tableWriter) summary(s *finding.Scan) {
	open := s.Unsuppressed()
	var verdict string
	switch {
	case len(open) > 0 && len(s.Gaps) > 0:
		verdict = t.paint(ansiBold+ansiRed, fmt.Sprintf("%s, and INCOMPLETE (%s)", plural(len(open), "finding"), plural(len(s.Gaps), "read failed", "reads failed")))
	case len(open) > 0:
		verdict = t.paint(ansiBold+ansiRed, plural(len(open), "finding"))
	case len(s.Gaps) > 0:
		verdict = t.paint(ansiBold+ansiYellow, fmt.Sprintf("no findings, but INCOMPLETE (%s)", plural(len(s.Gaps), "read failed", "reads failed")))
	default:
		verdict = t.paint(ansiBold, "clean: no access from outside the trust boundary")
	}
	command, examined := "scan", "examined"
	if s.Tool.Command == "trail" {
		command, examined = "trail", "policy changes read"
	}
	t.printf("trustaudit %s: %s\n\n", command, verdict)

	row := func(label, value string) { t.printf("  %-11s %s\n", label, value) }
	row("Accounts", listOrNone(s.Accounts))
	row("Regions", fmt.Sprintf("%s (%d)", listOrNone(s.Regions), len(s.Regions)))
	row("Kinds", listOrNone(s.Kinds))
	trusted := "accounts " + listOrNone(s.Boundary.TrustedAccounts) + "; orgs " + listOrNone(s.Boundary.TrustedOrgs)
	if len(s.Boundary.TrustedOrgPaths) > 0 {
		trusted += "; OU paths " + strings.Join(s.Boundary.TrustedOrgPaths, ", ")
	}
	row("Trusted", trusted+" (and each scanned account itself)")
	var res []string
	total := 0
	for _, k := range sortedKeys(s.Resources) {
		res = append(res, fmt.Sprintf("%s %d", k, s.Resources[k]))
		total += s.Resources[k]
	}
	if len(res) == 0 {
		row("Resources", "none examined")
	} else {
		row("Resources", fmt.Sprintf("%d %s: %s", total, examined, strings.Join(res, ", ")))
	}

	counts := map[finding.Severity]int{}
	suppressed, known := 0, 0
	for _, f := range s.Findings {
		if f.Suppressed {
			suppressed++
			continue
		}
		if f.Known {
			known++
		}
		counts[f.Severity]++
	}
	var bySev []string
	for _, sev := range severityOrder {
		if counts[sev] > 0 {
			bySev = append(bySev, fmt.Sprintf("%d %s", counts[sev], sev))
		}
	}
	findings := fmt.Sprintf("%d", len(open))
	if len(bySev) > 0 {
		findings += ": " + strings.Join(bySev, ", ")
	}
	if known > 0 {
		findings += fmt.Sprintf(" (%d known, in the baseline)", known)
	}
	if suppressed > 0 {
		findings += fmt.Sprintf(" (%d suppressed)", suppressed)
	}
	row("Findings", findings)
	row("Gaps", fmt.Sprintf("%d", len(s.Gaps)))
	if len(s.Skipped) > 0 {
		var sk []string
		for _, k := range s.Skipped {
			sk = append(sk, fmt.Sprintf("%s %s: %s", k.Account, k.Region, k.Reason))
		}
		row("Skipped", strings.Join(sk, "; "))
	}
	if !s.StartedAt.IsZero() {
		when := s.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC")
		if !s.FinishedAt.IsZero() {
			when += fmt.Sprintf(", took %s", s.FinishedAt.Sub(s.StartedAt).Round(1e7))
		}
		row("Scanned", when)
	}
}

func (t *tableWriter) findings(s *finding.Scan, showSuppressed bool) {
	for _, sev := range severityOrder {
		var group []finding.Finding
		for _, f := range s.Findings {
			if f.Severity == sev && (!f.Suppressed || showSuppressed) {
				group = append(group, f)
			}
		}
		if len(group) == 0 {
			continue
		}
		t.printf("\n%s\n", t.paint(severityColor(sev), fmt.Sprintf("%s (%d)", strings.ToUpper(sev.String()), len(group))))
		for _, f := range group {
			t.finding(f)
		}
	}
}

func (t *tableWriter) finding(f finding.Finding) {
	head := f.Rule + "  " + f.ResourceARN
	if f.Suppressed {
		head += "  " + t.paint(ansiDim, "[suppressed: "+f.SuppressedBy+"]")
	} else if f.Known {
		head += "  " + t.paint(ansiDim, "[known: in the baseline]")
	}
	t.printf("\n  %s\n", head)
	detail := func(label, value string) {
		if value != "" {
			t.printf("      %-10s %s\n", label+":", value)
		}
	}
	detail("accounts", strings.Join(f.Accounts, ", "))
	detail("orgs", strings.Join(f.Orgs, ", "))
	detail("services", strings.Join(f.Services, ", "))
	if len(f.Accounts) == 0 && len(f.Orgs) == 0 && len(f.Services) == 0 {
		detail("principal", f.Principal)
	}
	stmt := f.PolicyName
	sid := f.StatementID
	if sid == "" {
		sid = fmt.Sprintf("#%d", f.StatementIndex)
	}
	if stmt != "" {
		stmt += ", statement " + sid
	} else {
		stmt = "statement " + sid
	}
	detail("policy", stmt)
	detail("actions", strings.Join(f.Actions, ", "))
	detail("id", f.ID)
	for _, line := range wrap(f.Explanation, wrapWidth) {
		t.printf("      %s\n", line)
	}
}

func (t *tableWriter) gaps(s *finding.Scan) {
	if len(s.Gaps) == 0 {
		return
	}
	t.printf("\n%s\n", t.paint(ansiBold+ansiYellow,
		fmt.Sprintf("INCOMPLETE: %s; this scan is not clean", plural(len(s.Gaps), "read failed", "reads failed"))))
	for _, g := range s.Gaps {
		where := g.Account + " " + g.Region + " " + g.Kind + " " + g.Operation
		if g.Resource != "" {
			where += " " + g.Resource
		}
		t.printf("  %s\n      %s\n", where, g.Error)
	}
}

func (t *tableWriter) notices(s *finding.Scan) {
	if len(s.Notices) == 0 {
		return
	}
	t.printf("\nNOTICES\n")
	for _, n := range s.Notices {
		t.printf("  %s\n", n)
	}
}

func (t *tableWriter) stats(s *finding.Scan) {
	st := s.Stats
	if st == nil {
		return
	}
	t.printf("\nSTATS\n")
	apis := map[string]bool{}
	for k := range st.Calls {
		apis[k] = true
	}
	for k := range st.MinimalCalls {
		apis[k] = true
	}
	var total, minimal int64
	t.printf("  %-44s %10s %10s\n", "API", "calls", "minimal")
	for _, api := range sortedKeys(apis) {
		t.printf("  %-44s %10d %10d\n", api, st.Calls[api], st.MinimalCalls[api])
		total += st.Calls[api]
		minimal += st.MinimalCalls[api]
	}
	t.printf("  %-44s %10d %10d\n", "total", total, minimal)
	if minimal > 0 {
		t.printf("  calls / minimal      %.3f\n", float64(total)/float64(minimal))
	}
	t.printf("  throttles            %d\n", st.Throttles)
	t.printf("  retries              %d\n", st.Retries)
	t.printf("  elapsed              %.2fs\n", st.ElapsedSec)
	t.printf("  quota lower bound    %.2fs\n", st.LowerBoundSec)
	if st.LowerBoundSec > 0 {
		t.printf("  elapsed / bound      %.3f\n", st.ElapsedSec/st.LowerBoundSec)
	}
	if len(st.Accounts) > 0 {
		// An organization scan: the figures above are the totals; each account's follow.
		t.printf("\n  %-14s %10s %10s %10s %10s %10s\n", "ACCOUNT", "calls", "minimal", "throttles", "elapsed", "bound")
		for _, id := range sortedKeys(st.Accounts) {
			a := st.Accounts[id]
			if a == nil {
				continue
			}
			var c, m int64
			for _, n := range a.Calls {
				c += n
			}
			for _, n := range a.MinimalCalls {
				m += n
			}
			t.printf("  %-14s %10d %10d %10d %9.2fs %9.2fs\n", id, c, m, a.Throttles, a.ElapsedSec, a.LowerBoundSec)
		}
	}
}

func listOrNone(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	return strings.Join(xs, ", ")
}

func plural(n int, one string, many ...string) string {
	if n == 1 {
		return "1 " + one
	}
	if len(many) > 0 {
		return fmt.Sprintf("%d %s", n, many[0])
	}
	return fmt.Sprintf("%d %ss", n, one)
}

// wrap breaks text into lines of at most width characters at spaces; a word longer than the
// width (an ARN) gets a line of its own rather than being cut.
func wrap(text string, width int) []string {
	var lines []string
	for _, para := range strings.Split(text, "\n") {
		words := strings.Fields(para)
		if len(words) == 0 {
			continue
		}
		line := words[0]
		for _, w := range words[1:] {
			if len(line)+1+len(w) > width {
				lines = append(lines, line)
				line = w
				continue
			}
			line += " " + w
		}
		lines = append(lines, line)
	}
	return lines
}
