package output

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/trustaudit/trustaudit/internal/access"
	"github.com/trustaudit/trustaudit/internal/finding"
)

func init() { Register("sarif", SARIF) }

// The SARIF 2.1.0 subset trustaudit writes. Own structs rather than a SARIF module: the
// format needs a dozen types, and the schema test checks them against the OASIS schema.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool               sarifTool                    `json:"tool"`
	OriginalURIBaseIDs map[string]sarifArtifactBase `json:"originalUriBaseIds"`
	Invocations        []sarifInvocation            `json:"invocations"`
	Results            []sarifResult                `json:"results"`
	Properties         map[string]any               `json:"properties,omitempty"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID                   string            `json:"id"`
	Name                 string            `json:"name,omitempty"`
	ShortDescription     sarifMessage      `json:"shortDescription"`
	FullDescription      *sarifMessage     `json:"fullDescription,omitempty"`
	Help                 *sarifMessage     `json:"help,omitempty"`
	DefaultConfiguration sarifRuleConfig   `json:"defaultConfiguration"`
	Properties           sarifRuleProperty `json:"properties"`
}

type sarifRuleConfig struct {
	Level string `json:"level"`
}

type sarifRuleProperty struct {
	SecuritySeverity string   `json:"security-severity"`
	Severity         string   `json:"trustaudit-severity"`
	Tags             []string `json:"tags"`
	Precision        string   `json:"precision"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	StartTimeUTC               string              `json:"startTimeUtc,omitempty"`
	EndTimeUTC                 string              `json:"endTimeUtc,omitempty"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level      string            `json:"level"`
	Message    sarifMessage      `json:"message"`
	Descriptor *sarifDescriptor  `json:"descriptor,omitempty"`
	Properties map[string]string `json:"properties,omitempty"`
}

type sarifDescriptor struct {
	ID string `json:"id"`
}

type sarifResult struct {
	RuleID              string             `json:"ruleId"`
	RuleIndex           int                `json:"ruleIndex"`
	Level               string             `json:"level"`
	Message             sarifMessage       `json:"message"`
	Locations           []sarifLocation    `json:"locations"`
	PartialFingerprints map[string]string  `json:"partialFingerprints"`
	BaselineState       string             `json:"baselineState,omitempty"`
	Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
	Properties          map[string]any     `json:"properties"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysicalLocation  `json:"physicalLocation"`
	LogicalLocations []sarifLogicalLocation `json:"logicalLocations"`
}

type sarifPhysicalLocation struct {
	ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
}

type sarifArtifactLocation struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId"`
}

type sarifArtifactBase struct {
	Description sarifMessage `json:"description"`
}

// sarifResourceBase names the root of the pseudo-paths results point at. Code-scanning
// services show a result only at a file location, and a policy has none: each resource gets
// a stable path, account/region/kind/name, under this base, beside its ARN as the logical
// location.
const sarifResourceBase = "AWS_RESOURCES"

type sarifLogicalLocation struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

type sarifSuppression struct {
	Kind          string `json:"kind"`
	Status        string `json:"status"`
	Justification string `json:"justification,omitempty"`
}

// sarifFingerprint names the finding id in partialFingerprints; code-scanning services
// match results across uploads by it, as trustaudit's own diff does.
const sarifFingerprint = "trustauditFindingId/v1"

// SARIF writes a SARIF 2.1.0 log: one rule per rule id, one result per finding with the
// resource ARN as its logical location (a policy has no source file), and every gap as a
// tool execution notification with executionSuccessful false, so that an incomplete scan is
// not shown as a clean one. Suppressed findings carry an external suppression; known
// (baseline) findings the baseline state "unchanged".
func SARIF(w io.Writer, s *finding.Scan, _ Options) error {
	rules, index := sarifRules(s.Findings)
	results := make([]sarifResult, 0, len(s.Findings))
	for _, f := range s.Findings {
		r := sarifResult{
			RuleID:    f.Rule,
			RuleIndex: index[f.Rule],
			Level:     sarifLevel(f.Severity),
			Message:   sarifMessage{Text: f.Explanation},
			Locations: []sarifLocation{{
				PhysicalLocation: sarifPhysicalLocation{ArtifactLocation: sarifArtifactLocation{URI: resourcePath(f), URIBaseID: sarifResourceBase}},
				LogicalLocations: []sarifLogicalLocation{{
					Name: resourceName(f.ResourceARN), FullyQualifiedName: f.ResourceARN, Kind: "resource",
				}},
			}},
			PartialFingerprints: map[string]string{sarifFingerprint: f.ID},
			Properties:          findingProperties(f),
		}
		if f.Known {
			r.BaselineState = "unchanged"
		}
		if f.Suppressed {
			r.Suppressions = []sarifSuppression{{Kind: "external", Status: "accepted", Justification: f.SuppressedBy}}
		}
		results = append(results, r)
	}
	inv := sarifInvocation{ExecutionSuccessful: len(s.Gaps) == 0}
	if !s.StartedAt.IsZero() {
		inv.StartTimeUTC = s.StartedAt.UTC().Format(time.RFC3339Nano)
	}
	if !s.FinishedAt.IsZero() {
		inv.EndTimeUTC = s.FinishedAt.UTC().Format(time.RFC3339Nano)
	}
	for _, g := range s.Gaps {
		where := g.Account + "/" + g.Region
		if g.Resource != "" {
			where += " " + g.Resource
		}
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{
			Level:      "error",
			Message:    sarifMessage{Text: fmt.Sprintf("Not scanned: %s %s in %s: %s", g.Kind, g.Operation, where, g.Error)},
			Descriptor: &sarifDescriptor{ID: "gap"},
			Properties: map[string]string{"account": g.Account, "region": g.Region, "kind": g.Kind, "operation": g.Operation, "resource": g.Resource},
		})
	}
	for _, sk := range s.Skipped {
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{
			Level:      "note",
			Message:    sarifMessage{Text: fmt.Sprintf("Skipped %s in %s: %s", sk.Region, sk.Account, sk.Reason)},
			Descriptor: &sarifDescriptor{ID: "skipped"},
		})
	}
	for _, n := range s.Notices {
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{
			Level: "warning", Message: sarifMessage{Text: n}, Descriptor: &sarifDescriptor{ID: "notice"},
		})
	}
	log := sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs: []sarifRun{{
			Tool: sarifTool{Driver: sarifDriver{
				Name: s.Tool.Name, Version: s.Tool.Version,
				InformationURI: "https://github.com/trustaudit/trustaudit", Rules: rules,
			}},
			OriginalURIBaseIDs: map[string]sarifArtifactBase{sarifResourceBase: {Description: sarifMessage{
				Text: "The audited AWS resources, as account/region/kind/name; each result's logical location is the resource's ARN.",
			}}},
			Invocations: []sarifInvocation{inv},
			Results:     results,
			Properties: map[string]any{
				"accounts": nonNil(s.Accounts), "regions": nonNil(s.Regions),
				"trustedAccounts": nonNil(s.Boundary.TrustedAccounts), "trustedOrgs": nonNil(s.Boundary.TrustedOrgs),
			},
		}},
	}
	if log.Runs[0].Tool.Driver.Name == "" {
		log.Runs[0].Tool.Driver.Name = "trustaudit"
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(log); err != nil {
		return fmt.Errorf("write sarif: %w", err)
	}
	return nil
}

// sarifRules lists one rule per rule id that has a finding, in id order, with the access
// engine's description and remediation where the rule is one of its own (trail rules carry
// only the title the finding has).
func sarifRules(fs []finding.Finding) ([]sarifRule, map[string]int) {
	known := map[string]access.Rule{}
	for _, r := range access.Rules() {
		known[r.ID] = r
	}
	first := map[string]finding.Finding{}
	for _, f := range fs {
		if _, ok := first[f.Rule]; !ok {
			first[f.Rule] = f
		}
	}
	ids := sortedKeys(first)
	rules := make([]sarifRule, 0, len(ids))
	index := map[string]int{}
	for i, id := range ids {
		f := first[id]
		r := sarifRule{ID: id, ShortDescription: sarifMessage{Text: f.Title}}
		sev := f.Severity
		if ar, ok := known[id]; ok {
			sev = ar.Severity
			r.ShortDescription.Text = ar.Title
			if ar.Description != "" {
				r.FullDescription = &sarifMessage{Text: ar.Description}
			}
			if ar.Remediation != "" {
				r.Help = &sarifMessage{Text: ar.Remediation}
			}
		}
		r.DefaultConfiguration = sarifRuleConfig{Level: sarifLevel(sev)}
		r.Properties = sarifRuleProperty{
			SecuritySeverity: securitySeverity(sev), Severity: sev.String(),
			Tags: []string{"security", string(f.Category), f.Kind}, Precision: "very-high",
		}
		rules = append(rules, r)
		index[id] = i
	}
	return rules, index
}

func sarifLevel(s finding.Severity) string {
	switch {
	case s >= finding.SeverityHigh:
		return "error"
	case s == finding.SeverityMedium:
		return "warning"
	default:
		return "note"
	}
}

// securitySeverity is the CVSS-like score code-scanning services bucket by (over 9.0
// critical, 7.0 high, 4.0 medium, above 0 low).
func securitySeverity(s finding.Severity) string {
	switch s {
	case finding.SeverityCritical:
		return "9.5"
	case finding.SeverityHigh:
		return "8.0"
	case finding.SeverityMedium:
		return "5.5"
	case finding.SeverityLow:
		return "3.0"
	default:
		return "0.5"
	}
}

// findingProperties is the evidence a reviewer needs beside the message, for formats that
// take free-form properties.
func findingProperties(f finding.Finding) map[string]any {
	p := map[string]any{
		"id": f.ID, "severity": f.Severity.String(), "category": string(f.Category), "kind": f.Kind,
		"account": f.Account, "region": f.Region, "status": status(f),
	}
	add := func(k, v string) {
		if v != "" {
			p[k] = v
		}
	}
	addList := func(k string, v []string) {
		if len(v) > 0 {
			p[k] = v
		}
	}
	add("policyName", f.PolicyName)
	add("statementId", f.StatementID)
	p["statementIndex"] = f.StatementIndex
	add("principal", f.Principal)
	addList("accounts", f.Accounts)
	addList("orgs", f.Orgs)
	addList("services", f.Services)
	addList("actions", f.Actions)
	addList("conditions", f.Conditions)
	add("statement", f.Statement)
	add("suppressedBy", f.SuppressedBy)
	if f.Event != nil {
		p["event"] = f.Event
	}
	return p
}

// resourceName is the resource's own name from its ARN: the part after the last / (a role
// path, an SES identity), or after the resource type when the ARN uses colons (a Lambda
// function with its qualifier, a layer with its version).
func resourceName(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return arn
	}
	res := parts[5]
	if i := strings.LastIndexByte(res, '/'); i >= 0 && i < len(res)-1 {
		return res[i+1:]
	}
	if i := strings.IndexByte(res, ':'); i >= 0 && i < len(res)-1 {
		return res[i+1:]
	}
	return res
}

// resourcePath is a finding's pseudo-path under sarifResourceBase: URL path segments, so a
// name with a slash or a space stays one segment.
func resourcePath(f finding.Finding) string {
	seg := []string{f.Account, f.Region, f.Kind, resourceName(f.ResourceARN)}
	for i, s := range seg {
		if s == "" {
			s = "unknown"
		}
		seg[i] = url.PathEscape(s)
	}
	return strings.Join(seg, "/")
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clone(s)
}
