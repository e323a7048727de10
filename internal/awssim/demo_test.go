package awssim

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"

	"github.com/trustaudit/trustaudit/internal/policy"
	"github.com/trustaudit/trustaudit/internal/world"
)

// endgameSESPolicy is the policy endgame writes (the rule page of seed 001), byte for byte.
const endgameSESPolicy = `{"Version":"2012-10-17","Statement":[{"Sid":"AllowCurrentAccount","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"ses:*","Resource":"arn:aws:ses:us-east-1:111122223333:identity/test-resource-exposure.com"},{"Sid":"Endgame","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:user/evil"},"Action":"ses:*","Resource":"arn:aws:ses:us-east-1:111122223333:identity/test-resource-exposure.com"}]}`

// demoPolicies lists every policy of a world by a readable place name.
func demoPolicies(w *world.World) map[string]string {
	out := map[string]string{}
	for _, a := range w.Accounts {
		for _, r := range a.IAM.Roles {
			out[a.ID+" role "+r.Name] = string(r.AssumeRolePolicy)
		}
		for _, r := range a.Regions {
			at := a.ID + " " + r.Name + " "
			for _, id := range r.SESIdentities {
				for name, p := range id.Policies {
					out[at+"ses "+id.Identity+" "+name] = string(p)
				}
			}
			for _, f := range r.LambdaFunctions {
				if f.Policy != "" {
					out[at+"function "+f.Name] = string(f.Policy)
				}
				for _, v := range f.Versions {
					if v.Policy != "" {
						out[at+"function "+f.Name+":"+v.Version] = string(v.Policy)
					}
				}
				for _, al := range f.Aliases {
					if al.Policy != "" {
						out[at+"function "+f.Name+":"+al.Name] = string(al.Policy)
					}
				}
			}
			for _, l := range r.LambdaLayers {
				for _, v := range l.Versions {
					if v.Policy != "" {
						out[at+"layer "+l.Name+":"+strconv.FormatInt(v.Version, 10)] = string(v.Policy)
					}
				}
			}
		}
	}
	return out
}

func TestDemoWorldHoldsEachMisconfiguration(t *testing.T) {
	w := DemoWorld()
	if err := w.Validate(); err != nil {
		t.Fatal(err)
	}
	if w.Organization == nil || w.Organization.ID != "o-demo0000001" || w.Organization.ManagementAccount != "111122223333" {
		t.Fatalf("organization %+v", w.Organization)
	}
	pols := demoPolicies(w)
	for place, p := range pols {
		if _, err := policy.ParseString(p); err != nil {
			t.Errorf("%s: %v", place, err)
		}
	}
	// What each demo resource is there to show (demo/README.md), by a telling piece of text.
	want := []struct{ place, contains string }{
		{"111122223333 us-east-1 ses test-resource-exposure.com Endgame", endgameSESPolicy},
		{"111122223333 us-east-1 ses cloudrealisation.com Policy-12345678901234", `"AWS":"arn:aws:iam::123456789012:root"`},
		{"111122223333 eu-west-1 ses newsletter.demo.example.com public-send", `"Principal":"*"`},
		{"111122223333 us-east-1 ses notifications.demo.example.com same-account-sender", `arn:aws:iam::111122223333:user/notifier`},
		{"111122223333 us-east-1 function orders-api", `"Principal":{"AWS":"arn:aws:iam::999988887777:root"},"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:111122223333:function:orders-api"`},
		{"111122223333 us-east-1 function public-url-handler", `"Principal":"*","Action":"lambda:InvokeFunctionUrl"`},
		{"111122223333 us-east-1 function thumbnailer", `{"Service":"s3.amazonaws.com"}`},
		{"111122223333 us-east-1 function payments-worker:live", `arn:aws:iam::999988887777:root`},
		{"111122223333 us-east-1 function payments-worker:1", `arn:aws:iam::111122223333:root`},
		{"111122223333 eu-west-1 function report-builder", `"AWS:SourceAccount":"111122223333"`},
		{"111122223333 us-east-1 layer shared-utils:1", `"Principal":"*","Action":"lambda:GetLayerVersion"`},
		{"111122223333 us-east-1 layer internal-sdk:1", `arn:aws:iam::444455556666:root`},
		{"111122223333 role vendor-integration", `arn:aws:iam::999988887777:root`},
		{"111122223333 role shared-services-deploy", `arn:aws:iam::444455556666:root`},
		{"111122223333 role thirdparty-monitoring", `"sts:ExternalId":"ideo5"`},
		{"111122223333 role public-assume", `{"AWS":"*"}`},
		{"111122223333 role app-instance", `{"Service":"ec2.amazonaws.com"}`},
		{"111122223333 role github-deploy", `token.actions.githubusercontent.com:aud`},
		{"111122223333 role trustaudit-audit", `arn:aws:iam::111122223333:root`},
		{"444455556666 role trustaudit-audit", `arn:aws:iam::111122223333:root`},
		{"444455556666 role partner-etl", `arn:aws:iam::999988887777:role/etl-runner`},
	}
	for _, tc := range want {
		p, ok := pols[tc.place]
		if !ok {
			t.Errorf("%s: missing", tc.place)
			continue
		}
		if !strings.Contains(p, tc.contains) {
			t.Errorf("%s: policy %s lacks %s", tc.place, p, tc.contains)
		}
	}
	if strings.Contains(pols["111122223333 role github-deploy"], ":sub") {
		t.Error("github-deploy must not pin the sub claim")
	}
	if strings.Contains(pols["111122223333 us-east-1 function thumbnailer"], "SourceAccount") {
		t.Error("thumbnailer must have no SourceAccount")
	}
	if _, ok := pols["111122223333 us-east-1 function payments-worker"]; ok {
		t.Error("payments-worker $LATEST must have no policy: only the alias is foreign")
	}
	for _, a := range w.Accounts {
		var disabled, enabled []string
		for _, r := range a.Regions {
			if r.Enabled() {
				enabled = append(enabled, r.Name)
			} else {
				disabled = append(disabled, r.Name)
			}
		}
		if diff := cmp.Diff([]string{"us-east-1", "eu-west-1", "ap-southeast-2"}, enabled); diff != "" {
			t.Errorf("%s enabled regions: %s", a.ID, diff)
		}
		if diff := cmp.Diff([]string{"af-south-1"}, disabled); diff != "" {
			t.Errorf("%s disabled regions: %s", a.ID, diff)
		}
	}
}

func TestDemoWorldServedToTheSDK(t *testing.T) {
	s, err := Start(Options{World: DemoWorld()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := s.Config(DemoAccessKey, "us-east-1")
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || *id.Arn != "arn:aws:iam::111122223333:user/auditor" {
		t.Fatalf("caller %v %v", id, err)
	}
	// The audit role of each account admits the management account's auditor.
	for _, acct := range []string{"111122223333", "444455556666"} {
		out, err := sts.NewFromConfig(cfg).AssumeRole(ctx, &sts.AssumeRoleInput{
			RoleArn: aws.String("arn:aws:iam::" + acct + ":role/" + DemoAuditRole), RoleSessionName: aws.String("trustaudit")})
		if err != nil {
			t.Fatalf("assume into %s: %v", acct, err)
		}
		roles, err := iam.NewFromConfig(s.Config(*out.Credentials.AccessKeyId, "us-east-1")).ListRoles(ctx, &iam.ListRolesInput{})
		if err != nil || len(roles.Roles) < 3 {
			t.Errorf("roles of %s: %v", acct, err)
		}
	}
	got, err := ses.NewFromConfig(cfg).GetIdentityPolicies(ctx, &ses.GetIdentityPoliciesInput{
		Identity: aws.String("test-resource-exposure.com"), PolicyNames: []string{"Endgame"}})
	if err != nil || got.Policies["Endgame"] != endgameSESPolicy {
		t.Errorf("SES GetIdentityPolicies: %v %v", got, err)
	}
	pol, err := lambda.NewFromConfig(cfg).GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("orders-api")})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(*pol.Policy, `{"Version":"2012-10-17","Id":"default","Statement":[`) {
		t.Errorf("Lambda GetPolicy: %s", *pol.Policy)
	}
}
