package access

import (
	"testing"

	"github.com/trustaudit/trustaudit/internal/finding"
	"github.com/trustaudit/trustaudit/internal/policy"
)

// FuzzEvaluate feeds whatever the parser accepts to the engine: it must never panic, and
// its summary must always agree with its findings.
func FuzzEvaluate(f *testing.F) {
	for _, p := range benchPolicies {
		f.Add(p.doc)
	}
	for _, s := range []string{
		star(cond("ArnLike", "aws:SourceArn", "arn:")),
		star(cond("ArnLike", "aws:SourceArn", "arn:aws:s3::")),
		star(cond("IpAddress", "aws:SourceIp", "::/0")),
		star(cond("StringLike", "aws:PrincipalOrgPaths", "/")),
		pol(allow(fed("arn:aws:iam::"+owner+":oidc-provider/"), "", "")),
		pol(allow(aws("arn:::::"), "", ""), stmt("Deny", "NotPrincipal", aws("arn:"), `"*"`, `"*"`, "")),
	} {
		f.Add(s)
	}
	b, _ := NewBoundary([]string{partner}, []string{trustOrg})
	f.Fuzz(func(t *testing.T, s string) {
		doc, err := policy.ParseString(s)
		if err != nil {
			return
		}
		for _, k := range []Kind{KindIAMRole, KindS3Bucket} {
			r := Evaluate(Input{Kind: k, Owner: owner, Doc: doc}, b)
			if r.Public != hasCategory(r, finding.CategoryPublic) || r.ConfusedDeputy != hasCategory(r, finding.CategoryConfusedDeputy) ||
				(len(r.UntrustedAccounts) > 0) != hasCategory(r, finding.CategoryUntrustedAccount) ||
				(len(r.UntrustedOrgs) > 0) != hasCategory(r, finding.CategoryUntrustedOrg) {
				t.Fatalf("summary disagrees with findings for %s:\n%+v", s, r)
			}
			for _, a := range r.UntrustedAccounts {
				if !isAccountID(a) || a == owner || a == partner {
					t.Fatalf("bad untrusted account %q for %s", a, s)
				}
			}
		}
	})
}
