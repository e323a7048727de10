package kinds

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/trustaudit/trustaudit/internal/world"
)

// SecretsManagerSecret audits secret resource policies.
//
// Calls: ListSecrets (100 per page; documented 100 rps), GetResourcePolicy per secret
// (documented 50 rps, shared with Put/Delete/ValidateResourcePolicy, not adjustable).
type SecretsManagerSecret struct{ *policyKind }

// Secrets Manager lanes: the listing and the policy bucket are separate quotas.
const (
	LaneSecretsList   = "secretsmanager:ListSecrets"
	LaneSecretsPolicy = "secretsmanager:policy"
)

const secretsListPage = 100

func init() {
	Register(SecretsManagerSecret{&policyKind{
		name:    "secretsmanager-secret",
		actions: []string{"secretsmanager:GetResourcePolicy", "secretsmanager:ListSecrets"},
		lanes: []Lane{
			{Name: LaneSecretsList, Rate: 100, Documented: true, Ops: []string{"secretsmanager:ListSecrets"}},
			{Name: LaneSecretsPolicy, Rate: 50, Documented: true, Ops: []string{"secretsmanager:DeleteResourcePolicy", "secretsmanager:GetResourcePolicy", "secretsmanager:PutResourcePolicy"}},
		},
		listLane: LaneSecretsList,
		listOp:   "secretsmanager:ListSecrets",
		page:     secretsListPage,
		list:     listSecrets,
		reads:    []policyRead{{lane: LaneSecretsPolicy, op: "secretsmanager:GetResourcePolicy", read: readPolicyDoc(readSecretPolicy)}},
	}})
}

func listSecrets(ctx context.Context, cfg aws.Config, _ Env, token string) ([]listed, string, error) {
	out, err := secretsmanager.NewFromConfig(cfg).ListSecrets(ctx, &secretsmanager.ListSecretsInput{MaxResults: aws.Int32(secretsListPage), NextToken: optToken(token)})
	if err != nil {
		return nil, "", err
	}
	items := make([]listed, 0, len(out.SecretList))
	for _, s := range out.SecretList {
		arn := aws.ToString(s.ARN)
		items = append(items, listed{id: arn, res: world.Resource{Kind: "secretsmanager-secret", Name: aws.ToString(s.Name), ARN: arn}})
	}
	return items, tokenOf(out.NextToken), nil
}

func readSecretPolicy(ctx context.Context, cfg aws.Config, arn string) (string, error) {
	out, err := secretsmanager.NewFromConfig(cfg).GetResourcePolicy(ctx, &secretsmanager.GetResourcePolicyInput{SecretId: aws.String(arn)})
	if err != nil {
		var nf *types.ResourceNotFoundException
		if errors.As(err, &nf) {
			return "", errGone
		}
		return "", err
	}
	return aws.ToString(out.ResourcePolicy), nil
}

// Remediation writes the whole policy with PutResourcePolicy (BlockPublicPolicy off, so a
// restore can put back what was there) and removes it with DeleteResourcePolicy.

var _ DocumentRemediator = SecretsManagerSecret{}

func (SecretsManagerSecret) FixActions() []string {
	return []string{"secretsmanager:DeleteResourcePolicy", "secretsmanager:GetResourcePolicy", "secretsmanager:PutResourcePolicy"}
}

func (SecretsManagerSecret) CanDelete() bool { return true }

func (SecretsManagerSecret) ReadPolicy(ctx context.Context, cfg aws.Config, ref PolicyRef) (LivePolicy, error) {
	if _, err := parseARNOf(ref.ResourceARN, "secretsmanager", "arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME-SUFFIX"); err != nil {
		return LivePolicy{}, err
	}
	doc, err := readSecretPolicy(ctx, cfg, ref.ResourceARN)
	return livePolicy("secretsmanager:GetResourcePolicy", ref.ResourceARN, doc, err)
}

func (SecretsManagerSecret) WritePolicy(ctx context.Context, cfg aws.Config, ref PolicyRef, doc string) error {
	c := secretsmanager.NewFromConfig(cfg)
	if doc == "" {
		if _, err := c.DeleteResourcePolicy(ctx, &secretsmanager.DeleteResourcePolicyInput{SecretId: aws.String(ref.ResourceARN)}); err != nil {
			return fmt.Errorf("secretsmanager:DeleteResourcePolicy %s: %w", ref.ResourceARN, err)
		}
		return nil
	}
	if _, err := c.PutResourcePolicy(ctx, &secretsmanager.PutResourcePolicyInput{SecretId: aws.String(ref.ResourceARN), ResourcePolicy: aws.String(doc), BlockPublicPolicy: aws.Bool(false)}); err != nil {
		return fmt.Errorf("secretsmanager:PutResourcePolicy %s: %w", ref.ResourceARN, err)
	}
	return nil
}
