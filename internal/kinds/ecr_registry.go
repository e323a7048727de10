package kinds

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"github.com/trustaudit/trustaudit/internal/world"
)

// ECRRegistry audits the registry policy of each region (cross-account replication and
// pull-through). AWS gives it no ARN; trustaudit names it
// arn:PARTITION:ecr:REGION:ACCOUNT:registry/ACCOUNT. A region's registry is a resource
// whether or not it has a policy.
//
// Calls: GetRegistryPolicy once per region, on the ECR lane.
type ECRRegistry struct{ *policyKind }

func init() {
	Register(ECRRegistry{&policyKind{
		name:     "ecr-registry",
		actions:  []string{"ecr:GetRegistryPolicy"},
		lanes:    []Lane{ecrLane},
		listLane: LaneECR,
		listOp:   "ecr:GetRegistryPolicy",
		page:     1,
		list:     readRegistry,
		arn:      func(p, r, a, _ string) string { return ecrRegistryARN(p, r, a) },
	}})
}

// ecrRegistryARN matches trail.ECRRegistryARN.
func ecrRegistryARN(part, region, account string) string {
	return fmt.Sprintf("arn:%s:ecr:%s:%s:registry/%s", part, region, account, account)
}

func readRegistry(ctx context.Context, cfg aws.Config, env Env, _ string) ([]listed, string, error) {
	doc, err := getRegistryPolicy(ctx, cfg)
	if err != nil {
		return nil, "", err
	}
	return []listed{{res: world.Resource{Kind: "ecr-registry", Name: env.Account(), ARN: ecrRegistryARN(env.Partition(), env.Region(), env.Account()), Policy: world.Policy(doc)}}}, "", nil
}

func getRegistryPolicy(ctx context.Context, cfg aws.Config) (string, error) {
	out, err := ecr.NewFromConfig(cfg).GetRegistryPolicy(ctx, &ecr.GetRegistryPolicyInput{})
	var nop *types.RegistryPolicyNotFoundException
	switch {
	case errors.As(err, &nop):
		return "", nil
	case err != nil:
		return "", err
	}
	return aws.ToString(out.PolicyText), nil
}

// Remediation: PutRegistryPolicy writes the whole policy, DeleteRegistryPolicy removes it.

var _ DocumentRemediator = ECRRegistry{}

func (ECRRegistry) FixActions() []string {
	return []string{"ecr:DeleteRegistryPolicy", "ecr:GetRegistryPolicy", "ecr:PutRegistryPolicy"}
}

func (ECRRegistry) CanDelete() bool { return true }

func (ECRRegistry) ReadPolicy(ctx context.Context, cfg aws.Config, ref PolicyRef) (LivePolicy, error) {
	doc, err := getRegistryPolicy(ctx, cfg)
	if err != nil {
		return LivePolicy{}, fmt.Errorf("ecr:GetRegistryPolicy %s: %w", ref.ResourceARN, err)
	}
	return LivePolicy{Document: doc}, nil
}

func (ECRRegistry) WritePolicy(ctx context.Context, cfg aws.Config, ref PolicyRef, doc string) error {
	c := ecr.NewFromConfig(cfg)
	if doc == "" {
		if _, err := c.DeleteRegistryPolicy(ctx, &ecr.DeleteRegistryPolicyInput{}); err != nil {
			return fmt.Errorf("ecr:DeleteRegistryPolicy %s: %w", ref.ResourceARN, err)
		}
		return nil
	}
	if _, err := c.PutRegistryPolicy(ctx, &ecr.PutRegistryPolicyInput{PolicyText: aws.String(doc)}); err != nil {
		return fmt.Errorf("ecr:PutRegistryPolicy %s: %w", ref.ResourceARN, err)
	}
	return nil
}
