package trail

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMatch(t *testing.T) {
	cases := []struct {
		source, name string
		want         string // matched table name, "" for no match
	}{
		{"lambda.amazonaws.com", "AddPermission20150331v2", "AddPermission"},
		{"lambda.amazonaws.com", "AddPermission20150331", "AddPermission"},
		{"lambda.amazonaws.com", "AddPermission", "AddPermission"},
		{"lambda.amazonaws.com", "RemovePermission20150331v2", "RemovePermission"},
		{"lambda.amazonaws.com", "AddLayerVersionPermission20181031", "AddLayerVersionPermission"},
		{"lambda.amazonaws.com", "RemoveLayerVersionPermission20181031", "RemoveLayerVersionPermission"},
		{"lambda.amazonaws.com", "AddPermissionBoundary", ""},
		{"lambda.amazonaws.com", "GetPolicy20150331v2", ""},
		{"ses.amazonaws.com", "PutIdentityPolicy", "PutIdentityPolicy"},
		{"ses.amazonaws.com", "PutIdentityPolicy2", ""},
		{"ses.amazonaws.com", "UpdateEmailIdentityPolicy", "UpdateEmailIdentityPolicy"},
		{"iam.amazonaws.com", "UpdateAssumeRolePolicy", "UpdateAssumeRolePolicy"},
		{"iam.amazonaws.com", "CreateRole", "CreateRole"},
		{"iam.amazonaws.com", "PutRolePolicy", ""},
		{"sns.amazonaws.com", "AddPermission", "AddPermission"}, // SNS has its own AddPermission, not Lambda's prefix
		{"sns.amazonaws.com", "AddPermission20150331v2", ""},
	}
	for _, tc := range cases {
		ev, ok := Match(tc.source, tc.name)
		got := ""
		if ok {
			got = ev.Name
		}
		if got != tc.want {
			t.Errorf("Match(%s, %s) = %q, want %q", tc.source, tc.name, got, tc.want)
		}
	}
}

func TestEventsTableIsComplete(t *testing.T) {
	for _, e := range Events() {
		if e.Source == "" || e.Name == "" || e.Kind == "" || e.Rebuild == nil {
			t.Errorf("incomplete table entry %+v", e)
		}
		if e.Kind.Noun() == string(e.Kind) {
			t.Errorf("%s %s: kind %q is unknown to the access engine", e.Source, e.Name, e.Kind)
		}
	}
	for _, want := range []string{"iam.amazonaws.com", "lambda.amazonaws.com", "ses.amazonaws.com"} {
		if !slices.Contains(Sources(), want) || !slices.IsSorted(Sources()) {
			t.Errorf("Sources() = %s, want sorted and with %s", strings.Join(Sources(), ","), want)
		}
	}
}

// TestRebuild checks that a permission is rebuilt the way the service writes it into the
// policy, from requestParameters as CloudTrail logs them.
func TestRebuild(t *testing.T) {
	cases := []struct {
		name, source, event, params string
		resource, policyName        string
		stmt                        string // the rebuilt statement, "" for removals
	}{
		{
			name: "lambda account principal with qualifier", source: "lambda.amazonaws.com", event: "AddPermission20150331v2",
			params:   `{"functionName":"f","qualifier":"prod","statementId":"x","action":"lambda:InvokeFunction","principal":"444455556666"}`,
			resource: "arn:aws:lambda:eu-west-1:111122223333:function:f:prod", policyName: "x",
			stmt: `{"Action":"lambda:InvokeFunction","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Resource":"arn:aws:lambda:eu-west-1:111122223333:function:f:prod","Sid":"x"}`,
		},
		{
			name: "lambda service with every condition", source: "lambda.amazonaws.com", event: "AddPermission20150331v2",
			params:   `{"functionName":"111122223333:function:f","statementId":"s3","action":"lambda:InvokeFunction","principal":"s3.amazonaws.com","sourceAccount":"111122223333","sourceArn":"arn:aws:s3:::b","principalOrgID":"o-abc123def4","eventSourceToken":"tok"}`,
			resource: "arn:aws:lambda:eu-west-1:111122223333:function:f", policyName: "s3",
			stmt: `{"Action":"lambda:InvokeFunction","Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::b"},"StringEquals":{"AWS:SourceAccount":"111122223333","aws:PrincipalOrgID":"o-abc123def4","lambda:EventSourceToken":"tok"}},"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Resource":"arn:aws:lambda:eu-west-1:111122223333:function:f","Sid":"s3"}`,
		},
		{
			name: "lambda function URL", source: "lambda.amazonaws.com", event: "AddPermission20150331v2",
			params:   `{"functionName":"arn:aws:lambda:eu-west-1:111122223333:function:f:live","statementId":"url","action":"lambda:InvokeFunctionUrl","principal":"*","functionUrlAuthType":"NONE"}`,
			resource: "arn:aws:lambda:eu-west-1:111122223333:function:f:live", policyName: "url",
			stmt: `{"Action":"lambda:InvokeFunctionUrl","Condition":{"StringEquals":{"lambda:FunctionUrlAuthType":"NONE"}},"Effect":"Allow","Principal":"*","Resource":"arn:aws:lambda:eu-west-1:111122223333:function:f:live","Sid":"url"}`,
		},
		{
			name: "layer to an organization", source: "lambda.amazonaws.com", event: "AddLayerVersionPermission20181031",
			params:   `{"layerName":"arn:aws:lambda:eu-west-1:111122223333:layer:utils","versionNumber":7,"statementId":"org","action":"lambda:GetLayerVersion","principal":"*","organizationId":"o-abc123def4"}`,
			resource: "arn:aws:lambda:eu-west-1:111122223333:layer:utils:7", policyName: "org",
			stmt: `{"Action":"lambda:GetLayerVersion","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123def4"}},"Effect":"Allow","Principal":"*","Resource":"arn:aws:lambda:eu-west-1:111122223333:layer:utils:7","Sid":"org"}`,
		},
		{
			name: "layer removal", source: "lambda.amazonaws.com", event: "RemoveLayerVersionPermission20181031",
			params:   `{"layerName":"utils","versionNumber":7,"statementId":"org"}`,
			resource: "arn:aws:lambda:eu-west-1:111122223333:layer:utils:7", policyName: "org",
		},
		{
			name: "ses v1 policy on an identity ARN", source: "ses.amazonaws.com", event: "PutIdentityPolicy",
			params:   `{"identity":"arn:aws:ses:eu-west-1:111122223333:identity/example.com","policyName":"p","policy":"{\"Version\":\"2012-10-17\",\"Statement\":[]}"}`,
			resource: "arn:aws:ses:eu-west-1:111122223333:identity/example.com", policyName: "p",
		},
		{
			name: "ses v2 delete", source: "ses.amazonaws.com", event: "DeleteEmailIdentityPolicy",
			params:   `{"emailIdentity":"a@example.com","policyName":"p"}`,
			resource: "arn:aws:ses:eu-west-1:111122223333:identity/a@example.com", policyName: "p",
		},
		{
			name: "iam trust percent-encoded", source: "iam.amazonaws.com", event: "UpdateAssumeRolePolicy",
			params:   `{"roleName":"r","policyDocument":"%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D"}`,
			resource: "arn:aws:iam::111122223333:role/r",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := &Record{AWSRegion: "eu-west-1", RecipientAccountID: "111122223333", EventSource: tc.source, EventName: tc.event, RequestParameters: json.RawMessage(tc.params)}
			ev, ok := Match(tc.source, tc.event)
			if !ok {
				t.Fatalf("no table entry for %s", tc.event)
			}
			ch := rebuild(t, ev, r)
			if ch.ResourceARN != tc.resource || ch.PolicyName != tc.policyName {
				t.Errorf("resource, name = %s, %q; want %s, %q", ch.ResourceARN, ch.PolicyName, tc.resource, tc.policyName)
			}
			if tc.stmt == "" {
				return
			}
			var doc struct{ Statement []json.RawMessage }
			if err := json.Unmarshal([]byte(ch.Policy), &doc); err != nil || len(doc.Statement) != 1 {
				t.Fatalf("rebuilt policy %s: %v", ch.Policy, err)
			}
			if diff := cmp.Diff(tc.stmt, string(doc.Statement[0])); diff != "" {
				t.Errorf("statement (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRebuildErrorsNameTheField(t *testing.T) {
	cases := []struct{ event, params, want string }{
		{"PutIdentityPolicy", `{"identity":"example.com","policyName":"p"}`, "requestParameters.policy: missing"},
		{"AddPermission20150331v2", `{"functionName":"f","action":"lambda:InvokeFunction"}`, "requestParameters.principal: missing"},
		{"AddPermission20150331v2", `{"functionName":["f"],"principal":"*"}`, "requestParameters.functionName: expected a string"},
		{"UpdateAssumeRolePolicy", `{"policyDocument":"{}"}`, "requestParameters.roleName: missing"},
	}
	for _, tc := range cases {
		src := map[bool]string{true: "lambda.amazonaws.com", false: "ses.amazonaws.com"}[strings.HasPrefix(tc.event, "Add")]
		if tc.event == "UpdateAssumeRolePolicy" {
			src = "iam.amazonaws.com"
		}
		ev, _ := Match(src, tc.event)
		err := rebuildErr(t, ev, &Record{AWSRegion: "us-east-1", RecipientAccountID: "111122223333"}, tc.params)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %s: err = %v, want %q", tc.event, tc.params, err, tc.want)
		}
	}
}
