package cli

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trustaudit/trustaudit/internal/iostreams"
	"github.com/trustaudit/trustaudit/internal/kinds"
	"github.com/trustaudit/trustaudit/internal/scan"
)

func init() { register(newPermissionsCmd) }

type permissionsOptions struct {
	Kinds []string
}

func newPermissionsCmd(ios *iostreams.IOStreams) *cobra.Command {
	opts := &permissionsOptions{}
	cmd := &cobra.Command{
		Use:   "permissions [--kinds k1,k2]",
		Short: "Print the least-privilege IAM policy a scan needs",
		Long: `Print the IAM policy a scan needs, generated from the read actions each resource kind
declares, as JSON ready for "aws iam put-role-policy" or a permission set. Attach it to the
principal trustaudit runs as, or to the role given with --role-arn.

Every action is a read (List/Get/Describe): a scan never changes anything.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPermissions(ios, opts)
		},
	}
	cmd.Flags().StringSliceVar(&opts.Kinds, "kinds", nil, "only the kinds to scan (default all: "+strings.Join(kinds.Names(), ", ")+")")
	return cmd
}

func runPermissions(ios *iostreams.IOStreams, opts *permissionsOptions) error {
	ks, err := kinds.Select(opts.Kinds)
	if err != nil {
		return usageError(fmt.Errorf("--kinds: %w", err))
	}
	doc, err := permissionsPolicy(ks)
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
	p := iamPolicy{
		Version: "2012-10-17",
		Statement: []iamStatement{{
			Sid:      "TrustauditScanReadOnly",
			Effect:   "Allow",
			Action:   scan.Actions(ks),
			Resource: "*",
		}},
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode policy: %w", err)
	}
	return append(b, '\n'), nil
}
