package kinds

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/glacier"
	gltypes "github.com/aws/aws-sdk-go-v2/service/glacier/types"

	"github.com/trustaudit/trustaudit/internal/world"
)

// LaneGlacier is Glacier's control plane; no rate is published.
const LaneGlacier = "glacier"

// glacierPage is ListVaults' largest page (and its default).
const glacierPage = 10

// GlacierVault audits every vault's access policy: ListVaults (10 a page), then
// GetVaultAccessPolicy per vault. The vault lock policy is not read: a locked policy
// cannot be changed, and AWS documents it for retention controls, not access grants.
var GlacierVault = policyFix{
	policyKind: &policyKind{
		name:     "glacier-vault",
		actions:  []string{"glacier:GetVaultAccessPolicy", "glacier:ListVaults"},
		lanes:    []Lane{{Name: LaneGlacier, Rate: 20, Ops: []string{"glacier:GetVaultAccessPolicy", "glacier:ListVaults"}}},
		listLane: LaneGlacier,
		listOp:   "glacier:ListVaults",
		listCall: "glacier:ListVaults",
		page:     glacierPage,
		list: func(ctx context.Context, cfg aws.Config, env Env, token string) ([]listed, string, error) {
			in := &glacier.ListVaultsInput{AccountId: aws.String("-"), Limit: aws.Int32(glacierPage)}
			if token != "" {
				in.Marker = aws.String(token)
			}
			out, err := glacier.NewFromConfig(cfg).ListVaults(ctx, in)
			if err != nil {
				return nil, "", err
			}
			var rs []listed
			for _, v := range out.VaultList {
				name := aws.ToString(v.VaultName)
				arn := aws.ToString(v.VaultARN)
				if arn == "" {
					arn = fmt.Sprintf("arn:%s:glacier:%s:%s:vaults/%s", env.Partition(), env.Region(), env.Account(), name)
				}
				rs = append(rs, listed{id: name, res: world.Resource{Kind: "glacier-vault", Name: name, ARN: arn}})
			}
			return rs, aws.ToString(out.Marker), nil
		},
		reads:      []policyRead{{lane: LaneGlacier, op: "glacier:GetVaultAccessPolicy", read: readPolicyDoc(glacierReadPolicy)}},
		dropUnread: true,
	},
	fixActions: []string{"glacier:DeleteVaultAccessPolicy", "glacier:GetVaultAccessPolicy", "glacier:SetVaultAccessPolicy"},
	canDelete:  true,
	get: func(ctx context.Context, cfg aws.Config, ref PolicyRef) (LivePolicy, error) {
		name, err := parseStorageARN(ref.ResourceARN, "glacier", "vaults/", "arn:PARTITION:glacier:REGION:ACCOUNT:vaults/NAME")
		if err != nil {
			return LivePolicy{}, err
		}
		p, err := glacierReadPolicy(ctx, cfg, name)
		if err != nil {
			return LivePolicy{}, fmt.Errorf("glacier:GetVaultAccessPolicy %s: %w", name, err)
		}
		return LivePolicy{Document: p}, nil
	},
	put: func(ctx context.Context, cfg aws.Config, ref PolicyRef, doc string) error {
		name, err := parseStorageARN(ref.ResourceARN, "glacier", "vaults/", "arn:PARTITION:glacier:REGION:ACCOUNT:vaults/NAME")
		if err != nil {
			return err
		}
		c := glacier.NewFromConfig(cfg)
		if doc == "" {
			if _, err := c.DeleteVaultAccessPolicy(ctx, &glacier.DeleteVaultAccessPolicyInput{AccountId: aws.String("-"), VaultName: aws.String(name)}); err != nil {
				return fmt.Errorf("glacier:DeleteVaultAccessPolicy %s: %w", name, err)
			}
			return nil
		}
		if _, err := c.SetVaultAccessPolicy(ctx, &glacier.SetVaultAccessPolicyInput{AccountId: aws.String("-"), VaultName: aws.String(name), Policy: &gltypes.VaultAccessPolicy{Policy: aws.String(doc)}}); err != nil {
			return fmt.Errorf("glacier:SetVaultAccessPolicy %s: %w", name, err)
		}
		return nil
	},
}

func init() { Register(GlacierVault) }

// glacierReadPolicy returns a vault's access policy, "" when it has none. Glacier answers
// ResourceNotFoundException both for a vault without a policy and for a missing vault; a
// vault just listed is taken to exist.
func glacierReadPolicy(ctx context.Context, cfg aws.Config, name string) (string, error) {
	out, err := glacier.NewFromConfig(cfg).GetVaultAccessPolicy(ctx, &glacier.GetVaultAccessPolicyInput{AccountId: aws.String("-"), VaultName: aws.String(name)})
	switch {
	case err == nil:
		if out.Policy == nil {
			return "", nil
		}
		return aws.ToString(out.Policy.Policy), nil
	case notFound[*gltypes.ResourceNotFoundException](err):
		return "", nil
	}
	return "", err
}
