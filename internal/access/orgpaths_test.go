package access

import (
	"slices"
	"strings"
	"testing"
)

// OU paths of the trusted organization: ou1 holds sub, ou2 is its sibling.
const (
	rootPath = trustOrg + "/r-ab12/"
	ou1      = rootPath + "ou-ab12-11111111/"
	ou2      = rootPath + "ou-ab12-22222222/"
	sub      = ou1 + "ou-ab12-33333333/"
)

func orgPaths(vals ...string) string {
	return cond("ForAnyValue:StringLike", "aws:PrincipalOrgPaths", vals...)
}

// A trusted OU path trusts its subtree and nothing above or beside it.
func TestTrustedOrgPaths(t *testing.T) {
	onlyOU1 := []string{ou1}
	runCases(t, []evalCase{
		{name: "condition on the trusted path", paths: onlyOU1, policy: star(orgPaths(ou1 + "*")), want: ok()},
		{name: "condition on a sub-OU of the trusted path", paths: onlyOU1, policy: star(orgPaths(sub + "*")), want: ok()},
		{name: "trusted path given without its trailing slash", paths: []string{strings.TrimSuffix(ou1, "/")}, policy: star(orgPaths(sub + "*")), want: ok()},
		{name: "condition value without a wildcard is that subtree", paths: onlyOU1, policy: star(cond("ForAnyValue:StringEquals", "aws:PrincipalOrgPaths", strings.TrimSuffix(ou1, "/"))), want: ok()},
		{name: "wildcard inside a segment cuts back to the parent", paths: onlyOU1, policy: star(orgPaths(rootPath + "ou-ab12-1111*")),
			want: orgsW(trustOrg).naming(rootPath)},
		{name: "condition on the parent path", paths: onlyOU1, policy: star(orgPaths(rootPath + "*")),
			want: orgsW(trustOrg).withRules("sqs-queue/untrusted-org").naming(rootPath).explaining(
				"lets every account under OU path "+rootPath+" of organization "+trustOrg+" (not trusted) perform sqs:SendMessage",
				"which admits every account in that OU subtree",
				"the trust boundary trusts only OU path "+ou1+" of organization "+trustOrg)},
		{name: "condition on the whole organization", paths: onlyOU1, policy: star(orgPaths(trustOrg + "/*")),
			want: orgsW(trustOrg).naming(trustOrg).explaining("lets every account of organization "+trustOrg+" (not trusted)", "which admits every member of that organization")},
		{name: "PrincipalOrgID when only a sub-OU is trusted", paths: onlyOU1, policy: star(cond("StringEquals", "aws:PrincipalOrgID", trustOrg)),
			want: orgsW(trustOrg).naming(trustOrg)},
		{name: "sibling OU", paths: onlyOU1, policy: star(orgPaths(ou2 + "*")),
			want: orgsW(trustOrg).naming(ou2).explaining("under OU path " + ou2 + " of organization " + trustOrg)},
		{name: "wildcard in the middle is the whole organization", paths: onlyOU1, policy: star(orgPaths(trustOrg + "/*/ou-ab12-11111111/*")),
			want: orgsW(trustOrg).naming(trustOrg)},
		{name: "wildcard in the organization segment is public", paths: onlyOU1, policy: star(orgPaths("o-*/r-ab12/ou-ab12-11111111/*")), want: pub()},
		{name: "policy variable in the path cuts there", paths: onlyOU1, policy: star(orgPaths(ou1 + "${aws:PrincipalTag/ou}/*")), want: ok()},
		{name: "trusted and sibling values name only the sibling", paths: onlyOU1, policy: star(orgPaths(ou1+"*", ou2+"*")),
			want: orgsW(trustOrg).naming(ou2)},
		{name: "parent and whole organization collapse to the organization", policy: star(orgPaths(rootPath+"*", trustOrg+"/*")),
			want: orgsW(trustOrg).naming(trustOrg)},
		{name: "two trusted paths", paths: []string{ou1, ou2}, policy: star(orgPaths(ou1+"*", ou2+"*")), want: ok()},
		{name: "trusted organization covers every path", orgs: []string{trustOrg}, policy: star(orgPaths(ou2 + "*")), want: ok()},
		{name: "untrusted organization's path is named", policy: star(orgPaths(evilOrg + "/r-ab12/ou-ab12-11111111/*")),
			want: orgsW(evilOrg).naming(evilOrg + "/r-ab12/ou-ab12-11111111/")},
		{name: "trusted path of another organization does not trust this one", paths: []string{evilOrg + "/r-ab12/ou-ab12-11111111/"}, policy: star(orgPaths(ou1 + "*")),
			want: orgsW(trustOrg).naming(ou1)},
		{name: "PrincipalOrgID and a trusted path intersect to the path", paths: onlyOU1, policy: star(`{"StringEquals":{"aws:PrincipalOrgID":"` + trustOrg + `"},"ForAnyValue:StringLike":{"aws:PrincipalOrgPaths":"` + ou1 + `*"}}`), want: ok()},
		{name: "PrincipalOrgID and a sibling path intersect to the sibling", paths: onlyOU1, policy: star(`{"StringEquals":{"aws:PrincipalOrgID":"` + trustOrg + `"},"ForAnyValue:StringLike":{"aws:PrincipalOrgPaths":"` + ou2 + `*"}}`),
			want: orgsW(trustOrg).naming(ou2)},
		{name: "PrincipalOrgID of another organization and a path grant nothing", policy: star(`{"StringEquals":{"aws:PrincipalOrgID":"` + evilOrg + `"},"ForAnyValue:StringLike":{"aws:PrincipalOrgPaths":"` + ou1 + `*"}}`), want: ok()},
		{name: "parent and child path conditions intersect to the child", paths: []string{sub}, policy: star(`{"ForAnyValue:StringLike":{"aws:PrincipalOrgPaths":"` + ou1 + `*"},"StringLike":{"aws:PrincipalOrgPaths":"` + sub + `*"}}`), want: ok()},
		{name: "sibling path conditions grant nothing", policy: star(`{"ForAnyValue:StringLike":{"aws:PrincipalOrgPaths":"` + ou1 + `*"},"StringLike":{"aws:PrincipalOrgPaths":"` + ou2 + `*"}}`), want: ok()},
		{name: "explicit foreign account inside a trusted path", paths: onlyOU1, policy: pol(allow(aws(evil), "", orgPaths(ou1+"*"))), want: ok()},
		{name: "PrincipalOrgID value with a slash matches nobody", policy: star(cond("StringEquals", "aws:PrincipalOrgID", ou1)), want: ok()},
	})
}

// aws:SourceOrgPaths pins whom a service acts for by OU path.
func TestServiceOrgPaths(t *testing.T) {
	sns := svc("sns.amazonaws.com")
	runCases(t, []evalCase{
		{name: "SourceOrgPaths inside the trusted path", paths: []string{ou1}, policy: pol(allow(sns, "", cond("ForAnyValue:StringLike", "aws:SourceOrgPaths", sub+"*"))), want: ok()},
		{name: "SourceOrgPaths on a sibling OU", paths: []string{ou1}, policy: pol(allow(sns, "", cond("ForAnyValue:StringLike", "aws:SourceOrgPaths", ou2+"*"))),
			want: orgsW(trustOrg).withRules("sqs-queue/untrusted-org").naming(ou2).explaining("under OU path " + ou2)},
		{name: "SourceOrgPaths and SourceOrgID intersect", paths: []string{ou1}, policy: pol(allow(sns, "", `{"StringEquals":{"aws:SourceOrgID":"`+trustOrg+`"},"ForAnyValue:StringLike":{"aws:SourceOrgPaths":"`+ou1+`*"}}`)), want: ok()},
		{name: "SourceOrgPaths with a wildcard organization is a deputy", paths: []string{ou1}, policy: pol(allow(sns, "", cond("ForAnyValue:StringLike", "aws:SourceOrgPaths", "*/r-ab12/*"))), want: deputy()},
	})
}

// A Deny with a negated OU path condition narrows the Allows it covers to that path.
func TestDenyOrgPaths(t *testing.T) {
	deny := func(c string) string { return stmt("Deny", "Principal", `"*"`, `"*"`, `"*"`, c) }
	notPaths := func(vals ...string) string {
		return cond("ForAnyValue:StringNotLike", "aws:PrincipalOrgPaths", vals...)
	}
	runCases(t, []evalCase{
		{name: "Deny outside the trusted path closes a public Allow", paths: []string{ou1}, policy: pol(allow(`"*"`, "", ""), deny(cond("StringNotLike", "aws:PrincipalOrgPaths", ou1+"*"))), want: ok()},
		{name: "Deny outside a sub-OU of the trusted path", paths: []string{ou1}, policy: pol(allow(`"*"`, "", ""), deny(cond("StringNotLike", "aws:PrincipalOrgPaths", sub+"*"))), want: ok()},
		{name: "Deny outside the parent leaves the parent", paths: []string{ou1}, policy: pol(allow(`"*"`, "", ""), deny(cond("StringNotLike", "aws:PrincipalOrgPaths", rootPath+"*"))),
			want: orgsW(trustOrg).naming(rootPath).explaining("narrows it but does not close it")},
		{name: "Deny with a wildcard in the middle leaves the organization", paths: []string{ou1}, policy: pol(allow(`"*"`, "", ""), deny(cond("StringNotLike", "aws:PrincipalOrgPaths", trustOrg+"/*/ou-ab12-11111111/*"))),
			want: orgsW(trustOrg).naming(trustOrg)},
		{name: "Deny outside a sibling path under a trusted-org Allow", paths: []string{ou1}, policy: pol(allow(`"*"`, "", cond("StringEquals", "aws:PrincipalOrgID", trustOrg)), deny(cond("StringNotLike", "aws:PrincipalOrgPaths", ou2+"*"))),
			want: orgsW(trustOrg).naming(ou2)},
		{name: "Deny outside the trusted path or a trusted account", trusted: []string{partner}, paths: []string{ou1},
			policy: pol(allow(`"*"`, "", ""), deny(`{"StringNotLike":{"aws:PrincipalOrgPaths":"`+ou1+`*"},"StringNotEquals":{"aws:PrincipalAccount":"`+partner+`"}}`)), want: ok()},
		{name: "Deny outside a sibling path or an account cannot be narrowed", trusted: []string{partner}, paths: []string{ou1},
			policy: pol(allow(`"*"`, "", ""), deny(`{"StringNotLike":{"aws:PrincipalOrgPaths":"`+ou2+`*"},"StringNotEquals":{"aws:PrincipalAccount":"`+partner+`"}}`)), want: pub()},
		{name: "Deny keeps services out unless SourceOrgPaths lets them", paths: []string{ou1},
			policy: pol(allow(svc("sns.amazonaws.com"), "", ""), deny(`{"StringNotLike":{"aws:SourceOrgPaths":"`+ou2+`*"}}`)),
			want:   orgsW(trustOrg).naming(ou2)},
		{name: "ForAnyValue negation is not a perimeter", paths: []string{ou1}, policy: pol(allow(`"*"`, "", ""), deny(notPaths(ou1+"*"))), want: pub()},
	})
}

func TestParseOrgPath(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{in: ou1, want: ou1},
		{in: strings.TrimSuffix(sub, "/"), want: sub},
		{in: " " + rootPath + " ", want: rootPath},
		{in: trustOrg + "/r-ab12", want: rootPath},
		{in: trustOrg, err: "a path starts with the organization id and its root id"},
		{in: trustOrg + "/r-ab12/ou-ab12-11111111/*", err: "wildcards are not allowed"},
		{in: trustOrg + "/*/ou-ab12-11111111/", err: "wildcards are not allowed"},
		{in: "o-abc/r-ab12/", err: `"o-abc" is not an organization id`},
		{in: trustOrg + "/root/", err: `"root" is not a root id`},
		{in: trustOrg + "/r-ab12/ou-ab12/", err: `"ou-ab12" is not an OU id`},
		{in: trustOrg + "/r-ab12//ou-ab12-11111111/", err: `"" is not an OU id`},
		{in: trustOrg + "/r-ab12/OU-AB12-11111111/", err: `is not an OU id`},
		{in: "", err: "a path starts with"},
	} {
		got, err := ParseOrgPath(tc.in)
		switch {
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("ParseOrgPath(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		case tc.err != "" && err == nil:
			t.Errorf("ParseOrgPath(%q) = %q, want an error", tc.in, got)
		case tc.err != "":
			msg := err.Error()
			for _, w := range []string{tc.err, strings.TrimSpace(tc.in), "expected an OU path such as o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"} {
				if !strings.Contains(msg, w) {
					t.Errorf("ParseOrgPath(%q) error %q lacks %q", tc.in, msg, w)
				}
			}
		}
	}
}

func TestBoundaryOrgPaths(t *testing.T) {
	b, err := NewBoundary([]string{partner}, []string{evilOrg})
	if err != nil {
		t.Fatal(err)
	}
	w, err := b.WithOrgPaths([]string{ou2, strings.TrimSuffix(ou1, "/"), ou1})
	if err != nil {
		t.Fatal(err)
	}
	if got := w.OrgPaths(); !slices.Equal(got, []string{ou1, ou2}) {
		t.Errorf("OrgPaths = %q, want sorted, normalised and unique", got)
	}
	if len(b.OrgPaths()) != 0 {
		t.Error("WithOrgPaths changed the original boundary")
	}
	ww, err := w.With([]string{owner}, []string{"o-org0000001"})
	if err != nil {
		t.Fatal(err)
	}
	if got := ww.OrgPaths(); !slices.Equal(got, []string{ou1, ou2}) {
		t.Errorf("With dropped the OU paths: %q", got)
	}
	if _, err := w.WithOrgPaths([]string{ou1, "o-bad/r-ab12/"}); err == nil || !strings.Contains(err.Error(), "o-bad/r-ab12/") {
		t.Errorf("a bad path: err = %v", err)
	}
	for _, tc := range []struct {
		path string
		want bool
	}{
		{ou1, true},
		{strings.TrimSuffix(ou1, "/"), true},
		{sub, true},
		{sub + owner + "/", true}, // an account's path may end in its id
		{ou2, true},
		{rootPath + "ou-ab12-44444444/", false},
		{rootPath, false},
		{trustOrg, false},
		{rootPath + "ou-ab12-111111119/", false},      // a longer id is not inside ou1
		{evilOrg + "/r-zz99/ou-zz99-12345678/", true}, // the whole organization is trusted
		{evilOrg, true},
		{"", false},
	} {
		if got := w.TrustsOrgPath(tc.path); got != tc.want {
			t.Errorf("TrustsOrgPath(%q) = %v, want %v", tc.path, got, tc.want)
		}
	}
}
