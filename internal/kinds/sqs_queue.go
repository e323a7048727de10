package kinds

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/trustaudit/trustaudit/internal/world"
)

// SQSQueue audits queue policies.
//
// Calls: ListQueues (1000 per page), GetQueueAttributes AttributeNames=Policy per queue.
// AWS publishes no rate for either, so both share one adaptive lane.
type SQSQueue struct{ *policyKind }

// LaneSQS carries every SQS call.
const LaneSQS = "sqs"

const sqsListPage = 1000

var sqsLane = Lane{Name: LaneSQS, Rate: 20, Ops: []string{"sqs:GetQueueAttributes", "sqs:ListQueues"}}

func init() {
	Register(SQSQueue{&policyKind{
		name:     "sqs-queue",
		actions:  []string{"sqs:GetQueueAttributes", "sqs:ListQueues"},
		lanes:    []Lane{sqsLane},
		listLane: LaneSQS,
		listOp:   "sqs:ListQueues",
		page:     sqsListPage,
		list:     listSQSQueues,
		arn:      arnFormat("arn:%s:sqs:%s:%s:%s"),
		reads:    []policyRead{{lane: LaneSQS, op: "sqs:GetQueueAttributes", read: readPolicyDoc(readSQSPolicy)}},
	}})
}

// sqsQueueName is the last path segment of a queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME).
func sqsQueueName(url string) string { return url[strings.LastIndexByte(url, '/')+1:] }

func listSQSQueues(ctx context.Context, cfg aws.Config, env Env, token string) ([]listed, string, error) {
	out, err := sqs.NewFromConfig(cfg).ListQueues(ctx, &sqs.ListQueuesInput{MaxResults: aws.Int32(sqsListPage), NextToken: optToken(token)})
	if err != nil {
		return nil, "", err
	}
	items := make([]listed, 0, len(out.QueueUrls))
	for _, u := range out.QueueUrls {
		name := sqsQueueName(u)
		items = append(items, listed{id: u, res: world.Resource{Kind: "sqs-queue", Name: name,
			ARN: fmt.Sprintf("arn:%s:sqs:%s:%s:%s", env.Partition(), env.Region(), env.Account(), name)}})
	}
	return items, tokenOf(out.NextToken), nil
}

func readSQSPolicy(ctx context.Context, cfg aws.Config, url string) (string, error) {
	out, err := sqs.NewFromConfig(cfg).GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{types.QueueAttributeNamePolicy}})
	if err != nil {
		var nf *types.QueueDoesNotExist
		if errors.As(err, &nf) {
			return "", errGone
		}
		return "", err
	}
	return out.Attributes[string(types.QueueAttributeNamePolicy)], nil
}

// Remediation rewrites the whole policy with SetQueueAttributes (an empty Policy attribute
// removes it); the queue URL is looked up by name and owner, so an ARN is all a fix needs.

var _ DocumentRemediator = SQSQueue{}

func (SQSQueue) FixActions() []string {
	return []string{"sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SetQueueAttributes"}
}

func (SQSQueue) CanDelete() bool { return true }

func sqsQueueURL(ctx context.Context, c *sqs.Client, arn string) (string, error) {
	a, err := parseARNOf(arn, "sqs", "arn:PARTITION:sqs:REGION:ACCOUNT:NAME")
	if err != nil {
		return "", err
	}
	out, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(a.Resource), QueueOwnerAWSAccountId: aws.String(a.Account)})
	if err != nil {
		var nf *types.QueueDoesNotExist
		if errors.As(err, &nf) {
			return "", fmt.Errorf("sqs:GetQueueUrl %s: %w: %w", arn, ErrNoSuchResource, err)
		}
		return "", fmt.Errorf("sqs:GetQueueUrl %s: %w", arn, err)
	}
	return aws.ToString(out.QueueUrl), nil
}

func (SQSQueue) ReadPolicy(ctx context.Context, cfg aws.Config, ref PolicyRef) (LivePolicy, error) {
	c := sqs.NewFromConfig(cfg)
	url, err := sqsQueueURL(ctx, c, ref.ResourceARN)
	if err != nil {
		return LivePolicy{}, err
	}
	doc, err := readSQSPolicy(ctx, cfg, url)
	return livePolicy("sqs:GetQueueAttributes", ref.ResourceARN, doc, err)
}

func (SQSQueue) WritePolicy(ctx context.Context, cfg aws.Config, ref PolicyRef, doc string) error {
	c := sqs.NewFromConfig(cfg)
	url, err := sqsQueueURL(ctx, c, ref.ResourceARN)
	if err != nil {
		return err
	}
	if _, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: map[string]string{"Policy": doc}}); err != nil {
		return fmt.Errorf("sqs:SetQueueAttributes %s: %w", ref.ResourceARN, err)
	}
	return nil
}
