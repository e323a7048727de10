package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trustaudit/trustaudit/internal/fix"
	"github.com/trustaudit/trustaudit/internal/iostreams"
	"github.com/trustaudit/trustaudit/internal/kinds"
	"github.com/trustaudit/trustaudit/internal/scan"
)

func init() { register(newPermissionsCmd) }

type permissionsOptions struct {
	Kinds    []string
	Fix      bool
	Org      bool
	RoleName string
}

func newPermissionsCmd(ios *iostreams.IOStreams) *cobra.Command {
	opts := &permissionsOptions{}
	cmd := &cobra.Command{
		Use:   "permissions [--kinds k1,k2] [--fix | --org [--role-name NAME]]",
		Short: "Print the least-privilege IAM policy a scan needs",
		Long: `Print the IAM policy a scan needs, generated from the read actions each resource kind
declares, as JSON ready for "aws iam put-role-policy" or a permission set. Attach it to the
principal trustaudit runs as, or to the role given with --role-arn.

Every action is a read (List/Get/Describe): a scan never changes anything.

With --fix, print instead the separate policy "trustaudit fix" and "trustaudit restore" need:
the reads and writes of every kind that can be remediated (kinds that cannot are left out;
their findings are reported as manual actions). Keep it apart from the scan policy, and
grant it only to whoever runs remediation.

With --org, print instead the policy of the credentials "trustaudit scan --org" runs with, in
the management (or a delegated administrator) account: reading the organization and assuming
--role-name in every account. The role in each account gets the policy printed without --org.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPermissions(ios, opts)
		},
	}
	cmd.Flags().StringSliceVar(&opts.Kinds, "kinds", nil, "only the kinds to scan (default all: "+strings.Join(kinds.Names(), ", ")+")")
	cmd.Flags().BoolVar(&opts.Fix, "fix", false, "print the policy fix and restore need (reads and writes of remediable kinds)")
	cmd.Flags().BoolVar(&opts.Org, "org", false, "print the policy of the caller of scan --org: read the organization, assume --role-name in each account")
	cmd.Flags().StringVar(&opts.RoleName, "role-name", defaultOrgRole, "with --org, the `role` assumed in every account")
	return cmd
}

func runPermissions(ios *iostreams.IOStreams, opts *permissionsOptions) error {
	ks, err := kinds.Select(opts.Kinds)
	if err != nil {
		return usageError(fmt.Errorf("--kinds: %w", err))
	}
	var doc []byte
	switch {
	case opts.Fix && opts.Org:
		return usageError(errors.New("--fix and --org print different policies; give one"))
	case opts.Org:
		doc, err = orgPermissionsPolicy(opts.RoleName)
	case opts.Fix:
		doc, err = fixPermissionsPolicy(ks)
	default:
		doc, err = permissionsPolicy(ks)
	}
	if err != nil {
		return err
	}
	_, err = ios.Out.Write(doc)
	return err
}

// iamPolicy is the subset of the policy grammar the generated policy uses; the field order
// is the conventional one people expect to read.
type iamPolicy struct {
	Version   string         `json:"Version"`
	Statement []iamStatement `json:"Statement"`
}

type iamStatement struct {
	Sid      string   `json:"Sid"`
	Effect   string   `json:"Effect"`
	Action   []string `json:"Action"`
	Resource string   `json:"Resource"`
}

// permissionsPolicy builds the policy document. Resource is "*" because the List calls
// that discover resources cannot be scoped to ARNs not yet known.
func permissionsPolicy(ks []kinds.Kind) ([]byte, error) {
	return encodePolicy(iamStatement{Sid: "TrustauditScanReadOnly", Action: scan.Actions(ks), Resource: "*"})
}

// orgPermissionsPolicy is the policy of an organization scan's caller: the organization's
// reads, and sts:AssumeRole on the audit role in any account (the role's trust policy
// decides which caller may take it).
func orgPermissionsPolicy(role string) ([]byte, error) {
	if role == "" || strings.ContainsAny(role, "*?:") {
		return nil, usageError(fmt.Errorf("--role-name: expected a role name such as trustaudit-audit, found %q", role))
	}
	return encodePolicy(
		iamStatement{Sid: "TrustauditOrganizationRead", Action: scan.OrgReadActions(), Resource: "*"},
		iamStatement{Sid: "TrustauditAssumeAuditRole", Action: []string{"sts:AssumeRole"}, Resource: "arn:aws:iam::*:role/" + strings.TrimPrefix(role, "/")},
	)
}

// fixPermissionsPolicy is the policy fix and restore need for ks: sts:GetCallerIdentity
// (fix checks the credentials' account before it writes) and each remediable kind's
// FixActions. It is an error when none of ks can be remediated, rather than a policy that
// grants nothing useful.
func fixPermissionsPolicy(ks []kinds.Kind) ([]byte, error) {
	var names []string
	for _, k := range ks {
		if _, ok := k.(kinds.Reader); ok {
			names = append(names, k.Name())
		}
	}
	if len(names) == 0 {
		return nil, usageError(fmt.Errorf("--fix: none of the kinds %s can be remediated", namesOfKinds(ks)))
	}
	actions, err := fix.Actions(names)
	if err != nil {
		return nil, err
	}
	return encodePolicy(iamStatement{Sid: "TrustauditFixAndRestore", Action: actions, Resource: "*"})
}

func namesOfKinds(ks []kinds.Kind) string {
	var names []string
	for _, k := range ks {
		names = append(names, k.Name())
	}
	return strings.Join(names, ", ")
}

func encodePolicy(statements ...iamStatement) ([]byte, error) {
	p := iamPolicy{Version: "2012-10-17", Statement: statements}
	for i := range p.Statement {
		p.Statement[i].Effect = "Allow"
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode policy: %w", err)
	}
	return append(b, '\n'), nil
}
