package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trustaudit/trustaudit/internal/access"
	"github.com/trustaudit/trustaudit/internal/finding"
	"github.com/trustaudit/trustaudit/internal/iostreams"
	"github.com/trustaudit/trustaudit/internal/policy"
)

func init() { register(newCheckPolicyCmd) }

type checkPolicyOptions struct {
	Kind        string
	Account     string
	Trusted     []string
	TrustedOrgs []string
	OUPaths     []string
	Format      string
	File        string // "" or "-" is stdin
}

func newCheckPolicyCmd(ios *iostreams.IOStreams) *cobra.Command {
	opts := &checkPolicyOptions{}
	cmd := &cobra.Command{
		Use:   "check-policy --kind KIND --account OWNER [--trusted ID|ARN]... [--trusted-org ORG_ID]... [--trusted-ou-path PATH]... [--format text|json] [FILE|-]",
		Short: "Judge one resource policy against the trust boundary, offline",
		Long: `Read one resource-based policy document from FILE (or stdin) and report whether it lets
anyone outside the trust boundary in: the public, an untrusted account or organization, or an
AWS service acting for any account (confused deputy). No AWS call is made.

The document may be a JSON object, the JSON string an API returns (GetIdentityPolicies,
GetPolicy, ...), or the URL-encoded text IAM returns for trust policies.

The owner (--account) is always trusted. Kinds: ` + kindNames() + `.

Exit status: 0 no access from outside the boundary, 3 access found, 1 invalid input,
2 usage error.`,
		Example: `  trustaudit check-policy --kind ses-identity --account 111122223333 policy.json
  aws iam get-role --role-name r --query Role.AssumeRolePolicyDocument --output json |
    trustaudit check-policy --kind iam-role --account 111122223333 --trusted 444455556666 -`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageError(fmt.Errorf("check-policy reads one policy, got %d arguments", len(args)))
			}
			if len(args) == 1 {
				opts.File = args[0]
			}
			return runCheckPolicy(ios, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Kind, "kind", "", "resource type of the policy (required): "+kindNames())
	f.StringVar(&opts.Account, "account", "", "12-digit id of the account that owns the resource (required)")
	f.StringArrayVar(&opts.Trusted, "trusted", nil, "trusted account, as a 12-digit id or an IAM/STS ARN (repeatable)")
	f.StringArrayVar(&opts.TrustedOrgs, "trusted-org", nil, "trusted organization id, o-... (repeatable)")
	f.StringArrayVar(&opts.OUPaths, "trusted-ou-path", nil, "trusted OU path such as o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/: every account under it (repeatable)")
	f.StringVar(&opts.Format, "format", "text", "output format: text or json")
	return cmd
}

func kindNames() string {
	var names []string
	for _, k := range access.Kinds() {
		names = append(names, string(k))
	}
	return strings.Join(names, ", ")
}

func runCheckPolicy(ios *iostreams.IOStreams, opts *checkPolicyOptions) error {
	if opts.Format != "text" && opts.Format != "json" {
		return usageError(fmt.Errorf("--format %q: expected text or json", opts.Format))
	}
	if opts.Kind == "" {
		return usageError(errors.New("--kind is required: one of " + kindNames()))
	}
	kind, err := access.ParseKind(opts.Kind)
	if err != nil {
		return usageError(fmt.Errorf("--kind: %w", err))
	}
	if opts.Account == "" {
		return usageError(errors.New("--account is required: the 12-digit id of the account that owns the resource"))
	}
	owner, err := access.ParseTrustedAccount(opts.Account)
	if err != nil {
		return usageError(fmt.Errorf("--account %q: expected the 12-digit id of the account that owns the resource (or its root ARN)", opts.Account))
	}
	boundary, err := access.NewBoundary(opts.Trusted, opts.TrustedOrgs)
	if err != nil {
		return usageError(fmt.Errorf("--trusted/--trusted-org: %w", err))
	}
	if boundary, err = boundary.WithOrgPaths(opts.OUPaths); err != nil {
		return usageError(fmt.Errorf("--trusted-ou-path: %w", err))
	}

	name, data, err := readPolicyInput(ios, opts.File)
	if err == nil {
		var doc *policy.Document
		if doc, err = policy.Parse(data); err == nil {
			res := access.Evaluate(access.Input{Kind: kind, Owner: owner, PolicyName: name, Doc: doc}, boundary)
			if opts.Format == "json" {
				err = writeCheckJSON(ios.Out, kind, owner, res)
			} else {
				err = writeCheckText(ios.Out, kind, owner, boundary, res)
			}
			if err != nil {
				return err
			}
			if res.Public || res.ConfusedDeputy || len(res.UntrustedAccounts) > 0 || len(res.UntrustedOrgs) > 0 {
				return withExit(ExitFindings, nil)
			}
			return nil
		}
		err = fmt.Errorf("%s: %w", name, err)
	}
	if opts.Format == "json" {
		b, _ := json.Marshal(map[string]string{"error": err.Error()})
		fmt.Fprintln(ios.Out, string(b))
	}
	return withExit(ExitError, err)
}

// readPolicyInput reads FILE, or stdin for "" and "-". The returned name is what error
// messages call the input.
func readPolicyInput(ios *iostreams.IOStreams, file string) (string, []byte, error) {
	if file == "" || file == "-" {
		data, err := io.ReadAll(ios.In)
		if err != nil {
			return "stdin", nil, fmt.Errorf("reading stdin: %w", err)
		}
		return "stdin", data, nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return file, nil, fmt.Errorf("reading policy: %w", err)
	}
	return file, data, nil
}

type checkPolicyReport struct {
	Kind              string               `json:"kind"`
	Account           string               `json:"account"`
	Public            bool                 `json:"public"`
	UntrustedAccounts []string             `json:"untrusted_accounts"`
	UntrustedOrgs     []string             `json:"untrusted_orgs"`
	ConfusedDeputy    bool                 `json:"confused_deputy"`
	Findings          []checkPolicyFinding `json:"findings"`
}

type checkPolicyFinding struct {
	Rule           string           `json:"rule"`
	Title          string           `json:"title"`
	Severity       finding.Severity `json:"severity"`
	Category       finding.Category `json:"category"`
	StatementIndex int              `json:"statement_index"`
	Sid            string           `json:"sid"`
	Principal      string           `json:"principal"`
	Accounts       []string         `json:"accounts"`
	Orgs           []string         `json:"orgs"`
	Explanation    string           `json:"explanation"`
}

// nonNil makes empty lists print as [] so that consumers need not handle null.
func cpNonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func writeCheckJSON(w io.Writer, kind access.Kind, owner string, res access.Result) error {
	rep := checkPolicyReport{
		Kind:              string(kind),
		Account:           owner,
		Public:            res.Public,
		UntrustedAccounts: cpNonNil(res.UntrustedAccounts),
		UntrustedOrgs:     cpNonNil(res.UntrustedOrgs),
		ConfusedDeputy:    res.ConfusedDeputy,
		Findings:          []checkPolicyFinding{},
	}
	for _, f := range res.Findings {
		rep.Findings = append(rep.Findings, checkPolicyFinding{
			Rule:           f.Rule.ID,
			Title:          f.Rule.Title,
			Severity:       f.Rule.Severity,
			Category:       f.Rule.Category,
			StatementIndex: f.StatementIndex,
			Sid:            f.Sid,
			Principal:      f.Principal,
			Accounts:       cpNonNil(f.Accounts),
			Orgs:           cpNonNil(f.Orgs),
			Explanation:    f.Explanation,
		})
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

func writeCheckText(w io.Writer, kind access.Kind, owner string, b access.Boundary, res access.Result) error {
	var sb strings.Builder
	noun := kind.Noun()
	if res.Public {
		fmt.Fprintf(&sb, "PUBLIC: anyone can access this %s\n", noun)
	}
	if n := len(res.UntrustedAccounts); n > 0 {
		fmt.Fprintf(&sb, "UNTRUSTED: %s %s outside the trust boundary can access this %s\n",
			cpPlural(n, "account", "accounts"), strings.Join(res.UntrustedAccounts, ", "), noun)
	}
	if n := len(res.UntrustedOrgs); n > 0 {
		fmt.Fprintf(&sb, "UNTRUSTED: %s %s outside the trust boundary can access this %s\n",
			cpPlural(n, "organization", "organizations"), strings.Join(res.UntrustedOrgs, ", "), noun)
	}
	if res.ConfusedDeputy {
		fmt.Fprintf(&sb, "CONFUSED DEPUTY: an AWS service can be made to use this %s for any account\n", noun)
	}
	if len(res.Findings) == 0 {
		sb.WriteString("OK: no access from outside the trust boundary\n")
	}
	fmt.Fprintf(&sb, "\nTrust boundary: owner %s", owner)
	if a := b.Accounts(); len(a) > 0 {
		fmt.Fprintf(&sb, "; accounts %s", strings.Join(a, ", "))
	}
	if o := b.Orgs(); len(o) > 0 {
		fmt.Fprintf(&sb, "; organizations %s", strings.Join(o, ", "))
	}
	if p := b.OrgPaths(); len(p) > 0 {
		fmt.Fprintf(&sb, "; OU paths %s", strings.Join(p, ", "))
	}
	sb.WriteString("\n")
	for _, f := range res.Findings {
		fmt.Fprintf(&sb, "\n%-8s %s: %s\n  %s\n", strings.ToUpper(f.Rule.Severity.String()), f.Rule.ID, f.Rule.Title, f.Explanation)
	}
	_, err := io.WriteString(w, sb.String())
	return err
}

func cpPlural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
