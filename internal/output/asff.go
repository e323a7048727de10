package output

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/trustaudit/trustaudit/internal/access"
	"github.com/trustaudit/trustaudit/internal/finding"
)

func init() { Register("asff", ASFF) }

// ASFFFinding is a finding in the AWS Security Finding Format (the fields trustaudit fills).
// Field names are ASFF's own, so the JSON is what BatchImportFindings takes.
type ASFFFinding struct {
	SchemaVersion string            `json:"SchemaVersion"`
	Id            string            `json:"Id"`
	ProductArn    string            `json:"ProductArn"`
	ProductName   string            `json:"ProductName"`
	CompanyName   string            `json:"CompanyName"`
	GeneratorId   string            `json:"GeneratorId"`
	AwsAccountId  string            `json:"AwsAccountId"`
	Region        string            `json:"Region"`
	Types         []string          `json:"Types"`
	CreatedAt     string            `json:"CreatedAt"`
	UpdatedAt     string            `json:"UpdatedAt"`
	Severity      asffSeverity      `json:"Severity"`
	Title         string            `json:"Title"`
	Description   string            `json:"Description"`
	Remediation   *asffRemediation  `json:"Remediation,omitempty"`
	ProductFields map[string]string `json:"ProductFields"`
	Resources     []asffResource    `json:"Resources"`
	Compliance    asffCompliance    `json:"Compliance"`
	RecordState   string            `json:"RecordState"`
	Workflow      asffWorkflow      `json:"Workflow"`
}

type asffSeverity struct {
	Label    string `json:"Label"`
	Original string `json:"Original"`
}

type asffRemediation struct {
	Recommendation asffRecommendation `json:"Recommendation"`
}

type asffRecommendation struct {
	Text string `json:"Text"`
}

type asffResource struct {
	Type      string `json:"Type"`
	Id        string `json:"Id"`
	Partition string `json:"Partition"`
	Region    string `json:"Region"`
}

type asffCompliance struct {
	Status string `json:"Status"`
}

type asffWorkflow struct {
	Status string `json:"Status"`
}

// ASFFTarget is where findings are imported: the Security Hub region and the importing
// account, which the product ARN names. Empty fields take each finding's own account and
// region (us-east-1 for global resources such as IAM roles).
type ASFFTarget struct {
	Region  string
	Account string
}

// Security Hub's limits on a finding's text fields, in characters.
const (
	asffTitleMax       = 256
	asffDescriptionMax = 1024
	asffRemediationMax = 512
	asffFieldValueMax  = 4096
)

// asffResourceTypes maps a kind to Security Hub's resource type; kinds it has no type for
// are "Other", as ASFF asks.
var asffResourceTypes = map[string]string{
	"iam-role":              "AwsIamRole",
	"lambda-function":       "AwsLambdaFunction",
	"lambda-layer":          "AwsLambdaLayerVersion",
	"s3-bucket":             "AwsS3Bucket",
	"s3-access-point":       "AwsS3AccessPoint",
	"sqs-queue":             "AwsSqsQueue",
	"sns-topic":             "AwsSnsTopic",
	"kms-key":               "AwsKmsKey",
	"ecr-repository":        "AwsEcrRepository",
	"secretsmanager-secret": "AwsSecretsManagerSecret",
	"opensearch-domain":     "AwsOpenSearchServiceDomain",
	"eventbridge-bus":       "AwsEventsEventbus",
	"backup-vault":          "AwsBackupBackupVault",
	"apigateway-rest-api":   "AwsApiGatewayRestApi",
	"rds-snapshot":          "AwsRdsDbSnapshot",
	"rds-cluster-snapshot":  "AwsRdsDbClusterSnapshot",
}

// ASFF writes {"Findings": [...]}, the body of a BatchImportFindings request, so that the
// file also works with `aws securityhub batch-import-findings --cli-input-json file://F`.
// Gaps have no place in ASFF; the other formats carry them.
func ASFF(w io.Writer, s *finding.Scan, _ Options) error {
	doc := struct {
		Findings []ASFFFinding `json:"Findings"`
	}{ASFFFindings(s, ASFFTarget{})}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write asff: %w", err)
	}
	return nil
}

// ASFFFindings converts every finding of s. Suppressed findings are sent with the workflow
// status SUPPRESSED (Security Hub hides them but keeps the record) and known (baseline)
// findings with NOTIFIED, so that an import keeps each finding's state in step with the scan.
func ASFFFindings(s *finding.Scan, t ASFFTarget) []ASFFFinding {
	remediation := map[string]string{}
	for _, r := range access.Rules() {
		remediation[r.ID] = r.Remediation
	}
	at := s.FinishedAt.UTC().Format("2006-01-02T15:04:05.000Z")
	out := make([]ASFFFinding, 0, len(s.Findings))
	for _, f := range s.Findings {
		partition := arnPartition(f.ResourceARN)
		region := t.Region
		if region == "" {
			region = f.Region
		}
		if region == "" || region == "global" {
			region = "us-east-1"
		}
		resRegion := f.Region
		if resRegion == "" || resRegion == "global" {
			resRegion = region
		}
		account := t.Account
		if account == "" {
			account = f.Account
		}
		product := fmt.Sprintf("arn:%s:securityhub:%s:%s:product/%s/default", partition, region, account, account)
		a := ASFFFinding{
			SchemaVersion: "2018-10-08",
			Id:            "trustaudit/" + f.ID,
			ProductArn:    product,
			ProductName:   "trustaudit",
			CompanyName:   "trustaudit",
			GeneratorId:   f.Rule,
			AwsAccountId:  f.Account,
			Region:        region,
			Types:         asffTypes(f),
			CreatedAt:     at,
			UpdatedAt:     at,
			Severity:      asffSeverity{Label: asffLabel(f.Severity), Original: f.Severity.String()},
			// Security Hub requires Title and Description; the engine always writes both,
			// but a hand-edited document may lack them.
			Title:         truncate(cmp.Or(f.Title, f.Rule), asffTitleMax),
			Description:   truncate(cmp.Or(f.Explanation, f.Title, f.Rule), asffDescriptionMax),
			ProductFields: asffProductFields(f),
			Resources: []asffResource{{
				Type: asffResourceType(f.Kind), Id: f.ResourceARN, Partition: partition, Region: resRegion,
			}},
			Compliance:  asffCompliance{Status: "FAILED"},
			RecordState: "ACTIVE",
			Workflow:    asffWorkflow{Status: "NEW"},
		}
		if r := remediation[f.Rule]; r != "" {
			a.Remediation = &asffRemediation{Recommendation: asffRecommendation{Text: truncate(r, asffRemediationMax)}}
		}
		switch {
		case f.Suppressed:
			a.Workflow.Status = "SUPPRESSED"
		case f.Known:
			a.Workflow.Status = "NOTIFIED"
		}
		out = append(out, a)
	}
	return out
}

func asffResourceType(kind string) string {
	if t, ok := asffResourceTypes[kind]; ok {
		return t
	}
	return "Other"
}

// asffTypes places the finding in ASFF's namespace/category/classifier taxonomy.
func asffTypes(f finding.Finding) []string {
	types := []string{"Software and Configuration Checks/AWS Security Best Practices/Resource Policy " + string(f.Category)}
	if f.Category == finding.CategoryPublic {
		types = append(types, "Effects/Data Exposure/Public Resource Policy")
	}
	return types
}

func asffLabel(s finding.Severity) string {
	switch s {
	case finding.SeverityCritical:
		return "CRITICAL"
	case finding.SeverityHigh:
		return "HIGH"
	case finding.SeverityMedium:
		return "MEDIUM"
	case finding.SeverityLow:
		return "LOW"
	default:
		return "INFORMATIONAL"
	}
}

func asffProductFields(f finding.Finding) map[string]string {
	p := map[string]string{
		"trustaudit/FindingId": f.ID,
		"trustaudit/Category":  string(f.Category),
		"trustaudit/Kind":      f.Kind,
		"trustaudit/Status":    status(f),
	}
	add := func(k, v string) {
		if v != "" {
			p["trustaudit/"+k] = truncate(v, asffFieldValueMax)
		}
	}
	add("PolicyName", f.PolicyName)
	add("StatementId", f.StatementID)
	add("Principal", f.Principal)
	add("Accounts", strings.Join(f.Accounts, " "))
	add("Orgs", strings.Join(f.Orgs, " "))
	add("Services", strings.Join(f.Services, " "))
	add("Actions", strings.Join(f.Actions, " "))
	add("SuppressedBy", f.SuppressedBy)
	return p
}

// arnPartition reads the partition from an ARN, "aws" if it is not one.
func arnPartition(arn string) string {
	parts := strings.SplitN(arn, ":", 3)
	if len(parts) == 3 && parts[0] == "arn" && parts[1] != "" {
		return parts[1]
	}
	return "aws"
}

// truncate shortens s to at most n characters, marking the cut.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
