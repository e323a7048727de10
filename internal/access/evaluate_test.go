package access

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/trustaudit/trustaudit/internal/finding"
	"github.com/trustaudit/trustaudit/internal/policy"
)

const (
	owner     = "111122223333"
	evil      = "999988887777"
	partner   = "444455556666"
	trustOrg  = "o-trusted001"
	evilOrg   = "o-evilorg0001"
	elbLogAct = "127311923021"
)

// allow builds an Allow statement; principal and cond are JSON fragments ("" omits them).
func allow(principal, action, cond string) string {
	return stmt("Allow", "Principal", principal, action, `"*"`, cond)
}

func stmt(effect, pkey, principal, action, resource, cond string) string {
	var b strings.Builder
	b.WriteString(`{"Effect":"` + effect + `"`)
	if principal != "" {
		b.WriteString(`,"` + pkey + `":` + principal)
	}
	if action == "" {
		action = `"sqs:SendMessage"`
	}
	b.WriteString(`,"Action":` + action)
	if resource != "" {
		b.WriteString(`,"Resource":` + resource)
	}
	if cond != "" {
		b.WriteString(`,"Condition":` + cond)
	}
	b.WriteString("}")
	return b.String()
}

func pol(stmts ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
}

// star is an Allow for everyone under one condition.
func star(cond string) string { return pol(allow(`"*"`, "", cond)) }

func aws(v string) string { return `{"AWS":"` + v + `"}` }
func svc(v string) string { return `{"Service":"` + v + `"}` }
func fed(v string) string { return `{"Federated":"` + v + `"}` }
func cond(op, key string, vals ...string) string {
	if len(vals) == 1 {
		return `{"` + op + `":{"` + key + `":"` + vals[0] + `"}}`
	}
	return `{"` + op + `":{"` + key + `":["` + strings.Join(vals, `","`) + `"]}}`
}

type want struct {
	public   bool
	accounts []string
	orgs     []string
	deputy   bool
	rules    []string // rule ids of the findings, in order; nil = not checked
	explain  []string // substrings of the joined explanations
	scopes   []string // Orgs of the untrusted-org findings, in order; nil = not checked
}

type evalCase struct {
	name    string
	kind    Kind
	trusted []string
	orgs    []string
	paths   []string // trusted OU paths
	policy  string
	want    want
}

func runCases(t *testing.T, cases []evalCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := policy.ParseString(tc.policy)
			if err != nil {
				t.Fatalf("parse: %v\n%s", err, tc.policy)
			}
			b, err := NewBoundary(tc.trusted, tc.orgs)
			if err != nil {
				t.Fatal(err)
			}
			if b, err = b.WithOrgPaths(tc.paths); err != nil {
				t.Fatal(err)
			}
			kind := tc.kind
			if kind == "" {
				kind = KindSQSQueue
			}
			got := Evaluate(Input{Kind: kind, Owner: owner, Doc: doc}, b)
			checkResult(t, got, tc.want)
			if testing.Verbose() {
				t.Log("\n" + dump(got))
			}
		})
	}
}

func checkResult(t *testing.T, got Result, w want) {
	t.Helper()
	type verdict struct {
		Public   bool
		Accounts []string
		Orgs     []string
		Deputy   bool
	}
	gv := verdict{got.Public, got.UntrustedAccounts, got.UntrustedOrgs, got.ConfusedDeputy}
	wv := verdict{w.public, w.accounts, w.orgs, w.deputy}
	if diff := cmp.Diff(wv, gv, cmp.Comparer(func(a, b []string) bool { return slices.Equal(a, b) })); diff != "" {
		t.Errorf("verdict (-want +got):\n%s\nfindings:\n%s", diff, dump(got))
	}
	if w.rules != nil {
		var ids []string
		for _, f := range got.Findings {
			ids = append(ids, f.Rule.ID)
		}
		if !slices.Equal(ids, w.rules) {
			t.Errorf("rules = %q, want %q", ids, w.rules)
		}
	}
	all := dump(got)
	if w.scopes != nil {
		var scopes []string
		for _, f := range got.Findings {
			if f.Rule.Category == finding.CategoryUntrustedOrg {
				scopes = append(scopes, f.Orgs...)
			}
		}
		if !slices.Equal(scopes, w.scopes) {
			t.Errorf("untrusted-org finding scopes = %q, want %q\n%s", scopes, w.scopes, all)
		}
	}
	for _, s := range w.explain {
		if !strings.Contains(all, s) {
			t.Errorf("explanations lack %q:\n%s", s, all)
		}
	}
	// Invariants every result must keep, whatever the case.
	if got.Public != hasCategory(got, finding.CategoryPublic) {
		t.Errorf("Public=%v but findings disagree:\n%s", got.Public, all)
	}
	if got.ConfusedDeputy != hasCategory(got, finding.CategoryConfusedDeputy) {
		t.Errorf("ConfusedDeputy=%v but findings disagree:\n%s", got.ConfusedDeputy, all)
	}
	if (len(got.UntrustedAccounts) > 0) != hasCategory(got, finding.CategoryUntrustedAccount) {
		t.Errorf("UntrustedAccounts=%v but findings disagree:\n%s", got.UntrustedAccounts, all)
	}
	if (len(got.UntrustedOrgs) > 0) != hasCategory(got, finding.CategoryUntrustedOrg) {
		t.Errorf("UntrustedOrgs=%v but findings disagree:\n%s", got.UntrustedOrgs, all)
	}
	for i, f := range got.Findings {
		if f.Explanation == "" || f.Rule.Severity == 0 || f.Rule.ID == "" {
			t.Errorf("finding %d incomplete: %+v", i, f)
		}
		if i > 0 {
			p := got.Findings[i-1]
			if p.StatementIndex > f.StatementIndex || p.StatementIndex == f.StatementIndex && catOrder(p.Rule.Category) >= catOrder(f.Rule.Category) {
				t.Errorf("findings out of order at %d:\n%s", i, all)
			}
		}
	}
}

func catOrder(c finding.Category) int {
	return slices.Index([]finding.Category{finding.CategoryPublic, finding.CategoryUntrustedAccount, finding.CategoryUntrustedOrg, finding.CategoryConfusedDeputy}, c)
}

func hasCategory(r Result, c finding.Category) bool {
	for _, f := range r.Findings {
		if f.Rule.Category == c {
			return true
		}
	}
	return false
}

func dump(r Result) string {
	var b strings.Builder
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "  [%d] %s %s: %s\n", f.StatementIndex, f.Rule.ID, f.Rule.Severity, f.Explanation)
	}
	return b.String()
}

func pub() want                            { return want{public: true} }
func accounts(a ...string) want            { return want{accounts: a} }
func orgsW(o ...string) want               { return want{orgs: o} }
func deputy() want                         { return want{deputy: true} }
func ok() want                             { return want{} }
func (w want) withRules(r ...string) want  { w.rules = r; return w }
func (w want) naming(sc ...string) want    { w.scopes = sc; return w }
func (w want) explaining(s ...string) want { w.explain = append(w.explain, s...); return w }

// §2: principal classification.
func TestPrincipals(t *testing.T) {
	runCases(t, []evalCase{
		{name: "bare star", policy: pol(allow(`"*"`, "", "")), want: pub().withRules("sqs-queue/public").explaining(`lets anyone (Principal "*") perform sqs:SendMessage with no condition`)},
		{name: "AWS star", policy: pol(allow(aws("*"), "", "")), want: pub()},
		{name: "star inside AWS list with trusted account", policy: pol(allow(`{"AWS":["arn:aws:iam::`+partner+`:root","*"]}`, "", "")), trusted: []string{partner}, want: pub()},
		{name: "star plus named foreign account reports both", policy: pol(allow(`{"AWS":["*","arn:aws:iam::`+evil+`:root"]}`, "", "")),
			want: want{public: true, accounts: []string{evil}, rules: []string{"sqs-queue/public", "sqs-queue/untrusted-account"}}},
		{name: "CanonicalUser star is public (§9.16)", policy: pol(allow(`{"CanonicalUser":"*"}`, "", "")), want: pub()},
		{name: "specific CanonicalUser names no derivable account", policy: pol(allow(`{"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}`, "", "")), want: ok()},
		{name: "12-digit id", policy: pol(allow(aws(evil), "", "")), want: accounts(evil)},
		{name: "root ARN", policy: pol(allow(aws("arn:aws:iam::"+evil+":root"), "", "")), want: accounts(evil)},
		{name: "user ARN", policy: pol(allow(aws("arn:aws:iam::"+evil+":user/evil"), "", "")), want: accounts(evil)},
		{name: "role ARN", policy: pol(allow(aws("arn:aws:iam::"+evil+":role/x"), "", "")), want: accounts(evil)},
		{name: "assumed-role ARN", policy: pol(allow(aws("arn:aws:sts::"+evil+":assumed-role/r/s"), "", "")), want: accounts(evil)},
		{name: "federated-user ARN", policy: pol(allow(aws("arn:aws:sts::"+evil+":federated-user/bob"), "", "")), want: accounts(evil)},
		{name: "aws-cn partition", policy: pol(allow(aws("arn:aws-cn:iam::"+evil+":root"), "", "")), want: accounts(evil)},
		{name: "aws-us-gov partition", policy: pol(allow(aws("arn:aws-us-gov:iam::"+evil+":root"), "", "")), want: accounts(evil)},
		{name: "wildcard account field is public", policy: pol(allow(aws("arn:aws:iam::*:root"), "", "")), want: pub().explaining("whose account is a wildcard")},
		{name: "wildcard after fixed account is that account (§9.18)", policy: pol(allow(aws("arn:aws:iam::999999999999:role/*"), "", "")), want: accounts("999999999999")},
		{name: "malformed ARN with account field", policy: pol(allow(aws("arn:aws:iam::"+evil+":evil"), "", "")), want: accounts(evil)},
		{name: "five-field ARN", policy: pol(allow(aws("arn:aws:iam::012345678910"), "", "")), want: accounts("012345678910")},
		{name: "CloudFront OAI is the owner's (§9.22)", kind: KindS3Bucket, policy: pol(allow(aws("arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2QWRUHAPOMQZL"), `"s3:GetObject"`, "")), want: ok()},
		{name: "unique id of a deleted principal matches nobody", policy: pol(allow(aws("AIDAJQABLZS4A3QDU576Q"), "", "")), want: ok()},
		{name: "owner account", policy: pol(allow(aws("arn:aws:iam::"+owner+":root"), "", "")), want: ok()},
		{name: "trusted account by id", trusted: []string{partner}, policy: pol(allow(aws(partner), "", "")), want: ok()},
		{name: "trusted account given as root ARN", trusted: []string{"arn:aws:iam::" + partner + ":root"}, policy: pol(allow(aws("arn:aws:iam::"+partner+":user/x"), "", "")), want: ok()},
		{name: "trusted account given as assumed-role ARN", trusted: []string{"arn:aws:sts::" + partner + ":assumed-role/a/b"}, policy: pol(allow(aws(partner), "", "")), want: ok()},
		{name: "bare string principal reads as AWS", policy: pol(allow(`"`+evil+`"`, "", "")), want: accounts(evil)},
		{name: "ELB log-delivery account is reported (§9.22)", kind: KindS3Bucket, policy: pol(allow(aws("arn:aws:iam::"+elbLogAct+":root"), `"s3:PutObject"`, "")), want: accounts(elbLogAct).withRules("s3-bucket/untrusted-account")},
		{name: "ELB log-delivery account trusted", kind: KindS3Bucket, trusted: []string{elbLogAct}, policy: pol(allow(aws("arn:aws:iam::"+elbLogAct+":root"), `"s3:PutObject"`, "")), want: ok()},
		{name: "two foreign accounts, one finding", policy: pol(allow(`{"AWS":["arn:aws:iam::`+evil+`:root","`+partner+`"]}`, "", "")),
			want: accounts(partner, evil).withRules("sqs-queue/untrusted-account").explaining("account "+evil+", not trusted", "account "+partner+", not trusted")},
		{name: "statements are independent", policy: pol(allow(aws(evil), "", ""), allow(aws(partner), "", ""), allow(aws(owner), "", "")),
			want: accounts(partner, evil).withRules("sqs-queue/untrusted-account", "sqs-queue/untrusted-account")},
		{name: "empty statement list grants nothing", policy: `{"Statement":[]}`, want: ok()},
	})
}

// §3: conditions with a wildcard principal.
func TestConditions(t *testing.T) {
	runCases(t, []evalCase{
		{name: "SourceAccount owner", policy: star(cond("StringEquals", "aws:SourceAccount", owner)), want: ok()},
		{name: "SourceAccount foreign", policy: star(cond("StringEquals", "aws:SourceAccount", evil)), want: accounts(evil).explaining("callers in account "+evil+" (not trusted)", "bounded only by the condition StringEquals aws:SourceAccount="+evil)},
		{name: "PrincipalAccount foreign", policy: star(cond("StringEquals", "aws:PrincipalAccount", evil)), want: accounts(evil)},
		{name: "PrincipalAccount values are ORed", policy: star(cond("StringEquals", "aws:PrincipalAccount", owner, evil)), want: accounts(evil)},
		{name: "PrincipalAccount anonymous admits unauthenticated callers", policy: star(cond("StringEquals", "aws:PrincipalAccount", "anonymous")), want: pub().explaining("unauthenticated")},
		{name: "SourceOwner owner (SNS default)", kind: KindSNSTopic, policy: pol(allow(aws("*"), `["SNS:Publish","SNS:Subscribe"]`, cond("StringEquals", "AWS:SourceOwner", owner))), want: ok()},
		{name: "kms:CallerAccount foreign (§9.21)", kind: KindKMSKey, policy: star(cond("StringEquals", "kms:CallerAccount", evil)), want: accounts(evil).withRules("kms-key/untrusted-account")},
		{name: "kms:CallerAccount owner with ViaService", kind: KindKMSKey, policy: star(`{"StringEquals":{"kms:CallerAccount":"` + owner + `","kms:ViaService":"ec2.us-east-1.amazonaws.com"}}`), want: ok()},
		{name: "kms:ViaService alone is public (§9.4)", kind: KindKMSKey, policy: star(cond("StringEquals", "kms:ViaService", "ec2.us-east-1.amazonaws.com")), want: pub().explaining("any account can call through that service")},
		{name: "IfExists on SourceAccount does not restrict (§9.7)", policy: star(cond("StringEqualsIfExists", "aws:SourceAccount", owner)),
			want: pub().explaining("the condition StringEqualsIfExists aws:SourceAccount does not restrict callers because the key can be absent")},
		{name: "IfExists on PrincipalOrgID does not restrict", policy: star(cond("StringEqualsIfExists", "aws:PrincipalOrgID", trustOrg)), orgs: []string{trustOrg}, want: pub()},
		{name: "IfExists on PrincipalAccount still restricts", policy: star(cond("StringEqualsIfExists", "aws:PrincipalAccount", owner)), want: ok()},
		{name: "IfExists on userid still restricts", policy: star(cond("StringLikeIfExists", "aws:userid", "AROAEXAMPLEID:*")), want: ok()},
		{name: "ForAnyValue SourceAccount owner (§9.5)", policy: star(cond("ForAnyValue:StringEquals", "aws:SourceAccount", owner)), want: ok()},
		{name: "ForAnyValue PrincipalAccount foreign", policy: star(cond("ForAnyValue:StringEquals", "aws:PrincipalAccount", evil)), want: accounts(evil)},
		{name: "ForAnyValue PrincipalOrgPaths trusted", orgs: []string{trustOrg}, policy: star(cond("ForAnyValue:StringLike", "aws:PrincipalOrgPaths", trustOrg+"/r-ab12/ou-ab12-11111111/*")), want: ok()},
		{name: "ForAllValues PrincipalOrgID trusted is public (§9.6)", orgs: []string{trustOrg}, policy: star(cond("ForAllValues:StringEquals", "aws:PrincipalOrgID", trustOrg)), want: pub().explaining("ForAllValues is true when the key is absent")},
		{name: "ForAllValues ArnEqualsIfExists SourceArn (§9.6)", policy: star(cond("ForAllValues:ARNEqualsIfExists", "aws:SourceArn", "arn:aws:sns:us-east-1:"+owner+":t")), want: pub()},
		{name: "StringLike SourceAccount prefix is public (§9.8)", policy: star(cond("StringLike", "aws:SourceAccount", "1111222233*")), want: pub().explaining(`its value "1111222233*" is a wildcard`)},
		{name: "PrincipalOrgID o-abc* is public (§9.8)", policy: star(cond("StringLike", "aws:PrincipalOrgID", "o-abc*")), want: pub()},
		{name: "PrincipalOrgID o-* is public (§9.8)", policy: star(cond("StringLike", "aws:PrincipalOrgID", "o-*")), want: pub()},
		{name: "PrincipalOrgID star under StringEquals is public (§9.9)", policy: star(cond("StringEquals", "aws:PrincipalOrgID", "*")), want: pub()},
		{name: "PrincipalOrgID trusted", orgs: []string{trustOrg}, policy: star(cond("StringEquals", "aws:PrincipalOrgID", trustOrg)), want: ok()},
		{name: "PrincipalOrgID untrusted", policy: star(cond("StringEquals", "aws:PrincipalOrgID", evilOrg)), want: orgsW(evilOrg).withRules("sqs-queue/untrusted-org").explaining("organization " + evilOrg + " (not trusted)")},
		{name: "PrincipalOrgID trusted or untrusted", orgs: []string{trustOrg}, policy: star(cond("StringEquals", "aws:PrincipalOrgID", trustOrg, evilOrg)), want: orgsW(evilOrg)},
		{name: "two org keys that disagree grant nothing", policy: star(`{"StringEquals":{"aws:PrincipalOrgID":"` + evilOrg + `"},"ForAnyValue:StringLike":{"aws:PrincipalOrgPaths":"o-otherorg001/*"}}`), want: ok()},
		{name: "PrincipalOrgPaths trusted", orgs: []string{trustOrg}, policy: star(cond("ForAnyValue:StringLike", "aws:PrincipalOrgPaths", trustOrg+"/r-ab12/*")), want: ok()},
		{name: "PrincipalOrgPaths wildcard org is public", orgs: []string{trustOrg}, policy: star(cond("ForAnyValue:StringLike", "aws:PrincipalOrgPaths", "o-*/r-ab12/*")), want: pub()},
		{name: "PrincipalOrgPaths untrusted", policy: star(cond("ForAnyValue:StringEquals", "aws:PrincipalOrgPaths", evilOrg+"/r-ab12/ou-ab12-11111111/")), want: orgsW(evilOrg)},
		{name: "ResourceOrgID alone is public (§9.10)", orgs: []string{trustOrg}, policy: star(cond("StringEquals", "aws:ResourceOrgID", trustOrg)), want: pub().explaining("describes the resource owner")},
		{name: "ResourceAccount alone is public (§9.11)", policy: star(cond("StringEquals", "aws:ResourceAccount", owner)), want: pub()},
		{name: "username alone is public (§9.11)", policy: star(cond("StringEquals", "aws:username", "alice")), want: pub().explaining("any account can have a user of that name")},
		{name: "CalledViaFirst alone is public (§9.11)", policy: star(cond("ForAnyValue:StringEquals", "aws:CalledViaFirst", "cloudformation.amazonaws.com")), want: pub()},
		{name: "userid star is public (§9.12)", policy: star(cond("StringLike", "aws:userid", "*")), want: pub()},
		{name: "userid fixed without star is bounded (§9.12)", policy: star(cond("StringEquals", "aws:userid", "AIDAEXAMPLEUSERID")), want: ok()},
		{name: "userid role id with session wildcard is bounded", policy: star(cond("StringLike", "aws:userid", "AROAEXAMPLEID:*")), want: ok()},
		{name: "userid wildcard id is public", policy: star(cond("StringLike", "aws:userid", "*:alice")), want: pub()},
		{name: "SourceArn in owner account (§9.13)", policy: star(cond("ArnLike", "aws:SourceArn", "arn:aws:lambda:us-east-1:"+owner+":*")), want: ok()},
		{name: "SourceArn wildcard account (§9.13)", policy: star(cond("ArnLike", "aws:SourceArn", "arn:aws:lambda:us-east-1:*:function:F")), want: pub()},
		{name: "SourceArn every bucket (§9.13)", policy: star(cond("ArnLike", "aws:SourceArn", "arn:aws:s3:::*")), want: pub()},
		{name: "SourceArn one bucket is bounded without account", policy: star(cond("ArnLike", "aws:SourceArn", "arn:aws:s3:::my-bucket")), want: ok()},
		{name: "SourceArn wildcards elsewhere keep the account", policy: star(cond("ArnLike", "aws:SourceArn", "arn:aws:sns:*:"+evil+":*")), want: accounts(evil)},
		{name: "SourceArn star", policy: star(cond("ArnLike", "aws:SourceArn", "*")), want: pub()},
		{name: "PrincipalArn foreign role", policy: star(cond("ArnEquals", "aws:PrincipalArn", "arn:aws:iam::"+evil+":role/x")), want: accounts(evil)},
		{name: "PrincipalArn owner roles", policy: star(cond("ArnLike", "aws:PrincipalArn", "arn:aws:iam::"+owner+":role/*")), want: ok()},
		{name: "PrincipalArn with policy variable account is public", policy: star(cond("ArnLike", "aws:PrincipalArn", "arn:aws:iam::${aws:PrincipalAccount}:role/x")), want: pub()},
		{name: "PrincipalArn non-ARN under ArnLike matches nobody", policy: star(cond("ArnLike", "aws:PrincipalArn", "not-an-arn")), want: ok()},
		{name: "PrincipalArn IAM ARN without account matches nobody", policy: star(cond("ArnLike", "aws:PrincipalArn", "arn:aws:iam:::role/x")), want: ok()},
		{name: "SourceVpc fixed", policy: star(cond("StringEquals", "aws:SourceVpc", "vpc-1a2b3c4d")), want: ok()},
		{name: "SourceVpc wildcard is public", policy: star(cond("StringLike", "aws:SourceVpc", "vpc-*")), want: pub()},
		{name: "SourceVpce fixed", policy: star(cond("StringEquals", "aws:SourceVpce", "vpce-1a2b3c4d")), want: ok()},
		{name: "SourceIp 0.0.0.0/0 is public (§9.1)", policy: star(cond("IpAddress", "aws:SourceIp", "0.0.0.0/0")), want: pub().explaining("0.0.0.0/0 is broader than /8")},
		{name: "SourceIp single routable address (§9.2)", policy: star(cond("IpAddress", "aws:SourceIp", "1.2.3.4")), want: ok()},
		{name: "SourceIp routable /24 (§9.2)", policy: star(cond("IpAddress", "aws:SourceIp", "54.240.143.0/24")), want: ok()},
		{name: "SourceIp 0.0.0.0/1 is public (§9.2)", policy: star(cond("IpAddress", "aws:SourceIp", "0.0.0.0/1")), want: pub()},
		{name: "SourceIp IPv6 /16 is public (§9.2)", policy: star(cond("IpAddress", "aws:SourceIp", "2001:db8::/16")), want: pub().explaining("broader than /32")},
		{name: "SourceIp IPv6 /32 is bounded", policy: star(cond("IpAddress", "aws:SourceIp", "2001:db8::/32")), want: ok()},
		{name: "SourceIp documentation range on SQS (§9.2)", kind: KindSQSQueue, policy: star(cond("IpAddress", "aws:SourceIp", "192.0.2.0/24")), want: ok()},
		{name: "SourceIp /8 is the threshold", policy: star(cond("IpAddress", "aws:SourceIp", "10.0.0.0/8")), want: ok()},
		{name: "SourceIp /7 is public", policy: star(cond("IpAddress", "aws:SourceIp", "10.0.0.0/7")), want: pub()},
		{name: "SourceIp one broad value opens the key", policy: star(cond("IpAddress", "aws:SourceIp", "1.2.3.4/32", "0.0.0.0/0")), want: pub()},
		{name: "negated conditions only are public (§9.3)", policy: star(`{"StringNotLike":{"aws:UserAgent":"*bot*"},"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}`),
			want: pub().explaining("a negated operator admits everyone it does not list")},
		{name: "Bool SecureTransport is public", policy: star(cond("Bool", "aws:SecureTransport", "true")), want: pub().explaining("Bool does not compare who the caller is")},
		{name: "Null is public", policy: star(cond("Null", "aws:PrincipalOrgID", "false")), want: pub()},
		{name: "DateLessThan is public", policy: star(cond("DateLessThan", "aws:CurrentTime", "2030-01-01T00:00:00Z")), want: pub()},
		{name: "NumericLessThan is public", policy: star(cond("NumericLessThan", "s3:max-keys", "10")), want: pub()},
		{name: "ForAnyValues misspelling restricts nothing", orgs: []string{trustOrg}, policy: star(cond("ForAnyValues:StringEquals", "aws:PrincipalOrgID", trustOrg)), want: pub().explaining("is not an operator AWS knows")},
		{name: "ForAnyValuesStringLike restricts nothing", orgs: []string{trustOrg}, policy: star(cond("ForAnyValuesStringLike", "aws:PrincipalOrgID", trustOrg)), want: pub()},
		{name: "sts:ExternalId with everyone is public", kind: KindIAMRole, policy: pol(allow(aws("*"), `"sts:AssumeRole"`, cond("StringEquals", "sts:ExternalId", "ideo5"))),
			want: pub().withRules("iam-role/public").explaining("an external ID is a shared secret, not an identity")},
		{name: "ses:FromAddress does not restrict callers", kind: KindSESIdentity, policy: star(cond("StringEquals", "ses:FromAddress", "a@example.com")), want: pub()},
		{name: "sns:Protocol does not restrict callers", kind: KindSNSTopic, policy: star(cond("StringEquals", "sns:Protocol", "https")), want: pub()},
		{name: "two different fixed source accounts grant nothing", policy: star(`{"StringEquals":{"aws:SourceAccount":"` + evil + `","aws:PrincipalAccount":"` + partner + `"}}`), want: ok()},
		{name: "PrincipalAccount foreign and SourceArn owner grant nothing", policy: star(`{"StringEquals":{"aws:PrincipalAccount":"` + evil + `"},"ArnLike":{"aws:SourceArn":"arn:aws:sns:us-east-1:` + owner + `:t"}}`), want: ok()},
		{name: "accountless bound keeps an account key", policy: star(`{"StringEquals":{"aws:PrincipalAccount":"` + evil + `"},"IpAddress":{"aws:SourceIp":"1.2.3.4"}}`), want: accounts(evil)},
		{name: "explicit account keeps its account under an IP bound", policy: pol(allow(aws(evil), "", cond("IpAddress", "aws:SourceIp", "1.2.3.4/32"))), want: accounts(evil).explaining("bounded only by the condition IpAddress aws:SourceIp=1.2.3.4/32")},
		{name: "everyone and a named account under an IP bound keep the name", policy: pol(allow(`{"AWS":["*","`+evil+`"]}`, "", cond("IpAddress", "aws:SourceIp", "198.51.100.0/24"))), want: accounts(evil)},
		{name: "everyone and a named account under the owner's SourceAccount", policy: pol(allow(`{"AWS":["*","`+evil+`"]}`, "", cond("StringEquals", "aws:SourceAccount", owner))), want: ok()},
		{name: "everyone and a named account inside a trusted org", orgs: []string{trustOrg}, policy: pol(allow(`{"AWS":["*","`+evil+`"]}`, "", cond("StringEquals", "aws:PrincipalOrgID", trustOrg))), want: ok()},
		{name: "explicit account and a different PrincipalAccount grant nothing", policy: pol(allow(aws(evil), "", cond("StringEquals", "aws:PrincipalAccount", owner))), want: ok()},
		{name: "explicit account inside a trusted org", orgs: []string{trustOrg}, policy: pol(allow(aws(evil), "", cond("StringEquals", "aws:PrincipalOrgID", trustOrg))), want: ok()},
		{name: "explicit account with an untrusted org is reported as the account", policy: pol(allow(aws(evil), "", cond("StringEquals", "aws:PrincipalOrgID", evilOrg))), want: accounts(evil)},
		{name: "trusted org with wildcard PrincipalArn (§9.14)", orgs: []string{trustOrg}, policy: star(`{"StringEquals":{"aws:PrincipalOrgID":"` + trustOrg + `"},"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/x"}}`), want: ok()},
		{name: "untrusted org with wildcard PrincipalArn", policy: star(`{"StringEquals":{"aws:PrincipalOrgID":"` + evilOrg + `"},"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/x"}}`), want: orgsW(evilOrg)},
		{name: "unknown key ANDed with a trusted org (§9.20)", orgs: []string{trustOrg}, policy: star(`{"StringEquals":{"aws:PrincipalOrgID":"` + trustOrg + `","aws:PrincipalTag/team":"x"}}`), want: ok()},
		{name: "operator spelled in lower case", policy: star(cond("stringequals", "aws:SourceAccount", evil)), want: accounts(evil)},
		{name: "ARNLike spelling", policy: star(cond("ARNLike", "aws:SourceArn", "arn:aws:sns:us-east-1:"+evil+":t")), want: accounts(evil)},
		{name: "key in mixed case", policy: star(cond("StringEquals", "AWS:SourceAccount", owner)), want: ok()},
		{name: "IpAddress on an account key restricts nothing", policy: star(cond("IpAddress", "aws:SourceAccount", owner)), want: pub().explaining("IpAddress does not apply to aws:SourceAccount")},
		{name: "StringEquals on SourceIp restricts nothing", policy: star(cond("StringEquals", "aws:SourceIp", "1.2.3.4")), want: pub()},
		{name: "policy variable in SourceAccount is unbounded", policy: star(cond("StringEquals", "aws:SourceAccount", "${aws:PrincipalAccount}")), want: pub()},
		{name: "non-account SourceAccount value matches nobody", policy: star(cond("StringEquals", "aws:SourceAccount", "not-an-account")), want: ok()},
	})
}

// TestPublicFindingPrincipal pins what a report shows in its principal column.
func TestPublicFindingPrincipal(t *testing.T) {
	for _, tc := range []struct{ policy, want string }{
		{pol(allow(`"*"`, "", "")), "*"},
		{pol(allow(`{"AWS":["*","arn:aws:iam::*:root"]}`, "", "")), "*, arn:aws:iam::*:root"},
		{pol(stmt("Allow", "NotPrincipal", aws(evil), "", `"*"`, "")), "NotPrincipal " + evil},
		{pol(allow(fed("cognito-identity.amazonaws.com"), `"sts:AssumeRoleWithWebIdentity"`, "")), "cognito-identity.amazonaws.com"},
	} {
		doc, err := policy.ParseString(tc.policy)
		if err != nil {
			t.Fatal(err)
		}
		r := Evaluate(Input{Kind: KindS3Bucket, Owner: owner, Doc: doc}, Boundary{})
		if len(r.Findings) != 1 || r.Findings[0].Principal != tc.want {
			t.Errorf("%s: principal = %q, want %q", tc.policy, dump(r), tc.want)
		}
	}
}
