package awssim

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
)

func asffFinding(id, account, region string) types.AwsSecurityFinding {
	return types.AwsSecurityFinding{
		SchemaVersion: aws.String("2018-10-08"),
		Id:            aws.String(id),
		ProductArn:    aws.String(fmt.Sprintf("arn:aws:securityhub:%s:%s:product/%s/default", region, account, account)),
		GeneratorId:   aws.String("lambda-function/public"),
		AwsAccountId:  aws.String(account),
		CreatedAt:     aws.String("2026-11-25T09:30:12.340Z"),
		UpdatedAt:     aws.String("2026-11-25T09:30:12.340Z"),
		Title:         aws.String("Lambda function is public"),
		Description:   aws.String("anyone may invoke"),
		Severity:      &types.Severity{Label: types.SeverityLabelCritical},
		Types:         []string{"Software and Configuration Checks/AWS Security Best Practices/Resource Policy public"},
		Resources: []types.Resource{{
			Type: aws.String("AwsLambdaFunction"), Id: aws.String("arn:aws:lambda:" + region + ":" + account + ":function:" + id),
		}},
	}
}

func TestSecurityHubBatchImportFindings(t *testing.T) {
	sim, err := Start(Options{World: DemoWorld()})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	const account, region = "111122223333", "eu-west-1"
	client := securityhub.NewFromConfig(sim.Config(DemoAccessKey, region))
	ctx := context.Background()

	big := asffFinding("big", account, region)
	big.Description = aws.String(strings.Repeat("x", 250*1024))
	out, err := client.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: []types.AwsSecurityFinding{
		asffFinding("a", account, region),
		asffFinding("b", account, region),
		asffFinding("other-account", "444455556666", region),
		asffFinding("other-region", account, "us-east-1"),
		big,
	}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(out.SuccessCount) != 2 || aws.ToInt32(out.FailedCount) != 3 || len(out.FailedFindings) != 3 {
		t.Fatalf("success %d failed %d %+v", aws.ToInt32(out.SuccessCount), aws.ToInt32(out.FailedCount), out.FailedFindings)
	}
	codes := map[string]string{}
	for _, f := range out.FailedFindings {
		codes[aws.ToString(f.Id)] = aws.ToString(f.ErrorCode) + ": " + aws.ToString(f.ErrorMessage)
	}
	for id, want := range map[string]string{"other-account": "AccessDeniedException", "other-region": "AccessDeniedException", "big": "240 KB"} {
		if !strings.Contains(codes[id], want) {
			t.Errorf("%s: %q, want %q", id, codes[id], want)
		}
	}
	got := sim.SecurityHubFindings(account, region)
	if len(got) != 2 || got[0]["Id"] != "a" || got[1]["Id"] != "b" {
		t.Fatalf("stored %v", got)
	}
	if sev := got[0]["Severity"].(map[string]any)["Label"]; sev != "CRITICAL" {
		t.Errorf("stored severity %v", sev)
	}

	// Importing a finding again updates it rather than adding one.
	again := asffFinding("a", account, region)
	again.Title = aws.String("retitled")
	if _, err := client.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: []types.AwsSecurityFinding{again}}); err != nil {
		t.Fatal(err)
	}
	got = sim.SecurityHubFindings(account, region)
	if len(got) != 2 || got[0]["Title"] != "retitled" {
		t.Errorf("after re-import: %v", got)
	}

	// More than 100 findings in one request is refused whole.
	many := make([]types.AwsSecurityFinding, 101)
	for i := range many {
		many[i] = asffFinding(fmt.Sprint("m", i), account, region)
	}
	_, err = client.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: many})
	var bad *types.InvalidInputException
	if !errors.As(err, &bad) || !strings.Contains(bad.ErrorMessage(), "at most 100") {
		t.Errorf("101 findings: %v", err)
	}
	if n := len(sim.SecurityHubFindings(account, region)); n != 2 {
		t.Errorf("a refused request stored findings: %d", n)
	}
}
