package access

import (
	"github.com/trustaudit/trustaudit/internal/finding"
)

// Rule is one check the engine reports against. Its ID is stable: suppressions, baselines and
// SARIF results refer to it.
type Rule struct {
	ID          string
	Title       string
	Severity    finding.Severity
	Category    finding.Category
	Kind        Kind
	Description string
	Remediation string
}

// ruleSuffixPassRole is the confused-deputy rule for role trust policies that name only
// services which take a role solely through iam:PassRole inside the owner's account: no
// other account can make the service use the role, so the finding is hygiene, not exposure.
const ruleSuffixPassRole = "confused-deputy-passrole"

var (
	rules      []Rule
	ruleIndex  = map[Kind]map[finding.Category]Rule{}
	passRoleRl Rule
)

func init() {
	for _, ki := range kindTable {
		ruleIndex[ki.kind] = map[finding.Category]Rule{}
		cross := finding.SeverityHigh
		if ki.crossAccountMedium {
			cross = finding.SeverityMedium
		}
		add := func(r Rule) {
			rules = append(rules, r)
			ruleIndex[ki.kind][r.Category] = r
		}
		add(Rule{
			ID:       string(ki.kind) + "/public",
			Title:    ki.noun + " is public",
			Severity: finding.SeverityCritical,
			Category: finding.CategoryPublic,
			Kind:     ki.kind,
			Description: "The " + ki.noun + "'s resource policy lets anyone, in any AWS account or none, " + ki.access +
				": an Allow statement names every principal and no condition pins the caller to an account, organization, network or fixed identity.",
			Remediation: "Replace the wildcard principal with the accounts that need access, or add a condition with a fixed value such as aws:PrincipalOrgID or aws:SourceAccount.",
		})
		add(Rule{
			ID:       string(ki.kind) + "/untrusted-account",
			Title:    ki.noun + " grants access to an untrusted account",
			Severity: cross,
			Category: finding.CategoryUntrustedAccount,
			Kind:     ki.kind,
			Description: "The " + ki.noun + "'s resource policy lets an AWS account outside the trust boundary " + ki.access +
				". Unknown cross-account access is how a resource is quietly shared with an attacker.",
			Remediation: "Remove the statement or the untrusted principal; if the account is legitimately a partner, add it to the trusted accounts.",
		})
		add(Rule{
			ID:          string(ki.kind) + "/untrusted-org",
			Title:       ki.noun + " grants access to an untrusted organization",
			Severity:    cross,
			Category:    finding.CategoryUntrustedOrg,
			Kind:        ki.kind,
			Description: "The " + ki.noun + "'s resource policy lets every account of an AWS organization outside the trust boundary " + ki.access + ".",
			Remediation: "Change the organization condition to your own organization id, or add the organization to the trusted organizations if it is yours.",
		})
		add(Rule{
			ID:       string(ki.kind) + "/confused-deputy",
			Title:    ki.noun + " lets a service act for any account (confused deputy)",
			Severity: finding.SeverityMedium,
			Category: finding.CategoryConfusedDeputy,
			Kind:     ki.kind,
			Description: "The " + ki.noun + "'s resource policy grants an AWS service principal without an aws:SourceAccount, aws:SourceArn or aws:SourceOrgID condition, " +
				"so anyone who can point that service at this resource from their own account can make the service " + ki.access + " on their behalf.",
			Remediation: "Add a StringEquals aws:SourceAccount condition with your account id, or an ArnLike aws:SourceArn condition naming the resource that uses the service.",
		})
		if ki.kind == KindIAMRole {
			passRoleRl = Rule{
				ID:       string(ki.kind) + "/" + ruleSuffixPassRole,
				Title:    "IAM role trusts a compute service without a source condition",
				Severity: finding.SeverityLow,
				Category: finding.CategoryConfusedDeputy,
				Kind:     ki.kind,
				Description: "The role's trust policy lets a compute service (such as EC2, Lambda or ECS tasks) assume it with no aws:SourceAccount or aws:SourceArn condition. " +
					"These services take a role only when a principal with iam:PassRole in your account attaches it, so the exposure is low, but a source condition documents the intent.",
				Remediation: "Optionally add a StringEquals aws:SourceAccount condition with your account id.",
			}
			rules = append(rules, passRoleRl)
		}
	}
}

// Rules lists every rule, grouped by kind in Kinds() order.
func Rules() []Rule {
	out := make([]Rule, len(rules))
	copy(out, rules)
	return out
}

// RuleFor returns the rule for a kind and category. For an unknown kind it returns a rule
// whose ID still names kind and category, so a finding is never silently unlabelled.
func RuleFor(kind Kind, cat finding.Category) Rule {
	if m, ok := ruleIndex[kind]; ok {
		if r, ok := m[cat]; ok {
			return r
		}
	}
	return Rule{ID: string(kind) + "/" + string(cat), Title: string(kind) + " " + string(cat), Severity: finding.SeverityHigh, Category: cat, Kind: kind}
}

// passRoleServices are service principals that assume a role only as the execution role of
// a compute resource created in the role's own account by a principal allowed iam:PassRole
// on it. Another account cannot make them use the role, which is why their missing source
// condition is rated low. Services that act across accounts (sns, s3, events, config,
// cloudtrail, ...) are deliberately absent.
var passRoleServices = []string{
	"batch", "codebuild", "ec2", "ecs-tasks", "edgelambda", "eks-fargate-pods", "glue",
	"lambda", "sagemaker", "states", "tasks.apprunner",
}

// isPassRoleService reports whether svc ("ec2.amazonaws.com", "ec2.amazonaws.com.cn") is one
// of passRoleServices.
func isPassRoleService(svc string) bool {
	name, ok := serviceName(svc)
	if !ok {
		return false
	}
	for _, s := range passRoleServices {
		if s == name {
			return true
		}
	}
	return false
}

// serviceName strips the AWS service-principal domain.
func serviceName(svc string) (string, bool) {
	for _, suffix := range []string{".amazonaws.com", ".amazonaws.com.cn"} {
		if len(svc) > len(suffix) && svc[len(svc)-len(suffix):] == suffix {
			return svc[:len(svc)-len(suffix)], true
		}
	}
	return "", false
}
