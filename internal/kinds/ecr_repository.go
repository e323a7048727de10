package kinds

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"github.com/trustaudit/trustaudit/internal/world"
)

// ECRRepository audits repository policies (statements have no Resource).
//
// Calls: DescribeRepositories (1000 per page), GetRepositoryPolicy per repository. ECR
// publishes no rate the design notes record: one adaptive lane for ECR.
type ECRRepository struct{ *policyKind }

// LaneECR carries every ECR call.
const LaneECR = "ecr"

const ecrListPage = 1000

var ecrLane = Lane{Name: LaneECR, Rate: 20, Ops: []string{"ecr:DescribeRepositories", "ecr:GetRegistryPolicy", "ecr:GetRepositoryPolicy"}}

func init() {
	Register(ECRRepository{&policyKind{
		name:     "ecr-repository",
		actions:  []string{"ecr:DescribeRepositories", "ecr:GetRepositoryPolicy"},
		lanes:    []Lane{ecrLane},
		listLane: LaneECR,
		listOp:   "ecr:DescribeRepositories",
		page:     ecrListPage,
		list:     listECRRepositories,
		arn:      arnFormat("arn:%s:ecr:%s:%s:repository/%s"),
		reads:    []policyRead{{lane: LaneECR, op: "ecr:GetRepositoryPolicy", read: readPolicyDoc(readRepositoryPolicy)}},
	}})
}

func listECRRepositories(ctx context.Context, cfg aws.Config, _ Env, token string) ([]listed, string, error) {
	out, err := ecr.NewFromConfig(cfg).DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{MaxResults: aws.Int32(ecrListPage), NextToken: optToken(token)})
	if err != nil {
		return nil, "", err
	}
	items := make([]listed, 0, len(out.Repositories))
	for _, r := range out.Repositories {
		name := aws.ToString(r.RepositoryName)
		items = append(items, listed{id: name, res: world.Resource{Kind: "ecr-repository", Name: name, ARN: aws.ToString(r.RepositoryArn)}})
	}
	return items, tokenOf(out.NextToken), nil
}

func readRepositoryPolicy(ctx context.Context, cfg aws.Config, name string) (string, error) {
	out, err := ecr.NewFromConfig(cfg).GetRepositoryPolicy(ctx, &ecr.GetRepositoryPolicyInput{RepositoryName: aws.String(name)})
	var nop *types.RepositoryPolicyNotFoundException
	var nf *types.RepositoryNotFoundException
	switch {
	case errors.As(err, &nop):
		return "", nil
	case errors.As(err, &nf):
		return "", errGone
	case err != nil:
		return "", err
	}
	return aws.ToString(out.PolicyText), nil
}

// Remediation: SetRepositoryPolicy writes the whole policy, DeleteRepositoryPolicy removes it.

var _ DocumentRemediator = ECRRepository{}

func (ECRRepository) FixActions() []string {
	return []string{"ecr:DeleteRepositoryPolicy", "ecr:GetRepositoryPolicy", "ecr:SetRepositoryPolicy"}
}

func (ECRRepository) CanDelete() bool { return true }

func ecrRepositoryOf(arn string) (string, error) {
	a, err := parseARNOf(arn, "ecr", "arn:PARTITION:ecr:REGION:ACCOUNT:repository/NAME")
	if err != nil || !strings.HasPrefix(a.Resource, "repository/") {
		return "", fmt.Errorf("%q is not an ECR repository ARN (arn:PARTITION:ecr:REGION:ACCOUNT:repository/NAME)", arn)
	}
	return strings.TrimPrefix(a.Resource, "repository/"), nil
}

func (ECRRepository) ReadPolicy(ctx context.Context, cfg aws.Config, ref PolicyRef) (LivePolicy, error) {
	name, err := ecrRepositoryOf(ref.ResourceARN)
	if err != nil {
		return LivePolicy{}, err
	}
	doc, err := readRepositoryPolicy(ctx, cfg, name)
	return livePolicy("ecr:GetRepositoryPolicy", ref.ResourceARN, doc, err)
}

func (ECRRepository) WritePolicy(ctx context.Context, cfg aws.Config, ref PolicyRef, doc string) error {
	name, err := ecrRepositoryOf(ref.ResourceARN)
	if err != nil {
		return err
	}
	c := ecr.NewFromConfig(cfg)
	if doc == "" {
		if _, err := c.DeleteRepositoryPolicy(ctx, &ecr.DeleteRepositoryPolicyInput{RepositoryName: aws.String(name)}); err != nil {
			return fmt.Errorf("ecr:DeleteRepositoryPolicy %s: %w", ref.ResourceARN, err)
		}
		return nil
	}
	if _, err := c.SetRepositoryPolicy(ctx, &ecr.SetRepositoryPolicyInput{RepositoryName: aws.String(name), PolicyText: aws.String(doc)}); err != nil {
		return fmt.Errorf("ecr:SetRepositoryPolicy %s: %w", ref.ResourceARN, err)
	}
	return nil
}
