package kinds

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/trustaudit/trustaudit/internal/world"
)

// LogsResourcePolicy audits the account-level CloudWatch Logs resource policies of a region
// (which services and accounts may write to the account's log groups). AWS names them only
// by policy name; trustaudit gives each the ARN
// arn:PARTITION:logs:REGION:ACCOUNT:resource-policy:NAME so findings and fixes can name it.
//
// Calls: DescribeResourcePolicies (50 per page; the listing carries the documents), on the
// CloudWatch Logs lane, adaptive as Logs publishes no rate for it in the design notes.
type LogsResourcePolicy struct{ *policyKind }

// LaneLogs carries every CloudWatch Logs call.
const LaneLogs = "logs"

const logsListPage = 50

var logsLane = Lane{Name: LaneLogs, Rate: 5, Ops: []string{"logs:DescribeDestinations", "logs:DescribeResourcePolicies"}}

func init() {
	Register(LogsResourcePolicy{&policyKind{
		name:     "logs-resource-policy",
		actions:  []string{"logs:DescribeResourcePolicies"},
		lanes:    []Lane{logsLane},
		listLane: LaneLogs,
		listOp:   "logs:DescribeResourcePolicies",
		page:     logsListPage,
		list:     listLogsResourcePolicies,
		policies: func(region, partition, account string, r *world.Resource) []Policy {
			if r.Policy == "" {
				return nil
			}
			arn := r.ARN
			if arn == "" { // AWS gives the policy no ARN; a world written by hand may omit ours
				arn = logsResourcePolicyARN(partition, region, account, r.Name)
			}
			return []Policy{{Region: region, ResourceARN: arn, PolicyName: r.Name, Document: string(r.Policy)}}
		},
	}})
}

func logsResourcePolicyARN(part, region, account, name string) string {
	return fmt.Sprintf("arn:%s:logs:%s:%s:resource-policy:%s", part, region, account, name)
}

func describeResourcePolicies(ctx context.Context, c *cloudwatchlogs.Client, token string) (*cloudwatchlogs.DescribeResourcePoliciesOutput, error) {
	return c.DescribeResourcePolicies(ctx, &cloudwatchlogs.DescribeResourcePoliciesInput{Limit: aws.Int32(logsListPage), NextToken: optToken(token)})
}

func listLogsResourcePolicies(ctx context.Context, cfg aws.Config, env Env, token string) ([]listed, string, error) {
	out, err := describeResourcePolicies(ctx, cloudwatchlogs.NewFromConfig(cfg), token)
	if err != nil {
		return nil, "", err
	}
	items := make([]listed, 0, len(out.ResourcePolicies))
	for _, p := range out.ResourcePolicies {
		name := aws.ToString(p.PolicyName)
		items = append(items, listed{res: world.Resource{Kind: "logs-resource-policy", Name: name,
			ARN:    logsResourcePolicyARN(env.Partition(), env.Region(), env.Account(), name),
			Policy: world.Policy(aws.ToString(p.PolicyDocument))}})
	}
	return items, tokenOf(out.NextToken), nil
}

// Remediation: PutResourcePolicy writes a policy whole, DeleteResourcePolicy removes it.

var _ DocumentRemediator = LogsResourcePolicy{}

func (LogsResourcePolicy) FixActions() []string {
	return []string{"logs:DeleteResourcePolicy", "logs:DescribeResourcePolicies", "logs:PutResourcePolicy"}
}

func (LogsResourcePolicy) CanDelete() bool { return true }

func logsPolicyNameOf(ref PolicyRef) (string, error) {
	a, err := parseARNOf(ref.ResourceARN, "logs", "arn:PARTITION:logs:REGION:ACCOUNT:resource-policy:NAME")
	if err != nil || !strings.HasPrefix(a.Resource, "resource-policy:") {
		return "", fmt.Errorf("%q is not a CloudWatch Logs resource policy name (arn:PARTITION:logs:REGION:ACCOUNT:resource-policy:NAME)", ref.ResourceARN)
	}
	return strings.TrimPrefix(a.Resource, "resource-policy:"), nil
}

func (LogsResourcePolicy) ReadPolicy(ctx context.Context, cfg aws.Config, ref PolicyRef) (LivePolicy, error) {
	name, err := logsPolicyNameOf(ref)
	if err != nil {
		return LivePolicy{}, err
	}
	c := cloudwatchlogs.NewFromConfig(cfg)
	token := ""
	for {
		out, err := describeResourcePolicies(ctx, c, token)
		if err != nil {
			return LivePolicy{}, fmt.Errorf("logs:DescribeResourcePolicies: %w", err)
		}
		for _, p := range out.ResourcePolicies {
			if aws.ToString(p.PolicyName) == name {
				return LivePolicy{Document: aws.ToString(p.PolicyDocument)}, nil
			}
		}
		next := tokenOf(out.NextToken)
		if next == "" || next == token {
			return LivePolicy{}, nil // deleted: the account simply has no such policy
		}
		token = next
	}
}

func (LogsResourcePolicy) WritePolicy(ctx context.Context, cfg aws.Config, ref PolicyRef, doc string) error {
	name, err := logsPolicyNameOf(ref)
	if err != nil {
		return err
	}
	c := cloudwatchlogs.NewFromConfig(cfg)
	if doc == "" {
		if _, err := c.DeleteResourcePolicy(ctx, &cloudwatchlogs.DeleteResourcePolicyInput{PolicyName: aws.String(name)}); err != nil {
			return fmt.Errorf("logs:DeleteResourcePolicy %s: %w", name, err)
		}
		return nil
	}
	if _, err := c.PutResourcePolicy(ctx, &cloudwatchlogs.PutResourcePolicyInput{PolicyName: aws.String(name), PolicyDocument: aws.String(doc)}); err != nil {
		return fmt.Errorf("logs:PutResourcePolicy %s: %w", name, err)
	}
	return nil
}
