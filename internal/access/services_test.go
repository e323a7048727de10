package access

import "testing"

// §5: service principals and the confused deputy.
func TestServices(t *testing.T) {
	snsArn := "arn:aws:sns:us-east-1:" + owner + ":topic"
	runCases(t, []evalCase{
		{name: "service without condition", kind: KindLambdaFunction, policy: pol(allow(svc("sns.amazonaws.com"), `"lambda:InvokeFunction"`, "")),
			want: deputy().withRules("lambda-function/confused-deputy").explaining("lets service sns.amazonaws.com perform lambda:InvokeFunction for any account")},
		{name: "service with SourceAccount owner", policy: pol(allow(svc("sns.amazonaws.com"), "", cond("StringEquals", "aws:SourceAccount", owner))), want: ok()},
		{name: "service with SourceOwner owner", policy: pol(allow(svc("sns.amazonaws.com"), "", cond("StringEquals", "aws:SourceOwner", owner))), want: ok()},
		{name: "service with SourceArn owner", policy: pol(allow(svc("sns.amazonaws.com"), "", cond("ArnEquals", "aws:SourceArn", snsArn))), want: ok()},
		{name: "service with bucket SourceArn only", kind: KindLambdaFunction, policy: pol(allow(svc("s3.amazonaws.com"), `"lambda:InvokeFunction"`, cond("ArnLike", "aws:SourceArn", "arn:aws:s3:::my-bucket"))),
			want: deputy().explaining("names a resource whose ARN has no account")},
		{name: "service with bucket SourceArn and SourceAccount", kind: KindLambdaFunction, policy: pol(allow(svc("s3.amazonaws.com"), `"lambda:InvokeFunction"`, `{"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::my-bucket"},"StringEquals":{"AWS:SourceAccount":"`+owner+`"}}`)), want: ok()},
		{name: "service with foreign SourceAccount is untrusted, not a deputy (§9.21)", policy: pol(allow(svc("sns.amazonaws.com"), "", cond("StringEquals", "aws:SourceAccount", evil))),
			want: accounts(evil).withRules("sqs-queue/untrusted-account").explaining("service sns.amazonaws.com acting for account " + evil + " (not trusted)")},
		{name: "service with ResourceAccount is a deputy (§9.21)", policy: pol(allow(svc("sns.amazonaws.com"), "", cond("StringEquals", "aws:ResourceAccount", owner))), want: deputy().explaining("describes the resource owner")},
		{name: "service with IfExists SourceAccount", policy: pol(allow(svc("sns.amazonaws.com"), "", cond("StringEqualsIfExists", "aws:SourceAccount", owner))), want: deputy().explaining("the key can be absent")},
		{name: "service with ForAllValues SourceAccount", policy: pol(allow(svc("sns.amazonaws.com"), "", cond("ForAllValues:StringEquals", "aws:SourceAccount", owner))), want: deputy()},
		{name: "service with ForAnyValue SourceAccount", policy: pol(allow(svc("sns.amazonaws.com"), "", cond("ForAnyValue:StringEquals", "aws:SourceAccount", owner))), want: ok()},
		{name: "service with wildcard SourceAccount", policy: pol(allow(svc("sns.amazonaws.com"), "", cond("StringLike", "aws:SourceAccount", "*"))), want: deputy()},
		{name: "service with wildcard-account SourceArn", policy: pol(allow(svc("sns.amazonaws.com"), "", cond("ArnLike", "aws:SourceArn", "arn:aws:sns:us-east-1:*:topic"))), want: deputy()},
		{name: "service with SourceOrgID trusted", orgs: []string{trustOrg}, policy: pol(allow(svc("sns.amazonaws.com"), "", cond("StringEquals", "aws:SourceOrgID", trustOrg))), want: ok()},
		{name: "service with SourceOrgID untrusted", policy: pol(allow(svc("sns.amazonaws.com"), "", cond("StringEquals", "aws:SourceOrgID", evilOrg))), want: orgsW(evilOrg)},
		{name: "service with SourceOrgPaths trusted", orgs: []string{trustOrg}, policy: pol(allow(svc("sns.amazonaws.com"), "", cond("ForAnyValue:StringLike", "aws:SourceOrgPaths", trustOrg+"/r-ab12/*"))), want: ok()},
		{name: "service with EventSourceToken", kind: KindLambdaFunction, policy: pol(allow(svc("alexa-connectedhome.amazon.com"), `"lambda:InvokeFunction"`, cond("StringEquals", "lambda:EventSourceToken", "amzn1.ask.skill.1234"))), want: ok()},
		{name: "service with PrincipalOrgID is still a deputy", orgs: []string{trustOrg}, policy: pol(allow(svc("sns.amazonaws.com"), "", cond("StringEquals", "aws:PrincipalOrgID", trustOrg))), want: deputy()},
		{name: "service with an IP bound is still a deputy", policy: pol(allow(svc("sns.amazonaws.com"), "", cond("IpAddress", "aws:SourceIp", "1.2.3.4"))), want: deputy()},
		{name: "services never make a policy public", policy: pol(allow(`{"Service":["sns.amazonaws.com","events.amazonaws.com"]}`, "", "")),
			want: deputy().explaining("services sns.amazonaws.com and events.amazonaws.com")},
		{name: "AWS account and service in one statement", policy: pol(allow(`{"AWS":"`+evil+`","Service":"sns.amazonaws.com"}`, "", "")),
			want: want{accounts: []string{evil}, deputy: true, rules: []string{"sqs-queue/untrusted-account", "sqs-queue/confused-deputy"}}},
		{name: "everyone bounded to the owner does not make a deputy", policy: star(cond("StringEquals", "aws:SourceAccount", owner)), want: ok()},
		{name: "role trusted by EC2 is a low deputy", kind: KindIAMRole, policy: pol(allow(svc("ec2.amazonaws.com"), `"sts:AssumeRole"`, "")), want: deputy().withRules("iam-role/confused-deputy-passrole")},
		{name: "role trusted by Lambda in China is a low deputy", kind: KindIAMRole, policy: pol(allow(svc("lambda.amazonaws.com.cn"), `"sts:AssumeRole"`, "")), want: deputy().withRules("iam-role/confused-deputy-passrole")},
		{name: "role trusted by ECS tasks is a low deputy", kind: KindIAMRole, policy: pol(allow(svc("ecs-tasks.amazonaws.com"), `"sts:AssumeRole"`, "")), want: deputy().withRules("iam-role/confused-deputy-passrole")},
		{name: "role trusted by EC2 and SNS is a medium deputy", kind: KindIAMRole, policy: pol(allow(`{"Service":["ec2.amazonaws.com","sns.amazonaws.com"]}`, `"sts:AssumeRole"`, "")), want: deputy().withRules("iam-role/confused-deputy")},
		{name: "role trusted by config is a medium deputy", kind: KindIAMRole, policy: pol(allow(svc("config.amazonaws.com"), `"sts:AssumeRole"`, "")), want: deputy().withRules("iam-role/confused-deputy")},
		{name: "EC2 on a non-role kind is medium", kind: KindSNSTopic, policy: pol(allow(svc("ec2.amazonaws.com"), "", "")), want: deputy().withRules("sns-topic/confused-deputy")},
	})
}

// §6: federated principals.
func TestFederated(t *testing.T) {
	gh := "arn:aws:iam::" + owner + ":oidc-provider/token.actions.githubusercontent.com"
	role := `"sts:AssumeRoleWithWebIdentity"`
	runCases(t, []evalCase{
		{name: "SAML provider of the owner", kind: KindIAMRole, policy: pol(allow(fed("arn:aws:iam::"+owner+":saml-provider/Okta"), `"sts:AssumeRoleWithSAML"`, cond("StringEquals", "SAML:aud", "https://signin.aws.amazon.com/saml"))), want: ok()},
		{name: "SAML provider of a foreign account", kind: KindIAMRole, policy: pol(allow(fed("arn:aws:iam::"+evil+":saml-provider/Okta"), `"sts:AssumeRoleWithSAML"`, "")), want: accounts(evil).withRules("iam-role/untrusted-account")},
		{name: "EKS OIDC provider of the owner", kind: KindIAMRole, policy: pol(allow(fed("arn:aws:iam::"+owner+":oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"), role, "")), want: ok()},
		{name: "cognito without aud is public (§9.17)", kind: KindIAMRole, policy: pol(allow(fed("cognito-identity.amazonaws.com"), role, "")), want: pub().explaining("lets anyone (any user of cognito-identity.amazonaws.com, with no fixed audience condition)")},
		{name: "cognito with fixed aud", kind: KindIAMRole, policy: pol(allow(fed("cognito-identity.amazonaws.com"), role, `{"StringEquals":{"cognito-identity.amazonaws.com:aud":"us-east-1:12345678-abcd-abcd-abcd-123456789012"},"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"authenticated"}}`)), want: ok()},
		{name: "cognito with wildcard aud", kind: KindIAMRole, policy: pol(allow(fed("cognito-identity.amazonaws.com"), role, cond("StringLike", "cognito-identity.amazonaws.com:aud", "us-east-1:*"))), want: pub()},
		{name: "cognito with aud under IfExists", kind: KindIAMRole, policy: pol(allow(fed("cognito-identity.amazonaws.com"), role, cond("StringEqualsIfExists", "cognito-identity.amazonaws.com:aud", "us-east-1:1234"))), want: pub()},
		{name: "facebook without app_id is public (§9.17)", kind: KindS3Bucket, policy: pol(allow(fed("graph.facebook.com"), `"s3:GetObject"`, "")), want: pub()},
		{name: "facebook with app_id", kind: KindIAMRole, policy: pol(allow(fed("graph.facebook.com"), role, cond("StringEquals", "graph.facebook.com:app_id", "1234567890"))), want: ok()},
		{name: "google with aud", kind: KindIAMRole, policy: pol(allow(fed("accounts.google.com"), role, cond("StringEquals", "accounts.google.com:aud", "123.apps.googleusercontent.com"))), want: ok()},
		{name: "amazon without app_id", kind: KindIAMRole, policy: pol(allow(fed("www.amazon.com"), role, "")), want: pub()},
		{name: "GitHub OIDC without sub is public", kind: KindIAMRole, policy: pol(allow(fed(gh), role, cond("StringEquals", "token.actions.githubusercontent.com:aud", "sts.amazonaws.com"))),
			want: pub().withRules("iam-role/public").explaining("any GitHub Actions workflow")},
		{name: "GitHub OIDC pinned to an owner", kind: KindIAMRole, policy: pol(allow(fed(gh), role, cond("StringLike", "token.actions.githubusercontent.com:sub", "repo:octo-org/*"))), want: ok()},
		{name: "GitHub OIDC pinned to a repository", kind: KindIAMRole, policy: pol(allow(fed(gh), role, cond("StringEquals", "token.actions.githubusercontent.com:sub", "repo:octo-org/octo-repo:ref:refs/heads/main"))), want: ok()},
		{name: "GitHub OIDC sub repo:* is public", kind: KindIAMRole, policy: pol(allow(fed(gh), role, cond("StringLike", "token.actions.githubusercontent.com:sub", "repo:*"))), want: pub().explaining("does not pin the repository owner")},
		{name: "GitHub OIDC wildcard in owner is public", kind: KindIAMRole, policy: pol(allow(fed(gh), role, cond("StringLike", "token.actions.githubusercontent.com:sub", "repo:octo*/x"))), want: pub()},
		{name: "GitHub OIDC one loose sub value is public", kind: KindIAMRole, policy: pol(allow(fed(gh), role, cond("StringLike", "token.actions.githubusercontent.com:sub", "repo:octo-org/a:*", "*"))), want: pub()},
		{name: "GitHub OIDC provider in a foreign account", kind: KindIAMRole, policy: pol(allow(fed("arn:aws:iam::"+evil+":oidc-provider/token.actions.githubusercontent.com"), role, cond("StringLike", "token.actions.githubusercontent.com:sub", "repo:octo-org/*"))), want: accounts(evil).explaining("pins the GitHub repository owner, which says nothing about the account")},
	})
}

// §7: Deny statements and NotPrincipal.
func TestDenyAndNotPrincipal(t *testing.T) {
	deny := func(principal, action, resource, c string) string {
		return stmt("Deny", "Principal", principal, action, resource, c)
	}
	allowR := func(principal, action, resource, c string) string {
		return stmt("Allow", "Principal", principal, action, resource, c)
	}
	q := `"arn:aws:sqs:us-east-1:` + owner + `:q"`
	runCases(t, []evalCase{
		{name: "Allow with NotPrincipal is public (§9.15)", policy: pol(stmt("Allow", "NotPrincipal", aws(evil), "", `"*"`, "")), want: pub().explaining("NotPrincipal with Allow: everyone except " + evil)},
		{name: "Deny everyone cancels a public Allow (§9.19)", policy: pol(allow(`"*"`, "", ""), deny(`"*"`, `"*"`, `"*"`, "")), want: ok()},
		{name: "Deny without Resource covers", policy: pol(allowR(`"*"`, `"sqs:SendMessage"`, q, ""), deny(`"*"`, `"sqs:*"`, "", "")), want: ok()},
		{name: "Deny of fewer actions does not cover", policy: pol(allow(`"*"`, `"sqs:*"`, ""), deny(`"*"`, `"sqs:SendMessage"`, `"*"`, "")), want: pub()},
		{name: "Deny action match ignores case", policy: pol(allow(`"*"`, `"SQS:SendMessage"`, ""), deny(`"*"`, `"sqs:send*"`, `"*"`, "")), want: ok()},
		{name: "Deny with NotResource does not cover", policy: pol(allow(`"*"`, "", ""), stmt("Deny", "Principal", `"*"`, `"*"`, "", "")[:0]+`{"Effect":"Deny","Principal":"*","Action":"*","NotResource":"arn:aws:sqs:us-east-1:`+owner+`:other"}`), want: pub()},
		{name: "Deny on another resource does not cover", policy: pol(allowR(`"*"`, "", q, ""), deny(`"*"`, `"*"`, `"arn:aws:sqs:us-east-1:`+owner+`:other"`, "")), want: pub()},
		{name: "Deny resource glob covers", policy: pol(allowR(`"*"`, "", q, ""), deny(`"*"`, `"*"`, `"arn:aws:sqs:*:`+owner+`:*"`, "")), want: ok()},
		{name: "Deny resource glob is case-sensitive", policy: pol(allowR(`"*"`, "", q, ""), deny(`"*"`, `"*"`, `"arn:aws:sqs:*:`+owner+`:Q"`, "")), want: pub()},
		{name: "Deny specific resource does not cover an Allow on every resource", policy: pol(allow(`"*"`, "", ""), deny(`"*"`, `"*"`, q, "")), want: pub()},
		{name: "Deny unless owner account", policy: pol(allow(`"*"`, "", ""), deny(`"*"`, `"*"`, `"*"`, cond("StringNotEquals", "aws:PrincipalAccount", owner))), want: ok()},
		{name: "Deny unless a foreign account leaves that account", policy: pol(allow(`"*"`, "", ""), deny(`"*"`, `"*"`, `"*"`, cond("StringNotEquals", "aws:PrincipalAccount", owner, evil))),
			want: accounts(evil).explaining("the Deny in statement at index 1 narrows it but does not close it")},
		{name: "Deny unless trusted org, services exempt", orgs: []string{trustOrg}, policy: pol(allow(`"*"`, "", ""), allow(svc("sns.amazonaws.com"), "", ""),
			deny(`"*"`, `"*"`, `"*"`, `{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"`+trustOrg+`"},"BoolIfExists":{"aws:PrincipalIsAWSService":"false"}}`)),
			want: deputy().withRules("sqs-queue/confused-deputy")},
		{name: "Deny unless trusted org without exemption also stops services", orgs: []string{trustOrg}, policy: pol(allow(`"*"`, "", ""), allow(svc("sns.amazonaws.com"), "", ""),
			deny(`"*"`, `"*"`, `"*"`, cond("StringNotEquals", "aws:PrincipalOrgID", trustOrg))), want: ok()},
		{name: "Deny unless untrusted org", policy: pol(allow(`"*"`, "", ""), deny(`"*"`, `"*"`, `"*"`, cond("StringNotEquals", "aws:PrincipalOrgID", evilOrg))), want: orgsW(evilOrg)},
		{name: "Deny unless SourceAccount pins a service", policy: pol(allow(svc("sns.amazonaws.com"), "", ""), deny(`"*"`, `"*"`, `"*"`, cond("StringNotEquals", "aws:SourceAccount", owner))), want: ok()},
		{name: "Deny unless narrow source IP bounds everyone", policy: pol(allow(`"*"`, "", ""), deny(`"*"`, `"*"`, `"*"`, cond("NotIpAddress", "aws:SourceIp", "203.0.113.0/24"))), want: ok()},
		{name: "Deny unless broad source IP is ignored", policy: pol(allow(`"*"`, "", ""), deny(`"*"`, `"*"`, `"*"`, cond("NotIpAddress", "aws:SourceIp", "0.0.0.0/0"))), want: pub()},
		{name: "Deny unless VPC endpoint bounds everyone", policy: pol(allow(`"*"`, "", ""), deny(`"*"`, `"*"`, `"*"`, cond("StringNotEquals", "aws:SourceVpce", "vpce-1a2b3c4d"))), want: ok()},
		{name: "Deny with wildcard negated value lets everyone through", policy: pol(allow(`"*"`, "", ""), deny(`"*"`, `"*"`, `"*"`, cond("StringNotLike", "aws:PrincipalOrgID", "o-*"))), want: pub()},
		{name: "Deny on SecureTransport is ignored", policy: pol(allow(`"*"`, "", ""), deny(`"*"`, `"*"`, `"*"`, cond("Bool", "aws:SecureTransport", "false"))), want: pub()},
		{name: "Deny with ForAllValues negated condition is ignored", policy: pol(allow(`"*"`, "", ""), deny(`"*"`, `"*"`, `"*"`, cond("ForAllValues:StringNotEquals", "aws:PrincipalAccount", owner))), want: pub()},
		{name: "Deny with two negated keys is their union", policy: pol(allow(`"*"`, "", ""), deny(`"*"`, `"*"`, `"*"`, `{"StringNotEquals":{"aws:PrincipalAccount":"`+evil+`","aws:SourceVpc":"vpc-1a2b3c4d"}}`)), want: accounts(evil)},
		{name: "Deny NotPrincipal owner", policy: pol(allow(`"*"`, "", ""), stmt("Deny", "NotPrincipal", aws("arn:aws:iam::"+owner+":root"), `"*"`, `"*"`, "")), want: ok()},
		{name: "Deny NotPrincipal foreign", policy: pol(allow(`"*"`, "", ""), stmt("Deny", "NotPrincipal", aws("arn:aws:iam::"+evil+":root"), `"*"`, `"*"`, "")), want: accounts(evil)},
		{name: "Deny NotPrincipal removes unlisted services", policy: pol(allow(svc("sns.amazonaws.com"), "", ""), stmt("Deny", "NotPrincipal", aws(owner), `"*"`, `"*"`, "")), want: ok()},
		{name: "Deny naming an account removes it", policy: pol(allow(`{"AWS":["`+evil+`","arn:aws:iam::`+partner+`:root"]}`, "", ""), deny(aws("arn:aws:iam::"+evil+":root"), `"*"`, `"*"`, "")), want: accounts(partner)},
		{name: "Deny naming a user does not remove the account", policy: pol(allow(aws(evil), "", ""), deny(aws("arn:aws:iam::"+evil+":user/x"), `"*"`, `"*"`, "")), want: accounts(evil)},
		{name: "Deny naming an account leaves everyone public", policy: pol(allow(`"*"`, "", ""), deny(aws(evil), `"*"`, `"*"`, "")), want: pub()},
		{name: "Deny naming a service removes it", policy: pol(allow(svc("sns.amazonaws.com"), "", ""), deny(svc("sns.amazonaws.com"), `"*"`, `"*"`, "")), want: ok()},
		{name: "Deny naming an account with a condition is ignored", policy: pol(allow(aws(evil), "", ""), deny(aws(evil), `"*"`, `"*"`, cond("Bool", "aws:MultiFactorAuthPresent", "false"))), want: accounts(evil)},
		{name: "Deny-only policy grants nothing", policy: pol(deny(`"*"`, `"*"`, `"*"`, "")), want: ok()},
		{name: "Deny NotAction covers actions it does not list", kind: KindSESIdentity, policy: pol(allow(`"*"`, `"ses:SendEmail"`, ""), stmt("Deny", "Principal", `"*"`, "", `"*"`, "")[:0]+`{"Effect":"Deny","Principal":"*","NotAction":"ses:GetIdentity*","Resource":"*"}`), want: ok()},
		{name: "Deny NotAction listing the action does not cover", kind: KindSESIdentity, policy: pol(allow(`"*"`, `"ses:SendEmail"`, ""), `{"Effect":"Deny","Principal":"*","NotAction":"ses:Send*","Resource":"*"}`), want: pub()},
		{name: "Allow NotAction is covered only by Deny *", policy: pol(`{"Effect":"Allow","Principal":"*","NotAction":"sqs:DeleteQueue","Resource":"*"}`, deny(`"*"`, `"sqs:*"`, `"*"`, "")), want: pub().explaining("every action except sqs:DeleteQueue")},
		{name: "Allow NotAction covered by Deny *", policy: pol(`{"Effect":"Allow","Principal":"*","NotAction":"sqs:DeleteQueue","Resource":"*"}`, deny(`"*"`, `"*"`, `"*"`, "")), want: ok()},
		{name: "Deny everyone cancels a foreign account", policy: pol(allow(aws("arn:aws:iam::"+evil+":user/x"), "", ""), deny(aws("*"), `"*"`, `"*"`, "")), want: ok()},
	})
}
