package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/trustaudit/trustaudit/internal/access"
	"github.com/trustaudit/trustaudit/internal/iostreams"
	"github.com/trustaudit/trustaudit/internal/kinds"
	"github.com/trustaudit/trustaudit/internal/trail"
)

func init() { register(newKindsCmd) }

type kindsOptions struct {
	Format string
}

func newKindsCmd(ios *iostreams.IOStreams) *cobra.Command {
	opts := &kindsOptions{}
	cmd := &cobra.Command{
		Use:   "kinds [--format text|json]",
		Short: "List the resource kinds trustaudit audits, with their rules, IAM actions and CloudTrail events",
		Long: `List every resource kind a scan can audit: the rules its findings are reported under
(id and severity), the IAM actions a scan of it needs, the IAM actions fix and restore need
when it can be remediated, and the CloudTrail events "trustaudit trail" recognises for it.

Rule ids are what suppressions and baselines name; the actions are what "trustaudit
permissions" (and "permissions --fix") put in the generated policies.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch opts.Format {
			case "text", "json":
			default:
				return usageError(fmt.Errorf("--format: expected text or json, found %q", opts.Format))
			}
			return runKinds(ios.Out, opts.Format)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "text", "output format: text or json")
	return cmd
}

// kindInfo is one kind as `trustaudit kinds --format json` describes it.
type kindInfo struct {
	Name   string `json:"name"`
	Noun   string `json:"noun"`
	Global bool   `json:"global"`
	// Rules are the rules findings of the kind are reported under.
	Rules   []kindRule `json:"rules"`
	Actions []string   `json:"actions"`
	// Fix tells whether fix and restore can remediate the kind, and how: "document" (the
	// whole policy is rewritten), "statement" (single statements are removed and re-added)
	// or "" (findings are reported as manual actions).
	Fix        string      `json:"fix"`
	FixActions []string    `json:"fix_actions"`
	Events     []kindEvent `json:"cloudtrail_events"`
}

type kindRule struct {
	ID       string `json:"id"`
	Severity string `json:"severity"`
	Category string `json:"category"`
	Title    string `json:"title"`
}

type kindEvent struct {
	Source  string `json:"source"`
	Name    string `json:"name"`
	Prefix  bool   `json:"prefix,omitempty"`
	Removal bool   `json:"removal,omitempty"`
}

// describeKinds gathers what each registered kind declares and what the judge and the trail
// table say about it, so that the listing cannot drift from the code that acts on it.
func describeKinds() []kindInfo {
	rules := access.Rules()
	events := trail.Events()
	var out []kindInfo
	for _, k := range kinds.All() {
		ki := kindInfo{
			Name:       k.Name(),
			Noun:       access.Kind(k.Name()).Noun(),
			Global:     k.Global(),
			Rules:      []kindRule{},
			Actions:    k.Actions(),
			FixActions: []string{},
			Events:     []kindEvent{},
		}
		for _, r := range rules {
			if string(r.Kind) == k.Name() {
				ki.Rules = append(ki.Rules, kindRule{ID: r.ID, Severity: r.Severity.String(), Category: string(r.Category), Title: r.Title})
			}
		}
		switch r := k.(type) {
		case kinds.DocumentRemediator:
			ki.Fix, ki.FixActions = "document", r.FixActions()
		case kinds.StatementRemediator:
			ki.Fix, ki.FixActions = "statement", r.FixActions()
		}
		for _, e := range events {
			if string(e.Kind) == k.Name() {
				ki.Events = append(ki.Events, kindEvent{Source: e.Source, Name: e.Name, Prefix: e.Prefix, Removal: e.Removal})
			}
		}
		out = append(out, ki)
	}
	return out
}

func runKinds(w io.Writer, format string) error {
	ks := describeKinds()
	if format == "json" {
		b, err := json.MarshalIndent(ks, "", "  ")
		if err != nil {
			return fmt.Errorf("encode kinds: %w", err)
		}
		_, err = w.Write(append(b, '\n'))
		return err
	}
	var sb strings.Builder
	for i, k := range ks {
		if i > 0 {
			sb.WriteString("\n")
		}
		scope := "regional"
		if k.Global {
			scope = "global"
		}
		fmt.Fprintf(&sb, "%s (%s, %s)\n", k.Name, k.Noun, scope)
		tw := tabwriter.NewWriter(&sb, 0, 4, 2, ' ', 0)
		for _, r := range k.Rules {
			fmt.Fprintf(tw, "  rule\t%s\t%s\t%s\n", r.ID, strings.ToUpper(r.Severity), r.Title)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(&sb, "  scan actions: %s\n", strings.Join(k.Actions, ", "))
		switch k.Fix {
		case "":
			sb.WriteString("  fix: not supported (findings are reported as manual actions)\n")
		default:
			fmt.Fprintf(&sb, "  fix: by %s; actions: %s\n", k.Fix, strings.Join(k.FixActions, ", "))
		}
		if len(k.Events) == 0 {
			sb.WriteString("  cloudtrail: none recognised\n")
			continue
		}
		var evs []string
		for _, e := range k.Events {
			name := e.Source + " " + e.Name
			if e.Prefix {
				name += "*"
			}
			if e.Removal {
				name += " (removal)"
			}
			evs = append(evs, name)
		}
		fmt.Fprintf(&sb, "  cloudtrail: %s\n", strings.Join(evs, ", "))
	}
	_, err := io.WriteString(w, sb.String())
	return err
}
