package trail

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"golang.org/x/time/rate"
)

// LookupRate is CloudTrail's documented LookupEvents quota: 2 requests per second per
// account and region. Going faster only earns ThrottlingException.
const LookupRate = 2

// Lookup reads the last 90 days of management events through the LookupEvents API of one
// account and region. LookupEvents takes one lookup attribute per call, so it asks once per
// event source in the event table and filters event names locally (once per event name for
// the sources in lookupByName); requests are paced at LookupRate.
type Lookup struct {
	Client  cloudtrail.LookupEventsAPIClient
	Account string // for messages only; the client's credentials choose the account
	Region  string
	// Limiter paces the requests; nil means LookupRate with no burst. Share one limiter
	// between Lookups of the same account and region.
	Limiter *rate.Limiter
}

func (l Lookup) String() string { return "LookupEvents " + l.Account + " " + l.Region }

// Records implements Source.
func (l Lookup) Records(ctx context.Context, w Window, fn func(*Record) error) error {
	lim := l.Limiter
	if lim == nil {
		lim = rate.NewLimiter(LookupRate, 1)
	}
	for _, q := range lookupQueries() {
		src := q.value
		in := &cloudtrail.LookupEventsInput{
			LookupAttributes: []types.LookupAttribute{{AttributeKey: q.key, AttributeValue: aws.String(q.value)}},
		}
		if !w.Since.IsZero() {
			in.StartTime = aws.Time(w.Since)
		}
		if !w.Until.IsZero() {
			in.EndTime = aws.Time(w.Until)
		}
		for {
			if err := lim.Wait(ctx); err != nil {
				return err
			}
			out, err := l.Client.LookupEvents(ctx, in)
			if err != nil {
				return fmt.Errorf("%s: LookupEvents %s: %w", l, src, err)
			}
			for i, ev := range out.Events {
				if err := l.emit(ev, fn); err != nil {
					if _, ok := err.(*lookupDecodeError); ok {
						return fmt.Errorf("%s: LookupEvents %s: Events[%d]: %w", l, src, i, err)
					}
					return err
				}
			}
			if aws.ToString(out.NextToken) == "" {
				break
			}
			in.NextToken = out.NextToken
		}
	}
	return nil
}

type lookupDecodeError struct{ err error }

func (e *lookupDecodeError) Error() string { return e.err.Error() }
func (e *lookupDecodeError) Unwrap() error { return e.err }

func (l Lookup) emit(ev types.Event, fn func(*Record) error) error {
	if _, ok := Match(aws.ToString(ev.EventSource), aws.ToString(ev.EventName)); !ok {
		return nil
	}
	raw := aws.ToString(ev.CloudTrailEvent)
	if raw == "" {
		return &lookupDecodeError{fmt.Errorf("event %s has no CloudTrailEvent", aws.ToString(ev.EventId))}
	}
	var rec Record
	if err := json.Unmarshal([]byte(raw), &rec); err != nil {
		return &lookupDecodeError{fmt.Errorf("CloudTrailEvent of %s: %w", aws.ToString(ev.EventId), err)}
	}
	if rec.EventTime.IsZero() && ev.EventTime != nil {
		rec.EventTime = ev.EventTime.UTC().Truncate(time.Second)
	}
	return fn(&rec)
}

// lookupByName holds the event sources whose event history is mostly calls the table does
// not want (EC2 and RDS record every Describe call): paging through all of them would take
// hours at LookupRate, so they are asked for by event name instead.
var lookupByName = map[string]bool{}

type lookupQuery struct {
	key   types.LookupAttributeKey
	value string
}

// lookupQueries are the LookupEvents queries that together return every event in the
// table: one per event source, or one per event name for the sources in lookupByName.
func lookupQueries() []lookupQuery {
	var out []lookupQuery
	for _, src := range Sources() {
		if !lookupByName[src] {
			out = append(out, lookupQuery{types.LookupAttributeKeyEventSource, src})
			continue
		}
		for _, e := range Events() {
			if e.Source == src {
				out = append(out, lookupQuery{types.LookupAttributeKeyEventName, e.Name})
			}
		}
	}
	return out
}
