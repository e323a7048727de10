package output

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html"
	"html/template"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/trustaudit/trustaudit/internal/finding"
)

func init() { Register("html", HTML) }

// The report's template, style and script, and the graph library vendored once from npm
// (assets/vendor/VENDOR.txt records its version and sha256; TestVendoredAssets checks it).
// Everything is inlined into the page so that it opens with no network, from a mail
// attachment or a CI artifact.
//
//go:embed assets/report.html.tmpl assets/report.css assets/report.js assets/vendor/cytoscape.min.js
var htmlAssets embed.FS

var reportTemplate = template.Must(template.New("report.html.tmpl").Funcs(template.FuncMap{
	"lower": strings.ToLower,
	"join":  strings.Join,
}).ParseFS(htmlAssets, "assets/report.html.tmpl"))

type htmlPage struct {
	Scan      *finding.Scan
	Generated string
	Verdict   string
	// VerdictClass picks the banner colour: clean, findings or incomplete.
	VerdictClass string
	Counts       []sevCount
	Open         int
	Known        int
	Suppressed   int
	ResourceSum  int
	Groups       []htmlGroup
	Graph        graphData
	CSS          template.CSS
	JS           template.JS
	Library      template.JS
}

type sevCount struct {
	Severity string
	N        int
}

type htmlGroup struct {
	Severity string
	Findings []htmlFinding
}

type htmlFinding struct {
	finding.Finding
	Status    string
	Statement template.HTML
	Who       string
}

// graphData is the trust graph: who outside the boundary (accounts, organizations, the
// public, services) reaches which resource, one edge per pair with its worst severity.
type graphData struct {
	Nodes []graphNode `json:"nodes"`
	Edges []graphEdge `json:"edges"`
}

type graphNode struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	// Side is "outside" for principals and "resource" for the audited resources; the page
	// draws them in two columns.
	Side string `json:"side"`
	Type string `json:"type"` // public, account, org, service, principal, or the resource kind
	// Title is the full name shown on hover.
	Title string `json:"title"`
}

type graphEdge struct {
	ID       string   `json:"id"`
	Source   string   `json:"source"`
	Target   string   `json:"target"`
	Severity string   `json:"severity"`
	Findings []string `json:"findings"`
	// Muted is true when every finding behind the edge is suppressed or known.
	Muted bool `json:"muted"`
}

// HTML writes one self-contained page: the verdict and counts, the findings by severity
// with their explanations and the offending statement (principal highlighted), the gaps,
// and the trust graph. The scan document itself is embedded as JSON so that the page can be
// turned back into data. Every finding is shown; suppressed and known ones are marked.
func HTML(w io.Writer, s *finding.Scan, _ Options) error {
	css, err := htmlAssets.ReadFile("assets/report.css")
	if err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	js, err := htmlAssets.ReadFile("assets/report.js")
	if err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	lib, err := htmlAssets.ReadFile("assets/vendor/cytoscape.min.js")
	if err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	p := htmlPage{
		Scan:      s,
		Generated: s.FinishedAt.UTC().Format(time.RFC3339),
		Graph:     buildGraph(s.Findings),
		CSS:       template.CSS(css),
		JS:        template.JS(js),
		Library:   template.JS(lib),
	}
	for _, n := range s.Resources {
		p.ResourceSum += n
	}
	bySev := map[finding.Severity][]htmlFinding{}
	for _, f := range s.Findings {
		switch {
		case f.Suppressed:
			p.Suppressed++
		case f.Known:
			p.Known++
		default:
			p.Open++
		}
		bySev[f.Severity] = append(bySev[f.Severity], htmlFinding{
			Finding: f, Status: status(f), Statement: highlightStatement(f), Who: who(f),
		})
	}
	for _, sev := range severityOrder {
		n := 0
		for _, f := range bySev[sev] {
			if f.Status == "open" {
				n++
			}
		}
		p.Counts = append(p.Counts, sevCount{Severity: sev.String(), N: n})
		if len(bySev[sev]) > 0 {
			p.Groups = append(p.Groups, htmlGroup{Severity: sev.String(), Findings: bySev[sev]})
		}
	}
	switch {
	case p.Open > 0:
		p.Verdict, p.VerdictClass = plural(p.Open, "finding")+" to act on", "findings"
		if len(s.Gaps) > 0 {
			p.Verdict += ", and the scan is incomplete (" + plural(len(s.Gaps), "read") + " failed)"
		}
	case len(s.Gaps) > 0:
		p.Verdict, p.VerdictClass = "Incomplete: nothing found, but "+plural(len(s.Gaps), "read")+" failed", "incomplete"
	default:
		p.Verdict, p.VerdictClass = "Clean: no grant outside the trust boundary", "clean"
	}
	var buf bytes.Buffer
	if err := reportTemplate.Execute(&buf, p); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write html: %w", err)
	}
	return nil
}

// who names the outsiders a finding lets in, for the finding's header.
func who(f finding.Finding) string {
	var parts []string
	if f.Category == finding.CategoryPublic || (f.Principal == "*" && len(f.Accounts)+len(f.Orgs)+len(f.Services) == 0) {
		parts = append(parts, "anyone (*)")
	}
	for _, a := range f.Accounts {
		parts = append(parts, "account "+a)
	}
	for _, o := range f.Orgs {
		parts = append(parts, "organization "+o)
	}
	parts = append(parts, f.Services...)
	if len(parts) == 0 && f.Principal != "" {
		parts = append(parts, f.Principal)
	}
	return strings.Join(parts, ", ")
}

// outsiders lists the graph nodes on the outside of a finding's edge.
func outsiders(f finding.Finding) []graphNode {
	var out []graphNode
	if f.Category == finding.CategoryPublic {
		out = append(out, graphNode{ID: "public", Label: "Anyone (*)", Type: "public", Title: "every principal, in any AWS account or none"})
	}
	for _, a := range f.Accounts {
		out = append(out, graphNode{ID: "account:" + a, Label: "account " + a, Type: "account", Title: "AWS account " + a})
	}
	for _, o := range f.Orgs {
		out = append(out, graphNode{ID: "org:" + o, Label: "org " + o, Type: "org", Title: "AWS organization " + o})
	}
	for _, sv := range f.Services {
		out = append(out, graphNode{ID: "service:" + sv, Label: sv, Type: "service", Title: "service principal " + sv})
	}
	if len(out) == 0 {
		label := f.Principal
		if label == "" {
			label = string(f.Category)
		}
		out = append(out, graphNode{ID: "principal:" + label, Label: label, Type: "principal", Title: label})
	}
	for i := range out {
		out[i].Side = "outside"
	}
	return out
}

func buildGraph(fs []finding.Finding) graphData {
	nodes := map[string]graphNode{}
	edges := map[string]*graphEdge{}
	worst := map[string]finding.Severity{}
	for _, f := range fs {
		res := graphNode{ID: "res:" + f.ResourceARN, Label: f.Kind + "\n" + resourceName(f.ResourceARN), Side: "resource", Type: f.Kind, Title: f.ResourceARN}
		nodes[res.ID] = res
		for _, o := range outsiders(f) {
			nodes[o.ID] = o
			id := o.ID + "->" + res.ID
			e := edges[id]
			if e == nil {
				e = &graphEdge{ID: id, Source: o.ID, Target: res.ID, Muted: true}
				edges[id] = e
			}
			e.Findings = append(e.Findings, f.ID)
			if !f.Suppressed && !f.Known {
				e.Muted = false
			}
			if f.Severity > worst[id] {
				worst[id] = f.Severity
			}
		}
	}
	g := graphData{Nodes: []graphNode{}, Edges: []graphEdge{}}
	for _, id := range sortedKeys(nodes) {
		g.Nodes = append(g.Nodes, nodes[id])
	}
	for _, id := range sortedKeys(edges) {
		e := edges[id]
		e.Severity = worst[id].String()
		slices.Sort(e.Findings)
		e.Findings = slices.Compact(e.Findings)
		g.Edges = append(g.Edges, *e)
	}
	return g
}

// highlightStatement pretty-prints the finding's statement and marks who it lets in: the
// Principal member, and the outsiders' account ids, organization ids and service names
// wherever they appear (a condition can name them too).
func highlightStatement(f finding.Finding) template.HTML {
	if f.Statement == "" {
		return ""
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, []byte(f.Statement), "", "  "); err != nil {
		// Not JSON (a hand-made document): show it as it is.
		return template.HTML(html.EscapeString(f.Statement))
	}
	lines := strings.Split(pretty.String(), "\n")
	var b strings.Builder
	inPrincipal := false
	needles := slices.Concat(f.Accounts, f.Orgs, f.Services)
	for i, line := range lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		start := strings.HasPrefix(line, `  "Principal":`) || strings.HasPrefix(line, `  "NotPrincipal":`)
		if start {
			inPrincipal = true
			b.WriteString(`<span class="principal">`)
		}
		esc := html.EscapeString(line)
		for _, n := range needles {
			if n == "" {
				continue
			}
			en := html.EscapeString(n)
			esc = strings.ReplaceAll(esc, en, "<mark>"+en+"</mark>")
		}
		b.WriteString(esc)
		if inPrincipal {
			// The member ends on its own line when its value is scalar or a closing brace
			// at the member's indentation.
			trimmed := strings.TrimSuffix(line, ",")
			if (start && !strings.HasSuffix(trimmed, "{") && !strings.HasSuffix(trimmed, "[")) || (!start && (trimmed == "  }" || trimmed == "  ]")) {
				b.WriteString(`</span>`)
				inPrincipal = false
			}
		}
	}
	if inPrincipal {
		b.WriteString(`</span>`)
	}
	return template.HTML(b.String())
}
