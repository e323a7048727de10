package kinds

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/trustaudit/trustaudit/internal/world"
)

// LogsDestination audits CloudWatch Logs destinations: their access policy says which
// accounts may subscribe their log groups to the destination (and so stream into its target).
//
// Calls: DescribeDestinations (50 per page; the listing carries the access policies), on the
// CloudWatch Logs lane.
type LogsDestination struct{ *policyKind }

func init() {
	Register(LogsDestination{&policyKind{
		name:     "logs-destination",
		actions:  []string{"logs:DescribeDestinations"},
		lanes:    []Lane{logsLane},
		listLane: LaneLogs,
		listOp:   "logs:DescribeDestinations",
		page:     logsListPage,
		list:     listLogsDestinations,
		arn:      arnFormat("arn:%s:logs:%s:%s:destination:%s"),
	}})
}

func describeDestinations(ctx context.Context, c *cloudwatchlogs.Client, prefix, token string) (*cloudwatchlogs.DescribeDestinationsOutput, error) {
	in := &cloudwatchlogs.DescribeDestinationsInput{Limit: aws.Int32(logsListPage), NextToken: optToken(token)}
	if prefix != "" {
		in.DestinationNamePrefix = aws.String(prefix)
	}
	return c.DescribeDestinations(ctx, in)
}

func listLogsDestinations(ctx context.Context, cfg aws.Config, _ Env, token string) ([]listed, string, error) {
	out, err := describeDestinations(ctx, cloudwatchlogs.NewFromConfig(cfg), "", token)
	if err != nil {
		return nil, "", err
	}
	items := make([]listed, 0, len(out.Destinations))
	for _, d := range out.Destinations {
		items = append(items, listed{res: world.Resource{Kind: "logs-destination", Name: aws.ToString(d.DestinationName),
			ARN: aws.ToString(d.Arn), Policy: world.Policy(aws.ToString(d.AccessPolicy))}})
	}
	return items, tokenOf(out.NextToken), nil
}

// Remediation: PutDestinationPolicy replaces the access policy. There is no call that removes
// one, so a policy every statement of which would go is left for a person.

var _ DocumentRemediator = LogsDestination{}

func (LogsDestination) FixActions() []string {
	return []string{"logs:DescribeDestinations", "logs:PutDestinationPolicy"}
}

func (LogsDestination) CanDelete() bool { return false }

func logsDestinationOf(arn string) (string, error) {
	a, err := parseARNOf(arn, "logs", "arn:PARTITION:logs:REGION:ACCOUNT:destination:NAME")
	if err != nil || !strings.HasPrefix(a.Resource, "destination:") {
		return "", fmt.Errorf("%q is not a CloudWatch Logs destination ARN (arn:PARTITION:logs:REGION:ACCOUNT:destination:NAME)", arn)
	}
	return strings.TrimPrefix(a.Resource, "destination:"), nil
}

func (LogsDestination) ReadPolicy(ctx context.Context, cfg aws.Config, ref PolicyRef) (LivePolicy, error) {
	name, err := logsDestinationOf(ref.ResourceARN)
	if err != nil {
		return LivePolicy{}, err
	}
	c := cloudwatchlogs.NewFromConfig(cfg)
	token := ""
	for {
		out, err := describeDestinations(ctx, c, name, token)
		if err != nil {
			return LivePolicy{}, fmt.Errorf("logs:DescribeDestinations %s: %w", ref.ResourceARN, err)
		}
		for _, d := range out.Destinations {
			if aws.ToString(d.DestinationName) == name {
				return LivePolicy{Document: aws.ToString(d.AccessPolicy)}, nil
			}
		}
		next := tokenOf(out.NextToken)
		if next == "" || next == token {
			return LivePolicy{}, fmt.Errorf("logs:DescribeDestinations %s: %w", ref.ResourceARN, ErrNoSuchResource)
		}
		token = next
	}
}

func (LogsDestination) WritePolicy(ctx context.Context, cfg aws.Config, ref PolicyRef, doc string) error {
	name, err := logsDestinationOf(ref.ResourceARN)
	if err != nil {
		return err
	}
	if doc == "" {
		return fmt.Errorf("%s: a destination's access policy can be replaced but not removed", ref.ResourceARN)
	}
	_, err = cloudwatchlogs.NewFromConfig(cfg).PutDestinationPolicy(ctx, &cloudwatchlogs.PutDestinationPolicyInput{DestinationName: aws.String(name), AccessPolicy: aws.String(doc)})
	if err != nil {
		return fmt.Errorf("logs:PutDestinationPolicy %s: %w", ref.ResourceARN, err)
	}
	return nil
}
