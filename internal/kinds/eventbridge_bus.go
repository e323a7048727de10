package kinds

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/trustaudit/trustaudit/internal/world"
)

// EventBridgeBus audits event bus policies (who may put events on the bus).
//
// Calls: ListEventBuses (100 per page), DescribeEventBus per bus for its policy
// (PERFORMANCE.md §1). EventBridge publishes no control-plane rate the design notes record:
// one adaptive lane.
type EventBridgeBus struct{ *policyKind }

// LaneEvents carries every EventBridge call.
const LaneEvents = "events"

const eventsListPage = 100

func init() {
	Register(EventBridgeBus{&policyKind{
		name:     "eventbridge-bus",
		actions:  []string{"events:DescribeEventBus", "events:ListEventBuses"},
		lanes:    []Lane{{Name: LaneEvents, Rate: 20, Ops: []string{"events:DescribeEventBus", "events:ListEventBuses"}}},
		listLane: LaneEvents,
		listOp:   "events:ListEventBuses",
		page:     eventsListPage,
		list:     listEventBuses,
		arn:      arnFormat("arn:%s:events:%s:%s:event-bus/%s"),
		reads:    []policyRead{{lane: LaneEvents, op: "events:DescribeEventBus", read: readPolicyDoc(readBusPolicy)}},
	}})
}

func listEventBuses(ctx context.Context, cfg aws.Config, _ Env, token string) ([]listed, string, error) {
	out, err := eventbridge.NewFromConfig(cfg).ListEventBuses(ctx, &eventbridge.ListEventBusesInput{Limit: aws.Int32(eventsListPage), NextToken: optToken(token)})
	if err != nil {
		return nil, "", err
	}
	items := make([]listed, 0, len(out.EventBuses))
	for _, b := range out.EventBuses {
		name := aws.ToString(b.Name)
		items = append(items, listed{id: name, res: world.Resource{Kind: "eventbridge-bus", Name: name, ARN: aws.ToString(b.Arn)}})
	}
	return items, tokenOf(out.NextToken), nil
}

func readBusPolicy(ctx context.Context, cfg aws.Config, name string) (string, error) {
	out, err := eventbridge.NewFromConfig(cfg).DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{Name: aws.String(name)})
	if err != nil {
		var nf *types.ResourceNotFoundException
		if errors.As(err, &nf) {
			return "", errGone
		}
		return "", err
	}
	return aws.ToString(out.Policy), nil
}

// Remediation: PutPermission with Policy replaces the whole policy; RemovePermission with
// RemoveAllPermissions deletes it.

var _ DocumentRemediator = EventBridgeBus{}

func (EventBridgeBus) FixActions() []string {
	return []string{"events:DescribeEventBus", "events:PutPermission", "events:RemovePermission"}
}

func (EventBridgeBus) CanDelete() bool { return true }

func eventBusOf(arn string) (string, error) {
	a, err := parseARNOf(arn, "events", "arn:PARTITION:events:REGION:ACCOUNT:event-bus/NAME")
	if err != nil || !strings.HasPrefix(a.Resource, "event-bus/") {
		return "", fmt.Errorf("%q is not an event bus ARN (arn:PARTITION:events:REGION:ACCOUNT:event-bus/NAME)", arn)
	}
	return strings.TrimPrefix(a.Resource, "event-bus/"), nil
}

func (EventBridgeBus) ReadPolicy(ctx context.Context, cfg aws.Config, ref PolicyRef) (LivePolicy, error) {
	name, err := eventBusOf(ref.ResourceARN)
	if err != nil {
		return LivePolicy{}, err
	}
	doc, err := readBusPolicy(ctx, cfg, name)
	return livePolicy("events:DescribeEventBus", ref.ResourceARN, doc, err)
}

func (EventBridgeBus) WritePolicy(ctx context.Context, cfg aws.Config, ref PolicyRef, doc string) error {
	name, err := eventBusOf(ref.ResourceARN)
	if err != nil {
		return err
	}
	c := eventbridge.NewFromConfig(cfg)
	if doc == "" {
		if _, err := c.RemovePermission(ctx, &eventbridge.RemovePermissionInput{EventBusName: aws.String(name), RemoveAllPermissions: true}); err != nil {
			return fmt.Errorf("events:RemovePermission %s: %w", ref.ResourceARN, err)
		}
		return nil
	}
	if _, err := c.PutPermission(ctx, &eventbridge.PutPermissionInput{EventBusName: aws.String(name), Policy: aws.String(doc)}); err != nil {
		return fmt.Errorf("events:PutPermission %s: %w", ref.ResourceARN, err)
	}
	return nil
}
