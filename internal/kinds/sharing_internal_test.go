package kinds

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/trustaudit/trustaudit/internal/access"
	"github.com/trustaudit/trustaudit/internal/policy"
)

const (
	tOwner   = "111122223333"
	tTrusted = "444455556666"
	tForeign = "999988887777"
	tOrg     = "arn:aws:organizations::999988887777:organization/o-untrusted01"
	tOU      = "arn:aws:organizations::999988887777:ou/o-untrusted01/ou-ab12-cdefgh34"
	tOwnOU   = "arn:aws:organizations::111122223333:ou/o-trusted0001/ou-ab12-cdefgh34"
	tARN     = "arn:aws:ec2:us-east-1::image/ami-1"
)

// Every kind of share entry reads, through the judge, as the exposure it is.
func TestShareDocumentJudged(t *testing.T) {
	b, err := access.NewBoundary([]string{tTrusted}, []string{"o-trusted0001"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		shares    []string
		public    bool
		accounts  []string
		orgs      []string
		statement string // Sid of the first finding, if any
	}{
		{"nothing shared", nil, false, nil, nil, ""},
		{"all", []string{"all"}, true, nil, nil, "LaunchPermissionAll"},
		{"foreign account", []string{tForeign}, false, []string{tForeign}, nil, "LaunchPermissionAccounts"},
		{"trusted and own accounts", []string{tTrusted, tOwner}, false, nil, nil, ""},
		{"foreign organization", []string{tOrg}, false, nil, []string{"o-untrusted01"}, "LaunchPermissionOrganization"},
		{"foreign OU", []string{tOU}, false, nil, []string{"o-untrusted01"}, "LaunchPermissionOrganizationalUnit"},
		{"an OU of the trusted organization", []string{tOwnOU}, false, nil, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := shareDocument(amiLaunch, "aws", tARN, tc.shares)
			if len(tc.shares) == 0 {
				if doc != "" {
					t.Fatalf("no shares gave a document: %s", doc)
				}
				return
			}
			d, err := policy.ParseString(doc)
			if err != nil {
				t.Fatalf("%s: %v", doc, err)
			}
			res := access.Evaluate(access.Input{Kind: access.KindEC2AMI, Owner: tOwner, ResourceARN: tARN, Doc: d}, b)
			if res.Public != tc.public || !cmp.Equal(res.UntrustedAccounts, tc.accounts) || !cmp.Equal(res.UntrustedOrgs, tc.orgs) {
				t.Errorf("verdict public=%v accounts=%v orgs=%v; want %v %v %v\n%s", res.Public, res.UntrustedAccounts, res.UntrustedOrgs, tc.public, tc.accounts, tc.orgs, doc)
			}
			if tc.statement != "" && (len(res.Findings) == 0 || res.Findings[0].Sid != tc.statement) {
				t.Errorf("findings %+v, want the first from statement %s", res.Findings, tc.statement)
			}
		})
	}
}

// A document read back gives the shares it was written from, and the same shares in any
// order give the same document.
func TestShareDocumentRoundTrip(t *testing.T) {
	shares := []string{tOU, tForeign, "all", tTrusted, tOrg, tForeign}
	doc := shareDocument(amiLaunch, "aws", tARN, shares)
	if doc != shareDocument(amiLaunch, "aws", tARN, []string{tTrusted, tOrg, "all", tOU, tForeign}) {
		t.Errorf("the document depends on the order of the shares")
	}
	set, err := sharesOf(doc)
	if err != nil {
		t.Fatal(err)
	}
	if !set.all || !cmp.Equal(set.accounts, []string{tTrusted, tForeign}) || len(set.orgs) != 2 {
		t.Errorf("sharesOf = %+v", set)
	}
	add, remove, err := shareChange("aws", tARN, amiLaunch, shares, set)
	if err != nil || len(add)+len(remove) != 0 {
		t.Errorf("a document's own shares need a change: add %v remove %v err %v", add, remove, err)
	}
	// A fix that took out "all", the foreign account and the organization statement.
	cut := shareDocument(amiLaunch, "aws", tARN, []string{tTrusted, tOU})
	want, _ := sharesOf(cut)
	add, remove, err = shareChange("aws", tARN, amiLaunch, shares, want)
	if err != nil || len(add) != 0 || !cmp.Equal(remove, []string{tForeign, "all", tOrg}) {
		t.Errorf("fix change: add %v remove %v err %v", add, remove, err)
	}
	// Restoring it adds back what can be added, and refuses an organization it cannot name.
	add, remove, err = shareChange("aws", tARN, amiLaunch, []string{tTrusted}, set)
	if err == nil || !strings.Contains(err.Error(), "cannot be re-created") {
		t.Errorf("restore of an organization share: add %v remove %v err %v, want a refusal", add, remove, err)
	}
	set.orgs = nil
	add, _, err = shareChange("aws", tARN, amiLaunch, []string{tTrusted}, set)
	if err != nil || !cmp.Equal(add, []string{"all", tForeign}) {
		t.Errorf("restore: add %v err %v", add, err)
	}
}

func TestSharesOfRejectsOtherDocuments(t *testing.T) {
	for _, doc := range []string{
		`{"Statement":[{"Effect":"Deny","Principal":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":"arn:aws:iam::1:root"}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"}}]}`,
		`not json`,
	} {
		if _, err := sharesOf(doc); err == nil {
			t.Errorf("sharesOf accepted %s", doc)
		}
	}
}

func TestResourceIDOf(t *testing.T) {
	for _, tc := range []struct{ arn, service, typ, want string }{
		{"arn:aws:ec2:us-east-1::snapshot/snap-1", "ec2", "snapshot/", "snap-1"},
		{"arn:aws:rds:eu-west-1:111122223333:cluster-snapshot:c-1", "rds", "cluster-snapshot:", "c-1"},
		{"arn:aws:rds:eu-west-1:111122223333:snapshot:rds:db-2024", "rds", "snapshot:", "rds:db-2024"},
		{"arn:aws:ec2:us-east-1::image/ami-1", "ec2", "snapshot/", ""},
		{"arn:aws:rds:eu-west-1:111122223333:snapshot:", "rds", "snapshot:", ""},
	} {
		got, err := resourceIDOf(tc.arn, tc.service, tc.typ)
		if got != tc.want || (tc.want == "") != (err != nil) {
			t.Errorf("resourceIDOf(%s) = %q, %v; want %q", tc.arn, got, err, tc.want)
		}
	}
}
