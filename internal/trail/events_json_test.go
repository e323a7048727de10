package trail

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trustaudit/trustaudit/internal/access"
	"github.com/trustaudit/trustaudit/internal/awssim"
	"github.com/trustaudit/trustaudit/internal/finding"
)

// TestJSONServiceEvents rebuilds each recognised event from requestParameters as CloudTrail
// logs them, and judges what it granted: the resource named, and the verdict a change that
// opens access must produce.
func TestJSONServiceEvents(t *testing.T) {
	const foreignPolicy = `{"Version":"2012-10-17","Statement":[{"Sid":"Endgame","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:root"},"Action":"*","Resource":"*"}]}`
	cases := []struct {
		name, source, event, params, response string
		kind                                  access.Kind
		resource, policyName                  string
		want                                  finding.Category // "" when nothing is granted
	}{
		{name: "sqs policy attribute", source: "sqs.amazonaws.com", event: "SetQueueAttributes",
			params: `{"queueUrl":"https://sqs.eu-west-1.amazonaws.com/111122223333/q","attributes":{"Policy":` + jsonString(foreignPolicy) + `}}`,
			kind:   access.KindSQSQueue, resource: "arn:aws:sqs:eu-west-1:111122223333:q", want: finding.CategoryUntrustedAccount},
		{name: "sqs add permission", source: "sqs.amazonaws.com", event: "AddPermission",
			params: `{"queueUrl":"https://sqs.eu-west-1.amazonaws.com/111122223333/q","label":"Endgame","aWSAccountIds":["999988887777"],"actions":["SendMessage"]}`,
			kind:   access.KindSQSQueue, resource: "arn:aws:sqs:eu-west-1:111122223333:q", policyName: "Endgame", want: finding.CategoryUntrustedAccount},
		{name: "sqs add permission, member name as the API spells it", source: "sqs.amazonaws.com", event: "AddPermission",
			params: `{"queueUrl":"https://sqs.eu-west-1.amazonaws.com/111122223333/q","label":"x","AWSAccountIds":["999988887777"],"actions":["ReceiveMessage"]}`,
			kind:   access.KindSQSQueue, resource: "arn:aws:sqs:eu-west-1:111122223333:q", policyName: "x", want: finding.CategoryUntrustedAccount},
		{name: "sqs remove permission", source: "sqs.amazonaws.com", event: "RemovePermission",
			params: `{"queueUrl":"https://sqs.eu-west-1.amazonaws.com/111122223333/q","label":"Endgame"}`,
			kind:   access.KindSQSQueue, resource: "arn:aws:sqs:eu-west-1:111122223333:q", policyName: "Endgame"},
		{name: "sns policy attribute", source: "sns.amazonaws.com", event: "SetTopicAttributes",
			params: `{"topicArn":"arn:aws:sns:eu-west-1:111122223333:t","attributeName":"Policy","attributeValue":` + jsonString(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sns:Publish","Resource":"*"}]}`) + `}`,
			kind:   access.KindSNSTopic, resource: "arn:aws:sns:eu-west-1:111122223333:t", want: finding.CategoryPublic},
		{name: "sns other attribute", source: "sns.amazonaws.com", event: "SetTopicAttributes",
			params: `{"topicArn":"arn:aws:sns:eu-west-1:111122223333:t","attributeName":"DisplayName","attributeValue":"x"}`,
			kind:   access.KindSNSTopic, resource: "arn:aws:sns:eu-west-1:111122223333:t"},
		{name: "sns add permission", source: "sns.amazonaws.com", event: "AddPermission",
			params: `{"topicArn":"arn:aws:sns:eu-west-1:111122223333:t","label":"Endgame","aWSAccountId":["999988887777"],"actionName":["Publish"]}`,
			kind:   access.KindSNSTopic, resource: "arn:aws:sns:eu-west-1:111122223333:t", policyName: "Endgame", want: finding.CategoryUntrustedAccount},
		{name: "kms key policy", source: "kms.amazonaws.com", event: "PutKeyPolicy",
			params: `{"keyId":"1234abcd-12ab-34cd-56ef-1234567890ab","policyName":"default","policy":` + jsonString(foreignPolicy) + `}`,
			kind:   access.KindKMSKey, resource: "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", want: finding.CategoryUntrustedAccount},
		{name: "kms grant", source: "kms.amazonaws.com", event: "CreateGrant",
			params: `{"keyId":"arn:aws:kms:eu-west-1:111122223333:key/k","granteePrincipal":"arn:aws:iam::999988887777:role/x","operations":["Decrypt"]}`, response: `{"grantId":"g1"}`,
			kind: access.KindKMSKey, resource: "arn:aws:kms:eu-west-1:111122223333:key/k", policyName: "grants", want: finding.CategoryUntrustedAccount},
		{name: "secret policy", source: "secretsmanager.amazonaws.com", event: "PutResourcePolicy",
			params: `{"secretId":"db","resourcePolicy":` + jsonString(foreignPolicy) + `}`, response: `{"aRN":"arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-AbCdEf","name":"db"}`,
			kind: access.KindSecretsManagerSecret, resource: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-AbCdEf", want: finding.CategoryUntrustedAccount},
		{name: "secret policy deleted", source: "secretsmanager.amazonaws.com", event: "DeleteResourcePolicy",
			params: `{"secretId":"arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-AbCdEf"}`,
			kind:   access.KindSecretsManagerSecret, resource: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-AbCdEf"},
		{name: "ecr repository policy", source: "ecr.amazonaws.com", event: "SetRepositoryPolicy",
			params: `{"repositoryName":"app","policyText":` + jsonString(`{"Version":"2012-10-17","Statement":[{"Sid":"pull","Effect":"Allow","Principal":"*","Action":"ecr:BatchGetImage"}]}`) + `}`,
			kind:   access.KindECRRepository, resource: "arn:aws:ecr:eu-west-1:111122223333:repository/app", want: finding.CategoryPublic},
		{name: "ecr registry policy", source: "ecr.amazonaws.com", event: "PutRegistryPolicy",
			params: `{"policyText":` + jsonString(foreignPolicy) + `}`,
			kind:   access.KindECRRegistry, resource: "arn:aws:ecr:eu-west-1:111122223333:registry/111122223333", want: finding.CategoryUntrustedAccount},
		{name: "eventbridge permission to everyone", source: "events.amazonaws.com", event: "PutPermission",
			params: `{"eventBusName":"bus","statementId":"all","action":"events:PutEvents","principal":"*"}`,
			kind:   access.KindEventBridgeBus, resource: "arn:aws:events:eu-west-1:111122223333:event-bus/bus", policyName: "all", want: finding.CategoryPublic},
		{name: "eventbridge permission to an organization", source: "events.amazonaws.com", event: "PutPermission",
			params: `{"statementId":"org","action":"events:PutEvents","principal":"*","condition":{"type":"StringEquals","key":"aws:PrincipalOrgID","value":"o-abcdef1234"}}`,
			kind:   access.KindEventBridgeBus, resource: "arn:aws:events:eu-west-1:111122223333:event-bus/default", policyName: "org", want: finding.CategoryUntrustedOrg},
		{name: "eventbridge whole policy", source: "events.amazonaws.com", event: "PutPermission",
			params: `{"eventBusName":"bus","policy":` + jsonString(foreignPolicy) + `}`,
			kind:   access.KindEventBridgeBus, resource: "arn:aws:events:eu-west-1:111122223333:event-bus/bus", want: finding.CategoryUntrustedAccount},
		{name: "logs resource policy", source: "logs.amazonaws.com", event: "PutResourcePolicy",
			params: `{"policyName":"Endgame","policyDocument":` + jsonString(foreignPolicy) + `}`,
			kind:   access.KindLogsResourcePolicy, resource: "arn:aws:logs:eu-west-1:111122223333:resource-policy:Endgame", policyName: "Endgame", want: finding.CategoryUntrustedAccount},
		{name: "logs destination policy", source: "logs.amazonaws.com", event: "PutDestinationPolicy",
			params: `{"destinationName":"d","accessPolicy":` + jsonString(foreignPolicy) + `}`,
			kind:   access.KindLogsDestination, resource: "arn:aws:logs:eu-west-1:111122223333:destination:d", want: finding.CategoryUntrustedAccount},
	}
	b, err := access.NewBoundary(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev, ok := Match(tc.source, tc.event)
			if !ok || ev.Kind != tc.kind {
				t.Fatalf("Match(%s, %s) = %+v, %v; want kind %s", tc.source, tc.event, ev, ok, tc.kind)
			}
			r := &Record{AWSRegion: "eu-west-1", RecipientAccountID: "111122223333", EventSource: tc.source, EventName: tc.event,
				RequestParameters: json.RawMessage(tc.params), ResponseElements: json.RawMessage(tc.response)}
			ch := rebuild(t, ev, r)
			if ch.ResourceARN != tc.resource || ch.PolicyName != tc.policyName || ch.Region != "eu-west-1" {
				t.Errorf("change %+v; want resource %s, name %q", ch, tc.resource, tc.policyName)
			}
			if got := verdict(t, tc.kind, ch, b); got != tc.want {
				t.Errorf("verdict %q, want %q (policy %s)", got, tc.want, ch.Policy)
			}
		})
	}
}

func TestJSONServiceEventErrorsNameTheField(t *testing.T) {
	r := &Record{AWSRegion: "eu-west-1", RecipientAccountID: "111122223333"}
	for _, tc := range []struct{ source, event, params, want string }{
		{"sqs.amazonaws.com", "SetQueueAttributes", `{"queueUrl":"not-a-url","attributes":{}}`, "requestParameters.queueUrl"},
		{"sqs.amazonaws.com", "AddPermission", `{"queueUrl":"https://sqs.eu-west-1.amazonaws.com/111122223333/q","label":"x","actions":["SendMessage"]}`, "requestParameters.aWSAccountIds: missing"},
		{"kms.amazonaws.com", "PutKeyPolicy", `{"keyId":"k"}`, "requestParameters.policy: missing"},
		{"logs.amazonaws.com", "PutResourcePolicy", `{"policyDocument":"{}"}`, "requestParameters.policyName: missing"},
	} {
		ev, _ := Match(tc.source, tc.event)
		if err := rebuildErr(t, ev, r, tc.params); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %s: error %v, want one naming %q", tc.source, tc.event, err, tc.want)
		}
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestDetectorJudgesJSONServiceEvents runs whole CloudTrail records of endgame's exposures of
// these services through the detector: each is reported under its kind's rule (a grant to a
// trusted account is not), and each is recognised as endgame's by its Sid or policy name.
func TestDetectorJudgesJSONServiceEvents(t *testing.T) {
	b, err := access.NewBoundary([]string{"444455556666"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := NewDetector(Options{Boundary: b})
	records := []struct{ source, name, params, want string }{
		{"sqs.amazonaws.com", "AddPermission", `{"queueUrl":"https://sqs.us-east-1.amazonaws.com/111122223333/q","label":"Endgame","aWSAccountIds":["999988887777"],"actions":["*"]}`, "sqs-queue/untrusted-account"},
		{"sns.amazonaws.com", "AddPermission", `{"topicArn":"arn:aws:sns:us-east-1:111122223333:t","label":"Endgame","aWSAccountId":["444455556666"],"actionName":["Publish"]}`, ""},
		{"secretsmanager.amazonaws.com", "PutResourcePolicy", `{"secretId":"arn:aws:secretsmanager:us-east-1:111122223333:secret:s-AbCdEf","resourcePolicy":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"Endgame\",\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"secretsmanager:*\",\"Resource\":\"*\"}]}"}`, "secretsmanager-secret/public"},
		{"logs.amazonaws.com", "PutResourcePolicy", `{"policyName":"Endgame","policyDocument":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"Endgame\",\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"logs:*\",\"Resource\":\"*\"}]}"}`, "logs-resource-policy/public"},
	}
	want := map[string]bool{}
	for i, rec := range records {
		raw := fmt.Sprintf(`{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/mallory","accountId":"111122223333"},"eventTime":"2026-11-20T10:00:00Z","eventSource":%q,"eventName":%q,"awsRegion":"us-east-1","requestParameters":%s,"responseElements":null,"eventID":"e%d","eventType":"AwsApiCall","recipientAccountId":"111122223333"}`,
			rec.source, rec.name, rec.params, i)
		var r Record
		if err := json.Unmarshal([]byte(raw), &r); err != nil {
			t.Fatal(err)
		}
		if err := d.Record(&r); err != nil {
			t.Fatal(err)
		}
		if rec.want != "" {
			want[fmt.Sprintf("e%d trail/%s", i, rec.want)] = true
		}
		// Each names its statement or policy Endgame, as endgame does.
		want[fmt.Sprintf("e%d trail/endgame-indicator", i)] = true
	}
	got := map[string]bool{}
	for _, det := range d.Detections() {
		got[det.Event.ID+" "+det.Rule] = true
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("detections %v, want %v", got, want)
	}
	if _, matched := d.Counts(); matched != int64(len(records)) {
		t.Errorf("%d records matched, want %d", matched, len(records))
	}
}

// KMS records every Decrypt: LookupEvents asks for its policy changes by name, so the
// noise is never paged through and a grant to an outsider is still found.
func TestLookupAsksKMSByEventName(t *testing.T) {
	s := startSim(t, awssim.Options{NoQuotas: true})
	now := time.Now().UTC()
	rec := func(id, name, params string, at time.Time) []byte {
		return []byte(fmt.Sprintf(`{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ops","accountId":"111122223333"},"eventTime":%q,"eventSource":"kms.amazonaws.com","eventName":%q,"awsRegion":"us-east-1","requestParameters":%s,"eventID":%q,"eventType":"AwsApiCall","recipientAccountId":"111122223333"}`,
			at.Format(time.RFC3339), name, params, id))
	}
	var recs [][]byte
	for i := range 120 {
		recs = append(recs, rec(fmt.Sprintf("noise-%d", i), "Decrypt", `{"encryptionAlgorithm":"SYMMETRIC_DEFAULT"}`, now.Add(-time.Duration(i)*time.Minute)))
	}
	recs = append(recs, rec("grant-1", "CreateGrant", `{"keyId":"k","granteePrincipal":"arn:aws:iam::999988887777:root","operations":["Decrypt"]}`, now.Add(-time.Hour)))
	if err := s.AddTrailEvents("111122223333", "us-east-1", recs...); err != nil {
		t.Fatal(err)
	}
	got, calls := lookupDetections(t, s)
	if want := []string{"trail/kms-key/untrusted-account arn:aws:kms:us-east-1:111122223333:key/k"}; !slices.Equal(got, want) {
		t.Errorf("detections %v, want %v", got, want)
	}
	if want := int64(len(lookupQueries())); calls != want {
		t.Errorf("LookupEvents calls = %d, want one per query (%d): the Decrypt events were paged through", calls, want)
	}
}
