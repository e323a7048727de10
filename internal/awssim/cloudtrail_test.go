package awssim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/smithy-go"

	"github.com/trustaudit/trustaudit/internal/world"
)

const (
	ctAccount = "111122223333"
	ctKey     = "AKIAEXAMPLETRAIL"
)

func trailWorld() *world.World {
	return &world.World{SchemaVersion: world.SchemaVersion, Accounts: []world.Account{{
		ID:         ctAccount,
		AccessKeys: []world.AccessKey{{ID: ctKey, ARN: "arn:aws:iam::" + ctAccount + ":user/auditor"}},
		Regions:    []world.Region{{Name: "us-east-1"}, {Name: "eu-west-1"}, {Name: "ap-east-1", OptInStatus: world.OptInDisabled}},
	}}}
}

func trailRecord(id, source, name string, t time.Time) []byte {
	return fmt.Appendf(nil, `{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::%[1]s:user/alice","accountId":"%[1]s","accessKeyId":"ASIAEXAMPLE","userName":"alice"},"eventTime":"%[2]s","eventSource":"%[3]s","eventName":"%[4]s","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"aws-cli/2.15.0","requestParameters":{},"responseElements":null,"requestID":"req-%[5]s","eventID":"%[5]s","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"%[1]s","eventCategory":"Management"}`,
		ctAccount, t.UTC().Format(time.RFC3339), source, name, id)
}

func startTrailSim(t *testing.T) (*Server, *cloudtrail.Client) {
	t.Helper()
	s, err := Start(Options{World: trailWorld(), NoQuotas: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, cloudtrail.NewFromConfig(s.Config(ctKey, "us-east-1"))
}

func TestLookupEventsPagesNewestFirstAndFilters(t *testing.T) {
	s, ct := startTrailSim(t)
	now := time.Now().UTC().Truncate(time.Second)
	var events [][]byte
	for i := range 120 {
		src := "ses.amazonaws.com"
		if i%3 == 0 {
			src = "iam.amazonaws.com"
		}
		events = append(events, trailRecord(fmt.Sprintf("ev-%03d", i), src, "PutIdentityPolicy", now.Add(-time.Duration(i)*time.Minute)))
	}
	events = append(events, trailRecord("too-old", "ses.amazonaws.com", "PutIdentityPolicy", now.Add(-91*24*time.Hour)))
	if err := s.AddTrailEvents(ctAccount, "us-east-1", events...); err != nil {
		t.Fatal(err)
	}
	if err := s.AddTrailEvents(ctAccount, "eu-west-1", trailRecord("other-region", "ses.amazonaws.com", "PutIdentityPolicy", now)); err != nil {
		t.Fatal(err)
	}

	in := &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{{
		AttributeKey: cttypes.LookupAttributeKeyEventSource, AttributeValue: aws.String("ses.amazonaws.com"),
	}}}
	var got []cttypes.Event
	pages := 0
	for p := cloudtrail.NewLookupEventsPaginator(ct, in); p.HasMorePages(); {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		pages++
		got = append(got, out.Events...)
	}
	if len(got) != 80 || pages != 2 {
		t.Fatalf("got %d ses events in %d pages, want 80 in 2 (50 a page, 90 days back, one region)", len(got), pages)
	}
	for i := 1; i < len(got); i++ {
		if got[i].EventTime.After(*got[i-1].EventTime) {
			t.Fatalf("event %d is newer than event %d: LookupEvents returns newest first", i, i-1)
		}
	}
	if aws.ToString(got[0].EventId) != "ev-001" || aws.ToString(got[0].Username) != "alice" || aws.ToString(got[0].EventSource) != "ses.amazonaws.com" {
		t.Errorf("first event = %s by %s from %s, want ev-001 by alice from ses", aws.ToString(got[0].EventId), aws.ToString(got[0].Username), aws.ToString(got[0].EventSource))
	}
	if want := string(trailRecord("ev-001", "ses.amazonaws.com", "PutIdentityPolicy", now.Add(-time.Minute))); aws.ToString(got[0].CloudTrailEvent) != want {
		t.Errorf("CloudTrailEvent is not the record as added:\n got %s\nwant %s", aws.ToString(got[0].CloudTrailEvent), want)
	}

	// A time window: [now-10m, now-5m] holds ev-005..ev-010, of which ses ones: 5,7,8,10.
	out, err := ct.LookupEvents(context.Background(), &cloudtrail.LookupEventsInput{
		LookupAttributes: in.LookupAttributes,
		StartTime:        aws.Time(now.Add(-10 * time.Minute)), EndTime: aws.Time(now.Add(-5 * time.Minute)),
	})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range out.Events {
		ids = append(ids, aws.ToString(e.EventId))
	}
	if fmt.Sprint(ids) != "[ev-005 ev-007 ev-008 ev-010]" {
		t.Errorf("window events = %v, want [ev-005 ev-007 ev-008 ev-010]", ids)
	}
}

func TestLookupEventsErrors(t *testing.T) {
	_, ct := startTrailSim(t)
	ctx := context.Background()
	two := []cttypes.LookupAttribute{
		{AttributeKey: cttypes.LookupAttributeKeyEventSource, AttributeValue: aws.String("ses.amazonaws.com")},
		{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("PutIdentityPolicy")},
	}
	now := time.Now()
	cases := []struct {
		name string
		in   *cloudtrail.LookupEventsInput
		code string
	}{
		{"two attributes", &cloudtrail.LookupEventsInput{LookupAttributes: two}, "InvalidLookupAttributesException"},
		{"max results", &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(51)}, "InvalidMaxResultsException"},
		{"time range", &cloudtrail.LookupEventsInput{StartTime: aws.Time(now), EndTime: aws.Time(now.Add(-time.Hour))}, "InvalidTimeRangeException"},
		{"foreign token", &cloudtrail.LookupEventsInput{NextToken: aws.String("bm90LWEtdG9rZW4")}, "InvalidNextTokenException"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ct.LookupEvents(ctx, tc.in)
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != tc.code {
				t.Fatalf("err = %v, want %s", err, tc.code)
			}
		})
	}
	_, err := cloudtrail.NewFromConfig(trailSimConfig(t, ct, "ap-east-1")).LookupEvents(ctx, &cloudtrail.LookupEventsInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "UnrecognizedClientException" {
		t.Fatalf("disabled region: err = %v, want UnrecognizedClientException", err)
	}
}

// trailSimConfig is the test server's config in another region.
func trailSimConfig(t *testing.T, ct *cloudtrail.Client, region string) aws.Config {
	t.Helper()
	o := ct.Options()
	return aws.Config{Region: region, Credentials: o.Credentials, BaseEndpoint: o.BaseEndpoint, HTTPClient: o.HTTPClient}
}

func TestAddTrailEventsRejectsNonRecords(t *testing.T) {
	s, _ := startTrailSim(t)
	for _, bad := range []string{`not json`, `{"eventName":"PutIdentityPolicy"}`} {
		if err := s.AddTrailEvents(ctAccount, "us-east-1", []byte(bad)); err == nil {
			t.Errorf("AddTrailEvents(%s) succeeded, want an error", bad)
		}
	}
}

// TestLookupEventsBotocoreTarget checks the target botocore sends (the AWS CLI's
// `aws cloudtrail lookup-events`), as a raw JSON 1.1 request.
func TestLookupEventsBotocoreTarget(t *testing.T) {
	s, _ := startTrailSim(t)
	if err := s.AddTrailEvents(ctAccount, "us-east-1", trailRecord("e1", "ses.amazonaws.com", "PutIdentityPolicy", time.Now().Add(-time.Hour))); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", s.URL()+"/", strings.NewReader(`{"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"PutIdentityPolicy"}]}`))
	req.Header.Set("X-Amz-Target", "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+ctKey+"/20261125/us-east-1/cloudtrail/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Events []struct{ EventId string } }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 || len(out.Events) != 1 || out.Events[0].EventId != "e1" {
		t.Fatalf("status %d, events %+v, err %v", resp.StatusCode, out.Events, err)
	}
}
