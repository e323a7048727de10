package access

import (
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/trustaudit/trustaudit/internal/finding"
	"github.com/trustaudit/trustaudit/internal/policy"
)

// seed000 is the sending-authorization policy of the "Unknown Cross-Account Access" SES rule
// page: it grants arn:aws:iam::123456789012:root.
const seed000 = `{
    "Version": "2008-10-17",
    "Statement": [
        {
            "Sid": "stmt123456789abcd",
            "Effect": "Allow",
            "Principal": {
                "AWS": "arn:aws:iam::123456789012:root"
            },
            "Action": [
                "ses:SendEmail",
                "ses:SendRawEmail"
            ],
            "Resource": "arn:aws:ses:us-east-1:123456789012:identity/cloudrealisation.com"
        }
    ]
}`

// seed001 is the Endgame policy exactly as GetIdentityPolicies returns it (a JSON string).
const seed001 = `"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"AllowCurrentAccount\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::111122223333:root\"},\"Action\":\"ses:*\",\"Resource\":\"arn:aws:ses:us-east-1:111122223333:identity/test-resource-exposure.com\"},{\"Sid\":\"Endgame\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::999988887777:user/evil\"},\"Action\":\"ses:*\",\"Resource\":\"arn:aws:ses:us-east-1:111122223333:identity/test-resource-exposure.com\"}]}"`

// lambdaAddPermission is what `aws lambda add-permission --principal 999988887777` writes.
const lambdaAddPermission = `{"Version":"2012-10-17","Id":"default","Statement":[{"Sid":"CrossAccountAccess","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:root"},"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:111122223333:function:f"}]}`

// trustExternalID is the IAM-057 rule page's trust policy: a third party with an external id.
const trustExternalID = `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Condition": {
                "StringEquals": {
                    "sts:ExternalId": "ideo5"
                }
            },
            "Principal": {
                "AWS": "arn:aws:iam::123456789012:root"
            }
        }
    ]
}`

const snsDefault = `{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{"Sid":"__default_statement_ID","Effect":"Allow","Principal":{"AWS":"*"},"Action":["SNS:GetTopicAttributes","SNS:SetTopicAttributes","SNS:AddPermission","SNS:RemovePermission","SNS:DeleteTopic","SNS:Subscribe","SNS:ListSubscriptionsByTopic","SNS:Publish"],"Resource":"arn:aws:sns:us-east-1:111122223333:t","Condition":{"StringEquals":{"AWS:SourceOwner":"111122223333"}}}]}`

func TestSeedsAndKinds(t *testing.T) {
	runCases(t, []evalCase{
		{name: "seed 000: SES grant to an unknown account", kind: KindSESIdentity, policy: seed000,
			want: accounts("123456789012").withRules("ses-identity/untrusted-account")},
		{name: "seed 000: the same account trusted by ARN", kind: KindSESIdentity, trusted: []string{"arn:aws:iam::123456789012:root"}, policy: seed000, want: ok()},
		{name: "seed 001: endgame SES policy", kind: KindSESIdentity, policy: seed001,
			want: accounts(evil).withRules("ses-identity/untrusted-account").
				explaining(`Statement "Endgame" lets arn:aws:iam::999988887777:user/evil (account 999988887777, not trusted) perform ses:* with no condition`)},
		{name: "lambda add-permission for an account", kind: KindLambdaFunction, policy: lambdaAddPermission,
			want: accounts(evil).withRules("lambda-function/untrusted-account")},
		{name: "lambda add-permission for everyone", kind: KindLambdaFunction, policy: strings.Replace(lambdaAddPermission, `{"AWS":"arn:aws:iam::999988887777:root"}`, `"*"`, 1),
			want: pub().withRules("lambda-function/public")},
		{name: "lambda add-permission for S3 with source account and ARN", kind: KindLambdaFunction,
			policy: pol(`{"Sid":"s3","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:111122223333:function:f","Condition":{"StringEquals":{"AWS:SourceAccount":"111122223333"},"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::my-bucket"}}}`), want: ok()},
		{name: "lambda add-permission for an organization", kind: KindLambdaFunction,
			policy: pol(`{"Sid":"org","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:111122223333:function:f","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-evilorg0001"}}}`),
			want:   orgsW(evilOrg).withRules("lambda-function/untrusted-org")},
		{name: "lambda function URL with auth NONE is public", kind: KindLambdaFunction,
			policy: pol(`{"Sid":"url","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunctionUrl","Resource":"arn:aws:lambda:us-east-1:111122223333:function:f","Condition":{"StringEquals":{"lambda:FunctionUrlAuthType":"NONE"}}}`),
			want:   pub()},
		{name: "lambda layer shared with every account", kind: KindLambdaLayer,
			policy: pol(`{"Sid":"all","Effect":"Allow","Principal":"*","Action":"lambda:GetLayerVersion","Resource":"arn:aws:lambda:us-east-1:111122223333:layer:l:1"}`), want: pub().withRules("lambda-layer/public")},
		{name: "IAM-057 trust with external id stays untrusted", kind: KindIAMRole, policy: trustExternalID,
			want: accounts("123456789012").withRules("iam-role/untrusted-account").explaining("an external ID is a shared secret, not an identity")},
		{name: "trust policy as IAM returns it, URL-encoded", kind: KindIAMRole, policy: url.PathEscape(trustExternalID), want: accounts("123456789012")},
		{name: "trust policy with bare Principal star", kind: KindIAMRole, policy: pol(`{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}`), want: pub()},
		{name: "SNS default policy is not public", kind: KindSNSTopic, policy: snsDefault, want: ok()},
		{name: "SQS subscribed to a foreign SNS topic", kind: KindSQSQueue,
			policy: pol(`{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"arn:aws:sqs:us-east-1:111122223333:q","Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:999988887777:t"}}}`),
			want:   accounts(evil).withRules("sqs-queue/untrusted-account")},
		{name: "KMS default key policy", kind: KindKMSKey, policy: pol(`{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}`), want: ok()},
		{name: "ECR statements have no Resource", kind: KindECRRepository, policy: pol(`{"Sid":"pull","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:root"},"Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}`),
			want: accounts(evil).withRules("ecr-repository/untrusted-account")},
		{name: "ECR public pull cancelled by a Deny without Resource", kind: KindECRRepository, policy: pol(`{"Effect":"Allow","Principal":"*","Action":"ecr:BatchGetImage"}`, `{"Effect":"Deny","Principal":"*","Action":"ecr:*"}`), want: ok()},
		{name: "Secrets Manager cross-account read", kind: KindSecretsManagerSecret, policy: pol(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:role/reader"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}`),
			want: accounts(evil).withRules("secretsmanager-secret/untrusted-account")},
		{name: "S3 bucket open to everyone from a VPC endpoint", kind: KindS3Bucket, policy: pol(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}}`), want: ok()},
		{name: "S3 CloudFront OAI and ELB log delivery", kind: KindS3Bucket, policy: pol(
			`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2QWRUHAPOMQZL"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`,
			`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::127311923021:root"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::b/AWSLogs/*"}`),
			want: want{accounts: []string{elbLogAct}, rules: []string{"s3-bucket/untrusted-account"}}},
	})
}

func TestSeverities(t *testing.T) {
	want := map[Kind]finding.Severity{KindSESIdentity: finding.SeverityHigh, KindIAMRole: finding.SeverityMedium, KindLambdaFunction: finding.SeverityHigh}
	for _, k := range Kinds() {
		cross, ok := want[k]
		if !ok {
			cross = finding.SeverityHigh
		}
		for cat, sev := range map[finding.Category]finding.Severity{
			finding.CategoryPublic:           finding.SeverityCritical,
			finding.CategoryUntrustedAccount: cross,
			finding.CategoryUntrustedOrg:     cross,
			finding.CategoryConfusedDeputy:   finding.SeverityMedium,
		} {
			r := RuleFor(k, cat)
			if r.Severity != sev || r.Category != cat || r.Kind != k || r.ID != string(k)+"/"+string(cat) {
				t.Errorf("RuleFor(%s, %s) = %s %s %s, want severity %s", k, cat, r.ID, r.Severity, r.Category, sev)
			}
			if r.Title == "" || r.Description == "" || r.Remediation == "" {
				t.Errorf("%s lacks text: %+v", r.ID, r)
			}
		}
	}
	if r := passRoleRl; r.Severity != finding.SeverityLow || r.ID != "iam-role/confused-deputy-passrole" {
		t.Errorf("pass-role rule = %+v", r)
	}
	ids := map[string]bool{}
	for _, r := range Rules() {
		if ids[r.ID] {
			t.Errorf("duplicate rule id %s", r.ID)
		}
		ids[r.ID] = true
	}
	if len(ids) != 4*len(Kinds())+1 {
		t.Errorf("%d rules, want %d", len(ids), 4*len(Kinds())+1)
	}
}

func TestKinds(t *testing.T) {
	want := []Kind{"ses-identity", "iam-role", "lambda-function", "lambda-layer", "s3-bucket", "sqs-queue", "sns-topic", "kms-key", "ecr-repository", "secretsmanager-secret",
		"s3-access-point", "ecr-registry", "efs-filesystem", "glacier-vault", "opensearch-domain", "logs-resource-policy",
		"logs-destination", "acm-pca", "eventbridge-bus", "backup-vault", "apigateway-rest-api", "ebs-snapshot", "ec2-ami",
		"rds-snapshot", "rds-cluster-snapshot"}
	if diff := cmp.Diff(want, Kinds()); diff != "" {
		t.Errorf("Kinds (-want +got):\n%s", diff)
	}
	for _, k := range want {
		got, err := ParseKind(string(k))
		if err != nil || got != k {
			t.Errorf("ParseKind(%q) = %q, %v", k, got, err)
		}
	}
	_, err := ParseKind("ses")
	if err == nil || !strings.Contains(err.Error(), `"ses"`) || !strings.Contains(err.Error(), "ses-identity") {
		t.Errorf("ParseKind(ses) error = %v, want it to name the input and the choices", err)
	}
}

func TestBoundary(t *testing.T) {
	b, err := NewBoundary(
		[]string{"444455556666", "arn:aws:iam::123456789012:root", "arn:aws-cn:iam::222233334444:role/x", "arn:aws:sts::555566667777:assumed-role/r/s", " 444455556666 "},
		[]string{"o-zzzzzzzzzz", "o-a1b2c3d4e5"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"123456789012", "222233334444", "444455556666", "555566667777"}, b.Accounts()); diff != "" {
		t.Errorf("Accounts (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"o-a1b2c3d4e5", "o-zzzzzzzzzz"}, b.Orgs()); diff != "" {
		t.Errorf("Orgs (-want +got):\n%s", diff)
	}
	bad := []struct {
		accounts, orgs []string
		want           string
	}{
		{[]string{"12345"}, nil, `trusted account "12345": expected a 12-digit account id or an IAM/STS ARN`},
		{[]string{"arn:aws:s3:::bucket"}, nil, `service "s3" does not name an account principal`},
		{[]string{"arn:aws:iam::*:root"}, nil, `account field "*" is not 12 digits`},
		{[]string{"arn:aws:iam:us-east-1:123456789012:root"}, nil, "empty region field"},
		{[]string{"arn:aws:iam::123456789012"}, nil, `trusted account "arn:aws:iam::123456789012"`},
		{nil, []string{"o-short"}, `trusted organization "o-short": expected an organization id`},
		{nil, []string{"O-A1B2C3D4E5"}, `trusted organization "O-A1B2C3D4E5"`},
		{nil, []string{"r-ab12"}, `trusted organization "r-ab12"`},
	}
	for _, tc := range bad {
		_, err := NewBoundary(tc.accounts, tc.orgs)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewBoundary(%q, %q) error = %v, want %q", tc.accounts, tc.orgs, err, tc.want)
		}
	}
}

// TestFindingFields pins the structured fields a report renders.
func TestFindingFields(t *testing.T) {
	doc, err := policy.ParseString(pol(
		`{"Sid":"Two","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::999988887777:user/evil","444455556666"]},"Action":["sqs:SendMessage","sqs:ReceiveMessage"],"Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":["1.2.3.4/32","5.6.7.8/32"]}}}`,
		`{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"*"}`))
	if err != nil {
		t.Fatal(err)
	}
	got := Evaluate(Input{Kind: KindSQSQueue, Owner: owner, Doc: doc}, Boundary{})
	want := []Finding{{
		Rule:           RuleFor(KindSQSQueue, finding.CategoryUntrustedAccount),
		StatementIndex: 0,
		Sid:            "Two",
		Principal:      "arn:aws:iam::999988887777:user/evil, 444455556666",
		Actions:        []string{"sqs:SendMessage", "sqs:ReceiveMessage"},
		Accounts:       []string{"444455556666", "999988887777"},
		Conditions:     []string{"IpAddress aws:SourceIp=1.2.3.4/32,5.6.7.8/32"},
		Explanation: `Statement "Two" lets arn:aws:iam::999988887777:user/evil (account 999988887777, not trusted) and 444455556666 (account 444455556666, not trusted) ` +
			`perform sqs:SendMessage, sqs:ReceiveMessage, bounded only by the condition IpAddress aws:SourceIp=1.2.3.4/32,5.6.7.8/32, which does not keep it inside the trust boundary`,
	}, {
		Rule:           RuleFor(KindSQSQueue, finding.CategoryConfusedDeputy),
		StatementIndex: 1,
		Principal:      "sns.amazonaws.com",
		Actions:        []string{"sqs:SendMessage"},
		Services:       []string{"sns.amazonaws.com"},
		Explanation:    `Statement at index 1 lets service sns.amazonaws.com perform sqs:SendMessage for any account: no aws:SourceAccount, aws:SourceArn with an account or aws:SourceOrgID condition pins whom the service acts for`,
	}}
	if diff := cmp.Diff(want, got.Findings); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

// TestConstructedDocument evaluates a Document built without the parser, as kinds that
// already hold parsed statements do.
func TestConstructedDocument(t *testing.T) {
	doc := &policy.Document{Statements: []policy.Statement{
		{Effect: policy.Allow, Principal: &policy.Principal{AWS: []string{"arn:aws:iam::999988887777:root"}}, Action: []string{"ses:SendEmail"}, HasAction: true},
		{Effect: policy.Allow, Principal: &policy.Principal{Wildcard: true}, Action: []string{"ses:SendEmail"}, HasAction: true,
			Conditions: []policy.Condition{{Operator: "StringEquals", Base: "StringEquals", Known: true, Key: "aws:SourceAccount", KeyLower: "aws:sourceaccount", Values: []string{owner}}}},
	}}
	got := Evaluate(Input{Kind: KindSESIdentity, Owner: owner, Doc: doc}, Boundary{})
	checkResult(t, got, accounts(evil))
	if got := Evaluate(Input{Kind: KindSESIdentity, Owner: owner}, Boundary{}); got.Public || len(got.Findings) != 0 {
		t.Errorf("nil document: %+v", got)
	}
}
