package access

import (
	"testing"

	"github.com/trustaudit/trustaudit/internal/policy"
)

// benchPolicies is a realistic mix of the policies a scan meets: mostly clean ones, some
// cross-account grants and the occasional public or confused-deputy statement.
var benchPolicies = []struct {
	kind Kind
	doc  string
}{
	{KindSESIdentity, seed001},
	{KindSESIdentity, seed000},
	{KindSESIdentity, pol(`{"Sid":"cognito","Effect":"Allow","Principal":{"Service":"cognito-idp.amazonaws.com"},"Action":["ses:SendEmail","ses:SendRawEmail"],"Resource":"arn:aws:ses:us-east-1:111122223333:identity/example.com","Condition":{"StringEquals":{"aws:SourceAccount":"111122223333"},"ArnLike":{"aws:SourceArn":"arn:aws:cognito-idp:us-east-1:111122223333:userpool/*"}}}`)},
	{KindLambdaFunction, lambdaAddPermission},
	{KindLambdaFunction, pol(`{"Sid":"s3","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:111122223333:function:f","Condition":{"StringEquals":{"AWS:SourceAccount":"111122223333"},"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::my-bucket"}}}`,
		`{"Sid":"events","Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:111122223333:function:f","Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:events:us-east-1:111122223333:rule/r"}}}`)},
	{KindLambdaFunction, pol(`{"Sid":"url","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunctionUrl","Resource":"arn:aws:lambda:us-east-1:111122223333:function:f","Condition":{"StringEquals":{"lambda:FunctionUrlAuthType":"AWS_IAM"}}}`)},
	{KindIAMRole, trustExternalID},
	{KindIAMRole, pol(`{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}`)},
	{KindIAMRole, pol(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}`)},
	{KindIAMRole, pol(`{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"},"StringLike":{"token.actions.githubusercontent.com:sub":"repo:octo-org/*"}}}`)},
	{KindS3Bucket, pol(`{"Sid":"vpce","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}}`,
		`{"Sid":"org","Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-trusted001"}}}`,
		`{"Sid":"tls","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}`,
		`{"Sid":"perimeter","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-trusted001"},"BoolIfExists":{"aws:PrincipalIsAWSService":"false"}}}`)},
	{KindSQSQueue, pol(`{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"arn:aws:sqs:us-east-1:111122223333:q","Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:999988887777:t"}}}`)},
	{KindSQSQueue, pol(`{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Resource":"arn:aws:sqs:us-east-1:111122223333:q","Condition":{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","198.51.100.7"]}}}`)},
	{KindSNSTopic, snsDefault},
	{KindKMSKey, pol(`{"Sid":"root","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}`,
		`{"Sid":"via","Effect":"Allow","Principal":{"AWS":"*"},"Action":["kms:Encrypt","kms:Decrypt","kms:GenerateDataKey*"],"Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":"111122223333","kms:ViaService":"ses.us-east-1.amazonaws.com"}}}`)},
	{KindSecretsManagerSecret, pol(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:role/reader"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}`)},
}

func benchInputs(b *testing.B) ([]Input, Boundary) {
	ins := make([]Input, len(benchPolicies))
	for i, p := range benchPolicies {
		doc, err := policy.ParseString(p.doc)
		if err != nil {
			b.Fatal(err)
		}
		ins[i] = Input{Kind: p.kind, Owner: "111122223333", Doc: doc}
	}
	bd, err := NewBoundary([]string{"444455556666", "arn:aws:iam::123456789012:root"}, []string{"o-trusted001"})
	if err != nil {
		b.Fatal(err)
	}
	return ins, bd
}

// BenchmarkEvaluate measures judgement alone over the mix (parse excluded).
func BenchmarkEvaluate(b *testing.B) {
	ins, bd := benchInputs(b)
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		Evaluate(ins[n%len(ins)], bd)
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "evals/s")
}

// BenchmarkParseAndEvaluate includes parsing the policy text, as a scan does.
func BenchmarkParseAndEvaluate(b *testing.B) {
	ins, bd := benchInputs(b)
	raw := make([][]byte, len(benchPolicies))
	for i, p := range benchPolicies {
		raw[i] = []byte(p.doc)
	}
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		i := n % len(ins)
		doc, err := policy.Parse(raw[i])
		if err != nil {
			b.Fatal(err)
		}
		in := ins[i]
		in.Doc = doc
		Evaluate(in, bd)
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "evals/s")
}
