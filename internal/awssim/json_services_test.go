package awssim

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/trustaudit/trustaudit/internal/world"
)

// Tests of the SQS, SNS, KMS, Secrets Manager, ECR, EventBridge and CloudWatch Logs handlers,
// through the SDK's own clients: pagination, the typed errors callers branch on, and writes.

const (
	jsAccount = "123456789012"
	jsKey     = "AKIAJSONSERVICES0001"
	jsPolicy  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*"}]}`
)

func jsStart(t *testing.T, rs ...world.Resource) (*Server, aws.Config) {
	t.Helper()
	w := &world.World{SchemaVersion: world.SchemaVersion, Accounts: []world.Account{{
		ID:         jsAccount,
		AccessKeys: []world.AccessKey{{ID: jsKey, ARN: "arn:aws:iam::" + jsAccount + ":user/u"}},
		Regions:    []world.Region{{Name: "eu-west-1", Resources: rs}, {Name: "af-south-1", OptInStatus: world.OptInDisabled}},
	}}}
	s, err := Start(Options{World: w, NoQuotas: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	cfg := s.Config(jsKey, "eu-west-1")
	cfg.Retryer = func() aws.Retryer { return aws.NopRetryer{} }
	return s, cfg
}

func jsResources(kind string, n int, policy func(i int) string) []world.Resource {
	var out []world.Resource
	for i := range n {
		out = append(out, world.Resource{Kind: kind, Name: fmt.Sprintf("r%03d", i), Policy: world.Policy(policy(i))})
	}
	return out
}

func jsCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestSQSHandlers(t *testing.T) {
	ctx := context.Background()
	_, cfg := jsStart(t, jsResources("sqs-queue", 5, func(i int) string {
		if i == 0 {
			return jsPolicy
		}
		return ""
	})...)
	c := sqs.NewFromConfig(cfg)
	var urls []string
	p := sqs.NewListQueuesPaginator(c, &sqs.ListQueuesInput{MaxResults: aws.Int32(2)})
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		urls = append(urls, out.QueueUrls...)
	}
	if pages != 3 || len(urls) != 5 || urls[0] != "https://sqs.eu-west-1.amazonaws.com/"+jsAccount+"/r000" {
		t.Fatalf("%d pages, urls %v", pages, urls)
	}
	out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(urls[0]), AttributeNames: []sqstypes.QueueAttributeName{"Policy", "QueueArn"}})
	if err != nil || out.Attributes["Policy"] != jsPolicy || out.Attributes["QueueArn"] != "arn:aws:sqs:eu-west-1:"+jsAccount+":r000" {
		t.Fatalf("attributes %v, %v", out, err)
	}
	if _, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(strings.Replace(urls[0], "r000", "gone", 1))}); !errors.As(err, new(*sqstypes.QueueDoesNotExist)) {
		t.Errorf("missing queue: %v", err)
	}
	if _, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(urls[1]), Attributes: map[string]string{"Policy": jsPolicy}}); err != nil {
		t.Fatal(err)
	}
	u, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("r001"), QueueOwnerAWSAccountId: aws.String(jsAccount)})
	if err != nil || aws.ToString(u.QueueUrl) != urls[1] {
		t.Fatalf("GetQueueUrl: %v %v", u, err)
	}
	out, _ = c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: u.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{"All"}})
	if out.Attributes["Policy"] != jsPolicy {
		t.Errorf("policy not written: %v", out.Attributes)
	}
	if _, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("r001"), QueueOwnerAWSAccountId: aws.String("999999999999")}); !errors.As(err, new(*sqstypes.QueueDoesNotExist)) {
		t.Errorf("another account's queue: %v", err)
	}
	if _, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: u.QueueUrl, Attributes: map[string]string{"Bogus": "1"}}); jsCode(err) != "InvalidAttributeName" {
		t.Errorf("unknown attribute: %v", err)
	}
	if _, err := c.ListQueues(ctx, &sqs.ListQueuesInput{MaxResults: aws.Int32(2), NextToken: aws.String("forged")}); jsCode(err) != "InvalidParameterValue" {
		t.Errorf("forged token: %v", err)
	}
	off := cfg.Copy()
	off.Region = "af-south-1"
	if _, err := sqs.NewFromConfig(off).ListQueues(ctx, &sqs.ListQueuesInput{}); jsCode(err) != "UnrecognizedClientException" {
		t.Errorf("disabled region: %v", err)
	}
}

func TestSNSHandlers(t *testing.T) {
	ctx := context.Background()
	_, cfg := jsStart(t, jsResources("sns-topic", 150, func(int) string { return jsPolicy })...)
	c := sns.NewFromConfig(cfg)
	var arns []string
	p := sns.NewListTopicsPaginator(c, &sns.ListTopicsInput{})
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, tp := range out.Topics {
			arns = append(arns, aws.ToString(tp.TopicArn))
		}
	}
	if pages != 2 || len(arns) != 150 || arns[0] != "arn:aws:sns:eu-west-1:"+jsAccount+":r000" {
		t.Fatalf("%d pages, %d topics, first %v", pages, len(arns), arns[:1])
	}
	if _, err := c.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: aws.String(arns[1]), AttributeName: aws.String("Policy"), AttributeValue: aws.String(`{"Statement":[]}`)}); err != nil {
		t.Fatal(err)
	}
	out, err := c.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(arns[1])})
	if err != nil || out.Attributes["Policy"] != `{"Statement":[]}` || out.Attributes["TopicArn"] != arns[1] {
		t.Fatalf("attributes %v, %v", out, err)
	}
	if _, err := c.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(arns[1] + "x")}); !errors.As(err, new(*snstypes.NotFoundException)) {
		t.Errorf("missing topic: %v", err)
	}
	if _, err := c.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: aws.String(arns[1]), AttributeName: aws.String("Policy"), AttributeValue: aws.String("")}); !errors.As(err, new(*snstypes.InvalidParameterException)) {
		t.Errorf("empty policy: %v", err)
	}
}

func TestSecretsManagerHandlers(t *testing.T) {
	ctx := context.Background()
	_, cfg := jsStart(t, jsResources("secretsmanager-secret", 3, func(i int) string {
		if i == 2 {
			return jsPolicy
		}
		return ""
	})...)
	c := secretsmanager.NewFromConfig(cfg)
	out, err := c.ListSecrets(ctx, &secretsmanager.ListSecretsInput{MaxResults: aws.Int32(2)})
	if err != nil || len(out.SecretList) != 2 || out.NextToken == nil {
		t.Fatalf("ListSecrets: %+v %v", out, err)
	}
	arn := aws.ToString(out.SecretList[0].ARN)
	if !strings.HasPrefix(arn, "arn:aws:secretsmanager:eu-west-1:"+jsAccount+":secret:r000-") || len(arn) != len("arn:aws:secretsmanager:eu-west-1:"+jsAccount+":secret:r000-")+6 {
		t.Errorf("secret ARN %s", arn)
	}
	g, err := c.GetResourcePolicy(ctx, &secretsmanager.GetResourcePolicyInput{SecretId: aws.String(arn)})
	if err != nil || g.ResourcePolicy != nil || aws.ToString(g.Name) != "r000" {
		t.Fatalf("no policy: %+v %v", g, err)
	}
	if _, err := c.PutResourcePolicy(ctx, &secretsmanager.PutResourcePolicyInput{SecretId: aws.String("r000"), ResourcePolicy: aws.String(jsPolicy)}); err != nil {
		t.Fatal(err)
	}
	if g, _ := c.GetResourcePolicy(ctx, &secretsmanager.GetResourcePolicyInput{SecretId: aws.String(arn)}); aws.ToString(g.ResourcePolicy) != jsPolicy {
		t.Errorf("put by name, read by ARN: %v", g.ResourcePolicy)
	}
	if _, err := c.DeleteResourcePolicy(ctx, &secretsmanager.DeleteResourcePolicyInput{SecretId: aws.String("r002")}); err != nil {
		t.Fatal(err)
	}
	if g, _ := c.GetResourcePolicy(ctx, &secretsmanager.GetResourcePolicyInput{SecretId: aws.String("r002")}); g.ResourcePolicy != nil {
		t.Errorf("deleted policy still there")
	}
	if _, err := c.GetResourcePolicy(ctx, &secretsmanager.GetResourcePolicyInput{SecretId: aws.String("nope")}); !errors.As(err, new(*smtypes.ResourceNotFoundException)) {
		t.Errorf("missing secret: %v", err)
	}
}

func TestKMSHandlers(t *testing.T) {
	ctx := context.Background()
	rs := jsResources("kms-key", 3, func(int) string { return jsPolicy })
	rs[1].Grants = []world.Grant{{ID: "g1", Grantee: "999999999999", Permissions: []string{"Decrypt"}}, {Grantee: "arn:aws:iam::" + jsAccount + ":role/app", Permissions: []string{"Encrypt"}}}
	_, cfg := jsStart(t, rs...)
	c := kms.NewFromConfig(cfg)
	var ids []string
	p := kms.NewListKeysPaginator(c, &kms.ListKeysInput{Limit: aws.Int32(2)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range out.Keys {
			ids = append(ids, aws.ToString(k.KeyId)+" "+aws.ToString(k.KeyArn))
		}
	}
	if len(ids) != 3 || ids[1] != "r001 arn:aws:kms:eu-west-1:"+jsAccount+":key/r001" {
		t.Fatalf("keys %v", ids)
	}
	g, err := c.ListGrants(ctx, &kms.ListGrantsInput{KeyId: aws.String("arn:aws:kms:eu-west-1:" + jsAccount + ":key/r001"), Limit: aws.Int32(1)})
	if err != nil || len(g.Grants) != 1 || !g.Truncated || aws.ToString(g.Grants[0].GrantId) != "g1" || aws.ToString(g.Grants[0].GranteePrincipal) != "999999999999" || g.Grants[0].Operations[0] != kmstypes.GrantOperationDecrypt {
		t.Fatalf("grants %+v %v", g, err)
	}
	g, _ = c.ListGrants(ctx, &kms.ListGrantsInput{KeyId: aws.String("r001"), Marker: g.NextMarker})
	if len(g.Grants) != 1 || g.Truncated || aws.ToString(g.Grants[0].GrantId) == "" {
		t.Errorf("second grants page %+v", g)
	}
	if _, err := c.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: aws.String("r002"), Policy: aws.String(`{"Statement":[]}`)}); err != nil {
		t.Fatal(err)
	}
	if kp, _ := c.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String("r002"), PolicyName: aws.String("default")}); aws.ToString(kp.Policy) != `{"Statement":[]}` {
		t.Errorf("policy %v", kp.Policy)
	}
	if _, err := c.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String("gone")}); !errors.As(err, new(*kmstypes.NotFoundException)) {
		t.Errorf("missing key: %v", err)
	}
}

func TestECRHandlers(t *testing.T) {
	ctx := context.Background()
	_, cfg := jsStart(t, jsResources("ecr-repository", 2, func(i int) string {
		if i == 0 {
			return jsPolicy
		}
		return ""
	})...)
	c := ecr.NewFromConfig(cfg)
	out, err := c.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{MaxResults: aws.Int32(1000)})
	if err != nil || len(out.Repositories) != 2 || aws.ToString(out.Repositories[0].RepositoryArn) != "arn:aws:ecr:eu-west-1:"+jsAccount+":repository/r000" {
		t.Fatalf("repositories %+v %v", out, err)
	}
	if _, err := c.GetRepositoryPolicy(ctx, &ecr.GetRepositoryPolicyInput{RepositoryName: aws.String("r001")}); !errors.As(err, new(*ecrtypes.RepositoryPolicyNotFoundException)) {
		t.Errorf("no policy: %v", err)
	}
	if _, err := c.GetRepositoryPolicy(ctx, &ecr.GetRepositoryPolicyInput{RepositoryName: aws.String("gone")}); !errors.As(err, new(*ecrtypes.RepositoryNotFoundException)) {
		t.Errorf("no repository: %v", err)
	}
	if _, err := c.DeleteRepositoryPolicy(ctx, &ecr.DeleteRepositoryPolicyInput{RepositoryName: aws.String("r000")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SetRepositoryPolicy(ctx, &ecr.SetRepositoryPolicyInput{RepositoryName: aws.String("r001"), PolicyText: aws.String(jsPolicy)}); err != nil {
		t.Fatal(err)
	}
	if g, _ := c.GetRepositoryPolicy(ctx, &ecr.GetRepositoryPolicyInput{RepositoryName: aws.String("r001")}); aws.ToString(g.PolicyText) != jsPolicy {
		t.Errorf("set policy: %v", g)
	}
	if _, err := c.GetRegistryPolicy(ctx, &ecr.GetRegistryPolicyInput{}); !errors.As(err, new(*ecrtypes.RegistryPolicyNotFoundException)) {
		t.Errorf("no registry policy: %v", err)
	}
	if _, err := c.PutRegistryPolicy(ctx, &ecr.PutRegistryPolicyInput{PolicyText: aws.String(jsPolicy)}); err != nil {
		t.Fatal(err)
	}
	if g, err := c.GetRegistryPolicy(ctx, &ecr.GetRegistryPolicyInput{}); err != nil || aws.ToString(g.PolicyText) != jsPolicy || aws.ToString(g.RegistryId) != jsAccount {
		t.Errorf("registry policy %v %v", g, err)
	}
	if _, err := c.DeleteRegistryPolicy(ctx, &ecr.DeleteRegistryPolicyInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteRegistryPolicy(ctx, &ecr.DeleteRegistryPolicyInput{}); !errors.As(err, new(*ecrtypes.RegistryPolicyNotFoundException)) {
		t.Errorf("second delete: %v", err)
	}
}

func TestEventBridgeHandlers(t *testing.T) {
	ctx := context.Background()
	_, cfg := jsStart(t, world.Resource{Kind: "eventbridge-bus", Name: "default"}, world.Resource{Kind: "eventbridge-bus", Name: "b"})
	c := eventbridge.NewFromConfig(cfg)
	l, err := c.ListEventBuses(ctx, &eventbridge.ListEventBusesInput{Limit: aws.Int32(1)})
	if err != nil || len(l.EventBuses) != 1 || l.NextToken == nil || aws.ToString(l.EventBuses[0].Arn) != "arn:aws:events:eu-west-1:"+jsAccount+":event-bus/default" {
		t.Fatalf("ListEventBuses %+v %v", l, err)
	}
	// Statement by statement, as `aws events put-permission --principal` does.
	if _, err := c.PutPermission(ctx, &eventbridge.PutPermissionInput{StatementId: aws.String("acct"), Action: aws.String("events:PutEvents"), Principal: aws.String("999999999999")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutPermission(ctx, &eventbridge.PutPermissionInput{StatementId: aws.String("org"), Action: aws.String("events:PutEvents"), Principal: aws.String("*"),
		Condition: &ebtypes.Condition{Type: aws.String("StringEquals"), Key: aws.String("aws:PrincipalOrgID"), Value: aws.String("o-abcdef1234")}}); err != nil {
		t.Fatal(err)
	}
	d, _ := c.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{})
	want := `{"Version":"2012-10-17","Statement":[{"Action":"events:PutEvents","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Resource":"arn:aws:events:eu-west-1:` + jsAccount + `:event-bus/default","Sid":"acct"},{"Action":"events:PutEvents","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abcdef1234"}},"Effect":"Allow","Principal":"*","Resource":"arn:aws:events:eu-west-1:` + jsAccount + `:event-bus/default","Sid":"org"}]}`
	if aws.ToString(d.Policy) != want {
		t.Errorf("policy\n got %s\nwant %s", aws.ToString(d.Policy), want)
	}
	if _, err := c.RemovePermission(ctx, &eventbridge.RemovePermissionInput{StatementId: aws.String("acct")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RemovePermission(ctx, &eventbridge.RemovePermissionInput{StatementId: aws.String("acct")}); !errors.As(err, new(*ebtypes.ResourceNotFoundException)) {
		t.Errorf("removing a removed statement: %v", err)
	}
	if _, err := c.PutPermission(ctx, &eventbridge.PutPermissionInput{EventBusName: aws.String("b"), Policy: aws.String(jsPolicy)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RemovePermission(ctx, &eventbridge.RemovePermissionInput{EventBusName: aws.String("b"), RemoveAllPermissions: true}); err != nil {
		t.Fatal(err)
	}
	if d, _ := c.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{Name: aws.String("b")}); d.Policy != nil {
		t.Errorf("RemoveAllPermissions left %s", aws.ToString(d.Policy))
	}
	if _, err := c.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{Name: aws.String("gone")}); !errors.As(err, new(*ebtypes.ResourceNotFoundException)) {
		t.Errorf("missing bus: %v", err)
	}
}

func TestLogsHandlers(t *testing.T) {
	ctx := context.Background()
	_, cfg := jsStart(t,
		world.Resource{Kind: "logs-resource-policy", Name: "p1", Policy: jsPolicy},
		world.Resource{Kind: "logs-destination", Name: "dest-a", Policy: jsPolicy},
		world.Resource{Kind: "logs-destination", Name: "other"})
	c := cloudwatchlogs.NewFromConfig(cfg)
	if _, err := c.PutResourcePolicy(ctx, &cloudwatchlogs.PutResourcePolicyInput{PolicyName: aws.String("p2"), PolicyDocument: aws.String(`{"Statement":[]}`)}); err != nil {
		t.Fatal(err)
	}
	rp, err := c.DescribeResourcePolicies(ctx, &cloudwatchlogs.DescribeResourcePoliciesInput{Limit: aws.Int32(1)})
	if err != nil || len(rp.ResourcePolicies) != 1 || aws.ToString(rp.ResourcePolicies[0].PolicyDocument) != jsPolicy || rp.NextToken == nil {
		t.Fatalf("first page %+v %v", rp, err)
	}
	rp, _ = c.DescribeResourcePolicies(ctx, &cloudwatchlogs.DescribeResourcePoliciesInput{Limit: aws.Int32(1), NextToken: rp.NextToken})
	if len(rp.ResourcePolicies) != 1 || aws.ToString(rp.ResourcePolicies[0].PolicyName) != "p2" {
		t.Fatalf("second page %+v", rp)
	}
	if _, err := c.DeleteResourcePolicy(ctx, &cloudwatchlogs.DeleteResourcePolicyInput{PolicyName: aws.String("p1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteResourcePolicy(ctx, &cloudwatchlogs.DeleteResourcePolicyInput{PolicyName: aws.String("p1")}); !errors.As(err, new(*logstypes.ResourceNotFoundException)) {
		t.Errorf("second delete: %v", err)
	}
	d, err := c.DescribeDestinations(ctx, &cloudwatchlogs.DescribeDestinationsInput{DestinationNamePrefix: aws.String("dest")})
	if err != nil || len(d.Destinations) != 1 || aws.ToString(d.Destinations[0].Arn) != "arn:aws:logs:eu-west-1:"+jsAccount+":destination:dest-a" || aws.ToString(d.Destinations[0].AccessPolicy) != jsPolicy {
		t.Fatalf("destinations %+v %v", d, err)
	}
	if _, err := c.PutDestinationPolicy(ctx, &cloudwatchlogs.PutDestinationPolicyInput{DestinationName: aws.String("other"), AccessPolicy: aws.String(jsPolicy)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutDestinationPolicy(ctx, &cloudwatchlogs.PutDestinationPolicyInput{DestinationName: aws.String("gone"), AccessPolicy: aws.String(jsPolicy)}); !errors.As(err, new(*logstypes.ResourceNotFoundException)) {
		t.Errorf("missing destination: %v", err)
	}
}

// TestJSONServiceQuotaBuckets: the documented per-API quotas get their own buckets.
func TestJSONServiceQuotaBuckets(t *testing.T) {
	for _, tc := range []struct{ service, op, want string }{
		{"kms", "GetKeyPolicy", "kms:GetKeyPolicy"},
		{"kms", "ListKeys", "kms:ListKeys"},
		{"kms", "ListGrants", "kms:ListGrants"},
		{"kms", "PutKeyPolicy", "kms"},
		{"secretsmanager", "ListSecrets", "secretsmanager:ListSecrets"},
		{"secretsmanager", "GetResourcePolicy", "secretsmanager:policy"},
		{"secretsmanager", "DeleteResourcePolicy", "secretsmanager:policy"},
		{"sqs", "GetQueueAttributes", "sqs"},
		{"logs", "DescribeDestinations", "logs"},
	} {
		got := bucketFor(protoJSON, &Call{Service: tc.service, Operation: tc.op})
		if got != tc.want {
			t.Errorf("%s %s: bucket %s, want %s", tc.service, tc.op, got, tc.want)
		}
		if _, ok := DefaultQuotas()[got]; !ok {
			t.Errorf("%s %s: bucket %s has no rate", tc.service, tc.op, got)
		}
	}
}
