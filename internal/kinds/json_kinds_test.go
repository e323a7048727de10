package kinds_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/trustaudit/trustaudit/internal/access"
	"github.com/trustaudit/trustaudit/internal/awssim"
	"github.com/trustaudit/trustaudit/internal/finding"
	"github.com/trustaudit/trustaudit/internal/fix"
	"github.com/trustaudit/trustaudit/internal/kinds"
	"github.com/trustaudit/trustaudit/internal/scan"
	"github.com/trustaudit/trustaudit/internal/world"
)

const (
	owner     = "111111111111"
	trusted   = "222222222222"
	foreign   = "999988887777"
	accessKey = "AKIAKINDSTEST1111111"
	region    = "us-east-1"
)

func root(acct string) string { return "arn:aws:iam::" + acct + ":root" }

// doc is a one-statement policy granting action on resource to principal (JSON).
func doc(sid, principal, action, resource string) world.Policy {
	res := ""
	if resource != "" {
		res = fmt.Sprintf(`,"Resource":%q`, resource)
	}
	return world.Policy(fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":%q,"Effect":"Allow","Principal":%s,"Action":%q%s}]}`, sid, principal, action, res))
}

// mixed grants action to a trusted account and to a foreign one in two statements: a fix
// must keep the first and drop the second.
func mixed(action, resource string) world.Policy {
	res := ""
	if resource != "" {
		res = fmt.Sprintf(`,"Resource":%q`, resource)
	}
	return world.Policy(fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"Partner","Effect":"Allow","Principal":{"AWS":%q},"Action":%q%s},{"Sid":"Stranger","Effect":"Allow","Principal":{"AWS":%q},"Action":%q%s}]}`,
		root(trusted), action, res, root(foreign), action, res))
}

func awsP(acct string) string { return fmt.Sprintf(`{"AWS":%q}`, root(acct)) }

// kindCase is one kind's world: a public, an untrusted-account, a trusted and a clean
// resource (and whatever else the kind has), and the findings they must produce.
type kindCase struct {
	kind      string
	resources []world.Resource
	want      []string // "rule ARN"
	// fixable are the ARNs a fix rewrites; the trusted grant (root(trusted)) must survive.
	fixable []string
	// unfixed are findings a fix leaves (KMS grants); the fix is asked only for the others.
	unfixed []string
}

func kindCases() []kindCase {
	sqsARN := func(n string) string { return "arn:aws:sqs:us-east-1:" + owner + ":" + n }
	snsARN := func(n string) string { return "arn:aws:sns:us-east-1:" + owner + ":" + n }
	keyARN := func(n string) string { return "arn:aws:kms:us-east-1:" + owner + ":key/" + n }
	secARN := func(n string) string { return "arn:aws:secretsmanager:us-east-1:" + owner + ":secret:" + n + "-AbCdEf" }
	var many []world.Resource
	for i := range 120 { // more than a page of SNS topics
		n := fmt.Sprintf("t%03d", i)
		many = append(many, world.Resource{Kind: "sns-topic", Name: n, ARN: snsARN(n),
			Policy: world.Policy(`{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{"Sid":"__default_statement_ID","Effect":"Allow","Principal":{"AWS":"*"},"Action":["SNS:GetTopicAttributes","SNS:Publish"],"Resource":"` + snsARN(n) + `","Condition":{"StringEquals":{"AWS:SourceOwner":"` + owner + `"}}}]}`)})
	}
	ecrARN := func(n string) string { return "arn:aws:ecr:us-east-1:" + owner + ":repository/" + n }
	registry := "arn:aws:ecr:us-east-1:" + owner + ":registry/" + owner
	busARN := func(n string) string { return "arn:aws:events:us-east-1:" + owner + ":event-bus/" + n }
	lpARN := func(n string) string { return "arn:aws:logs:us-east-1:" + owner + ":resource-policy:" + n }
	destARN := func(n string) string { return "arn:aws:logs:us-east-1:" + owner + ":destination:" + n }
	// publicAndSelf keeps a statement for the owner beside the public one, for resources
	// whose policy cannot be removed.
	publicAndSelf := func(action, resource string) world.Policy {
		return world.Policy(`{"Version":"2012-10-17","Statement":[{"Sid":"Endgame","Effect":"Allow","Principal":"*","Action":"` + action + `","Resource":"` + resource + `"},{"Sid":"Self","Effect":"Allow","Principal":{"AWS":"` + owner + `"},"Action":"` + action + `","Resource":"` + resource + `"}]}`)
	}
	return []kindCase{
		{
			kind: "eventbridge-bus",
			resources: []world.Resource{
				{Kind: "eventbridge-bus", Name: "default", ARN: busARN("default"), Policy: doc("all", `"*"`, "events:PutEvents", busARN("default"))},
				{Kind: "eventbridge-bus", Name: "partner", ARN: busARN("partner"), Policy: mixed("events:PutEvents", busARN("partner"))},
				{Kind: "eventbridge-bus", Name: "org", ARN: busARN("org"), Policy: world.Policy(`{"Version":"2012-10-17","Statement":[{"Sid":"org","Effect":"Allow","Principal":"*","Action":"events:PutEvents","Resource":"` + busARN("org") + `","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-untrusted1"}}}]}`)},
				{Kind: "eventbridge-bus", Name: "trusted", ARN: busARN("trusted"), Policy: doc("T", awsP(trusted), "events:PutEvents", busARN("trusted"))},
				{Kind: "eventbridge-bus", Name: "clean", ARN: busARN("clean")},
			},
			want: []string{
				"eventbridge-bus/public " + busARN("default"),
				"eventbridge-bus/untrusted-account " + busARN("partner"),
				"eventbridge-bus/untrusted-org " + busARN("org"),
			},
			fixable: []string{busARN("default"), busARN("partner")},
			// An organization let in by a condition is for a person to change.
			unfixed: []string{"eventbridge-bus/untrusted-org " + busARN("org")},
		},
		{
			kind: "logs-resource-policy",
			resources: []world.Resource{
				{Kind: "logs-resource-policy", Name: "Endgame", ARN: lpARN("Endgame"), Policy: doc("Endgame", `"*"`, "logs:PutLogEvents", "*")},
				{Kind: "logs-resource-policy", Name: "partner", ARN: lpARN("partner"), Policy: mixed("logs:PutLogEvents", "*")},
				{Kind: "logs-resource-policy", Name: "trusted", ARN: lpARN("trusted"), Policy: doc("T", awsP(trusted), "logs:PutLogEvents", "*")},
				{Kind: "logs-resource-policy", Name: "route53", ARN: lpARN("route53"), Policy: world.Policy(`{"Version":"2012-10-17","Statement":[{"Sid":"dns","Effect":"Allow","Principal":{"Service":"route53.amazonaws.com"},"Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"arn:aws:logs:us-east-1:` + owner + `:log-group:/aws/route53/*","Condition":{"StringEquals":{"aws:SourceAccount":"` + owner + `"}}}]}`)},
			},
			want: []string{
				"logs-resource-policy/public " + lpARN("Endgame"),
				"logs-resource-policy/untrusted-account " + lpARN("partner"),
			},
			fixable: []string{lpARN("Endgame"), lpARN("partner")},
		},
		{
			kind: "logs-destination",
			resources: []world.Resource{
				{Kind: "logs-destination", Name: "public", ARN: destARN("public"), Policy: publicAndSelf("logs:PutSubscriptionFilter", destARN("public"))},
				{Kind: "logs-destination", Name: "partner", ARN: destARN("partner"), Policy: mixed("logs:PutSubscriptionFilter", destARN("partner"))},
				{Kind: "logs-destination", Name: "trusted", ARN: destARN("trusted"), Policy: doc("T", awsP(trusted), "logs:PutSubscriptionFilter", destARN("trusted"))},
				{Kind: "logs-destination", Name: "clean", ARN: destARN("clean")},
			},
			want: []string{
				"logs-destination/public " + destARN("public"),
				"logs-destination/untrusted-account " + destARN("partner"),
			},
			fixable: []string{destARN("partner"), destARN("public")},
		},
		{
			kind: "ecr-repository",
			resources: []world.Resource{
				{Kind: "ecr-repository", Name: "public", ARN: ecrARN("public"), Policy: doc("pull", `"*"`, "ecr:BatchGetImage", "")},
				{Kind: "ecr-repository", Name: "team/partner", ARN: ecrARN("team/partner"), Policy: mixed("ecr:BatchGetImage", "")},
				{Kind: "ecr-repository", Name: "trusted", ARN: ecrARN("trusted"), Policy: doc("T", awsP(trusted), "ecr:BatchGetImage", "")},
				{Kind: "ecr-repository", Name: "clean", ARN: ecrARN("clean")},
			},
			want: []string{
				"ecr-repository/public " + ecrARN("public"),
				"ecr-repository/untrusted-account " + ecrARN("team/partner"),
			},
			fixable: []string{ecrARN("public"), ecrARN("team/partner")},
		},
		{
			kind: "ecr-registry",
			resources: []world.Resource{
				{Kind: "ecr-registry", Name: owner, ARN: registry, Policy: mixed("ecr:ReplicateImage", "arn:aws:ecr:us-east-1:"+owner+":repository/*")},
			},
			want:    []string{"ecr-registry/untrusted-account " + registry},
			fixable: []string{registry},
		},
		{
			kind: "kms-key",
			resources: []world.Resource{
				{Kind: "kms-key", Name: "1111aaaa-0000-0000-0000-000000000001", ARN: keyARN("1111aaaa-0000-0000-0000-000000000001"), Policy: world.Policy(`{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"` + root(owner) + `"},"Action":"kms:*","Resource":"*"},{"Sid":"Endgame","Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}}]}`)},
				{Kind: "kms-key", Name: "1111aaaa-0000-0000-0000-000000000002", ARN: keyARN("1111aaaa-0000-0000-0000-000000000002"), Policy: mixed("kms:Decrypt", "*")},
				{Kind: "kms-key", Name: "1111aaaa-0000-0000-0000-000000000003", ARN: keyARN("1111aaaa-0000-0000-0000-000000000003"), Policy: doc("T", awsP(trusted), "kms:Decrypt", "*"),
					Grants: []world.Grant{{ID: "g-trusted", Grantee: root(trusted), Permissions: []string{"Decrypt"}}}},
				{Kind: "kms-key", Name: "1111aaaa-0000-0000-0000-000000000004", ARN: keyARN("1111aaaa-0000-0000-0000-000000000004"), Policy: doc("Self", awsP(owner), "kms:*", "*"),
					Grants: []world.Grant{
						{ID: "g-self", Grantee: "arn:aws:iam::" + owner + ":role/app", Permissions: []string{"Encrypt", "Decrypt"}},
						{ID: "g-foreign", Grantee: foreign, Permissions: []string{"Decrypt", "CreateGrant"}},
					}},
				// An AWS managed key: everyone in the account, through one service only.
				{Kind: "kms-key", Name: "1111aaaa-0000-0000-0000-000000000005", ARN: keyARN("1111aaaa-0000-0000-0000-000000000005"), Policy: world.Policy(`{"Version":"2012-10-17","Id":"auto-s3-2","Statement":[{"Sid":"Allow access through S3 for all principals in the account that are authorized to use S3","Effect":"Allow","Principal":{"AWS":"*"},"Action":["kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*","kms:DescribeKey"],"Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com","kms:CallerAccount":"` + owner + `"}}},{"Sid":"Allow direct access to key metadata to the account","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + owner + `:root"},"Action":["kms:Describe*","kms:Get*","kms:List*"],"Resource":"*"}]}`)},
			},
			want: []string{
				"kms-key/public " + keyARN("1111aaaa-0000-0000-0000-000000000001"),
				"kms-key/untrusted-account " + keyARN("1111aaaa-0000-0000-0000-000000000002"),
				"kms-key/untrusted-account " + keyARN("1111aaaa-0000-0000-0000-000000000004"),
			},
			fixable: []string{keyARN("1111aaaa-0000-0000-0000-000000000001"), keyARN("1111aaaa-0000-0000-0000-000000000002")},
			unfixed: []string{"kms-key/untrusted-account " + keyARN("1111aaaa-0000-0000-0000-000000000004")},
		},
		{
			kind: "sqs-queue",
			resources: []world.Resource{
				{Kind: "sqs-queue", Name: "public", ARN: sqsARN("public"), Policy: doc("Endgame", `"*"`, "sqs:*", sqsARN("public"))},
				{Kind: "sqs-queue", Name: "partner", ARN: sqsARN("partner"), Policy: mixed("sqs:SendMessage", sqsARN("partner"))},
				{Kind: "sqs-queue", Name: "trusted", ARN: sqsARN("trusted"), Policy: doc("T", awsP(trusted), "sqs:SendMessage", sqsARN("trusted"))},
				{Kind: "sqs-queue", Name: "clean", ARN: sqsARN("clean")},
				// SNS fan-out from a foreign topic: the source ARN names an untrusted account.
				{Kind: "sqs-queue", Name: "fanout", ARN: sqsARN("fanout"), Policy: world.Policy(`{"Version":"2012-10-17","Statement":[{"Sid":"topic","Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"` + sqsARN("fanout") + `","Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:` + owner + `:mine"}}}]}`)},
				// The same from a topic of an untrusted account (SEMANTICS.md §8).
				{Kind: "sqs-queue", Name: "foreign-fanout", ARN: sqsARN("foreign-fanout"), Policy: world.Policy(`{"Version":"2012-10-17","Statement":[{"Sid":"topic","Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"` + sqsARN("foreign-fanout") + `","Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:` + foreign + `:theirs"}}}]}`)},
			},
			want: []string{
				"sqs-queue/public " + sqsARN("public"),
				"sqs-queue/untrusted-account " + sqsARN("partner"),
				"sqs-queue/untrusted-account " + sqsARN("foreign-fanout"),
			},
			fixable: []string{sqsARN("public"), sqsARN("partner")},
			unfixed: []string{"sqs-queue/untrusted-account " + sqsARN("foreign-fanout")},
		},
		{
			kind: "sns-topic",
			resources: append([]world.Resource{
				{Kind: "sns-topic", Name: "public", ARN: snsARN("public"), Policy: world.Policy(`{"Version":"2012-10-17","Statement":[{"Sid":"Endgame","Effect":"Allow","Principal":"*","Action":"sns:Publish","Resource":"` + snsARN("public") + `"},{"Sid":"Self","Effect":"Allow","Principal":{"AWS":"` + root(owner) + `"},"Action":"sns:*","Resource":"` + snsARN("public") + `"}]}`)},
				{Kind: "sns-topic", Name: "partner", ARN: snsARN("partner"), Policy: mixed("sns:Subscribe", snsARN("partner"))},
				{Kind: "sns-topic", Name: "trusted", ARN: snsARN("trusted"), Policy: doc("T", awsP(trusted), "sns:Publish", snsARN("trusted"))},
			}, many...),
			want: []string{
				"sns-topic/public " + snsARN("public"),
				"sns-topic/untrusted-account " + snsARN("partner"),
			},
			fixable: []string{snsARN("public"), snsARN("partner")},
		},
		{
			kind: "secretsmanager-secret",
			resources: []world.Resource{
				{Kind: "secretsmanager-secret", Name: "public", ARN: secARN("public"), Policy: doc("Endgame", `{"AWS":"*"}`, "secretsmanager:GetSecretValue", "*")},
				{Kind: "secretsmanager-secret", Name: "partner", ARN: secARN("partner"), Policy: mixed("secretsmanager:GetSecretValue", "*")},
				{Kind: "secretsmanager-secret", Name: "trusted", ARN: secARN("trusted"), Policy: doc("T", awsP(trusted), "secretsmanager:GetSecretValue", "*")},
				{Kind: "secretsmanager-secret", Name: "clean", ARN: secARN("clean")},
			},
			want: []string{
				"secretsmanager-secret/public " + secARN("public"),
				"secretsmanager-secret/untrusted-account " + secARN("partner"),
			},
			fixable: []string{secARN("public"), secARN("partner")},
		},
	}
}

func testWorld(rs []world.Resource) *world.World {
	return &world.World{
		SchemaVersion: world.SchemaVersion,
		Accounts: []world.Account{{
			ID:         owner,
			AccessKeys: []world.AccessKey{{ID: accessKey, ARN: "arn:aws:iam::" + owner + ":user/auditor"}},
			Regions:    []world.Region{{Name: region, Resources: rs}},
		}},
	}
}

func startSim(t *testing.T, w *world.World) *awssim.Server {
	t.Helper()
	return startSimScaled(t, w, 100)
}

func runScan(t *testing.T, s *awssim.Server, kind string) (*finding.Scan, *world.World) {
	t.Helper()
	return scanWith(t, trusted, scan.Options{
		Config: s.Config(accessKey, region), RateScale: 100, Regions: []string{region},
		KindSet: []kinds.Kind{getKind(t, kind)}, RequestTimeout: 5 * time.Second, RegionTimeout: 5 * time.Second,
	})
}

// okCalls are the calls the simulator answered (an answer that there is no policy counts:
// it is how ECR says so), by IAM action; throttles and injected faults do not count.
func okCalls(s *awssim.Server) map[string]int64 {
	m := map[string]int64{}
	for _, c := range s.Counters() {
		if c.Outcome != "throttled" && c.Outcome != "fault" {
			m[c.Service+":"+c.Operation] += c.N
		}
	}
	return m
}

func TestJSONKindsCollectAndJudge(t *testing.T) {
	for _, tc := range kindCases() {
		t.Run(tc.kind, func(t *testing.T) {
			sim := startSim(t, testWorld(tc.resources))
			sc, w := runScan(t, sim, tc.kind)
			want := slices.Clone(tc.want)
			sort.Strings(want)
			if got := keys(sc); !slices.Equal(got, want) {
				t.Errorf("findings:\n got %q\nwant %q", got, want)
			}
			if got := sc.Resources[tc.kind]; got != len(tc.resources) {
				t.Errorf("resources: got %d, want %d", got, len(tc.resources))
			}
			// The snapshot holds every resource with the policy the world gave it.
			k, _ := kinds.Get(tc.kind)
			got := policyDocs(k, w.Account(owner))
			for _, p := range k.Policies(testWorld(tc.resources).Account(owner)) {
				if got[p.ResourceARN+"#"+p.PolicyName] != p.Document {
					t.Errorf("%s: collected %q, want %q", p.ResourceARN, got[p.ResourceARN+"#"+p.PolicyName], p.Document)
				}
			}
			// Exactly the minimal calls (PERFORMANCE.md §1) were made.
			calls := okCalls(sim)
			for op, n := range k.MinimalCalls(w.Account(owner)) {
				if calls[op] != n {
					t.Errorf("%s: %d calls, minimal %d", op, calls[op], n)
				}
			}
			for _, f := range sc.Findings {
				if !strings.Contains(f.Explanation, access.Kind(tc.kind).Noun()) && f.Explanation == "" {
					t.Errorf("%s: no explanation", f.ResourceARN)
				}
			}
		})
	}
}

func TestJSONKindsFixRestore(t *testing.T) {
	ctx := context.Background()
	for _, tc := range kindCases() {
		if len(tc.fixable) == 0 {
			continue
		}
		t.Run(tc.kind, func(t *testing.T) {
			sim := startSim(t, testWorld(tc.resources))
			k, _ := kinds.Get(tc.kind)
			policies := func() map[string]string { return policyDocs(k, sim.World().Account(owner)) }
			before := policies()
			s1, w1 := runScan(t, sim, tc.kind)
			cfg := noRetry(sim.Config(accessKey, region))
			var sel []string
			for _, f := range s1.Findings {
				if !slices.Contains(tc.unfixed, f.Rule+" "+f.ResourceARN) {
					sel = append(sel, f.ID)
				}
			}
			rep, dir := applyFix(t, ctx, fix.Options{Config: cfg, Scan: s1, World: w1, Findings: sel})
			applied := appliedARNs(rep)
			if want := slices.Sorted(slices.Values(tc.fixable)); !rep.OK() || !slices.Equal(applied, want) {
				t.Fatalf("applied %v, want %v\n%s", applied, want, reportText(rep))
			}
			s2, _ := runScan(t, sim, tc.kind)
			if got, want := keys(s2), slices.Sorted(slices.Values(tc.unfixed)); !slices.Equal(got, want) {
				t.Errorf("findings after fix: %v, want %v", got, want)
			}
			after := policies()
			for key, d := range before {
				if strings.Contains(d, root(trusted)) && !strings.Contains(after[key], root(trusted)) {
					t.Errorf("%s lost its trusted grant: %s", key, after[key])
				}
			}
			rrep := restoreFrom(t, ctx, cfg, dir)
			if !rrep.OK() {
				t.Fatalf("restore: %s", reportText(rrep))
			}
			s3, _ := runScan(t, sim, tc.kind)
			if got, want := keys(s3), keys(s1); !slices.Equal(got, want) {
				t.Errorf("findings after restore: %v, want %v", got, want)
			}
			restored := policies()
			for key, d := range before {
				if restored[key] != d {
					t.Errorf("%s restored as %s, was %s", key, restored[key], d)
				}
			}
		})
	}
}

// TestJSONKindsDeriveARNs judges a world written without ARNs (the demo world, a
// hand-written snapshot) under the same ARNs a scan collects.
func TestJSONKindsDeriveARNs(t *testing.T) {
	for _, tc := range kindCases() {
		if tc.kind == "secretsmanager-secret" { // the ARN ends in a suffix only AWS knows
			continue
		}
		k, _ := kinds.Get(tc.kind)
		bare := slices.Clone(tc.resources)
		for i := range bare {
			bare[i].ARN = ""
		}
		var want, got []string
		for _, p := range k.Policies(testWorld(tc.resources).Account(owner)) {
			want = append(want, p.ResourceARN+"#"+p.PolicyName)
		}
		for _, p := range k.Policies(testWorld(bare).Account(owner)) {
			got = append(got, p.ResourceARN+"#"+p.PolicyName)
		}
		if !slices.Equal(got, want) || len(got) == 0 {
			t.Errorf("%s: without ARNs %v, with %v", tc.kind, got, want)
		}
	}
}
