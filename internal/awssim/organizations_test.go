package awssim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/google/go-cmp/cmp"

	"github.com/trustaudit/trustaudit/internal/world"
)

// The organization tree calls, driven through the real SDK client: a scan limited to OUs, or
// trusting OU paths, walks the tree with exactly these calls and paginators.

const (
	otOrg       = "o-a1b2c3d4e5"
	otRoot      = "r-ab12"
	otMgmt      = "100000000001"
	otMgmtKey   = "AKIAORGTREEMGMT00001"
	otMemberKey = "AKIAORGTREEMEMBER001"
	otSandbox   = "ou-ab12-66666666"
	otSandboxN  = 23 // accounts in the Sandbox OU: more than a default page of 20
	otSandboxOU = 21 // OUs below the Sandbox OU
)

// otWorld is an organization whose tree has every shape a walk meets: accounts under the
// root, a nested path five levels deep, and a parent with more than 20 accounts and more
// than 20 OUs. Accounts are listed out of tree order so that "world order" is tested.
func otWorld() *world.World {
	o := &world.Organization{ID: otOrg, ManagementAccount: otMgmt, Root: otRoot, Units: []world.OrganizationalUnit{
		{ID: "ou-ab12-22222222", Name: "Workloads", Parent: otRoot},
		{ID: "ou-ab12-11111111", Name: "Security", Parent: otRoot},
		{ID: "ou-ab12-33333333", Name: "Prod", Parent: "ou-ab12-22222222"},
		{ID: "ou-ab12-44444444", Name: "Dev", Parent: "ou-ab12-22222222"},
		{ID: "ou-ab12-55555555", Name: "Payments", Parent: "ou-ab12-33333333"},
		{ID: "ou-ab12-77777777", Name: "Cards", Parent: "ou-ab12-55555555"},
		{ID: "ou-ab12-88888888", Name: "Issuing", Parent: "ou-ab12-77777777"},
		{ID: otSandbox, Name: "Sandbox", Parent: otRoot},
	}}
	for i := range otSandboxOU {
		o.Units = append(o.Units, world.OrganizationalUnit{ID: fmt.Sprintf("ou-ab12-sandbx%02d", i), Name: fmt.Sprintf("team-%02d", i), Parent: otSandbox})
	}
	w := &world.World{SchemaVersion: world.SchemaVersion, Organization: o}
	add := func(id, name, parent string, key string) {
		a := world.Account{ID: id, Name: name, Parent: parent}
		if key != "" {
			a.AccessKeys = []world.AccessKey{{ID: key, ARN: "arn:aws:iam::" + id + ":user/auditor"}}
		}
		w.Accounts = append(w.Accounts, a)
	}
	add("100000000005", "prod-a", "ou-ab12-33333333", otMemberKey)
	add(otMgmt, "management", "", otMgmtKey)
	add("100000000002", "security", "ou-ab12-11111111", "")
	add("100000000006", "issuing", "ou-ab12-88888888", "")
	add("100000000003", "shared", otRoot, "")
	add("100000000007", "dev", "ou-ab12-44444444", "")
	add("100000000004", "prod-b", "ou-ab12-33333333", "")
	for i := range otSandboxN {
		add(fmt.Sprintf("2000000000%02d", i), fmt.Sprintf("sandbox-%02d", i), otSandbox, "")
	}
	if err := w.Validate(); err != nil {
		panic(err)
	}
	return w
}

func otStart(t *testing.T, opts Options) (*Server, *organizations.Client) {
	t.Helper()
	if opts.World == nil {
		opts.World = otWorld()
	}
	s := fwStart(t, opts)
	return s, organizations.NewFromConfig(fwNoRetry(s, otMgmtKey, "us-east-1"))
}

// listAll pages through a List call with the given page size (0 = the default) and returns
// every result and the number of pages.
func listAll[In any, Out any, T any](t *testing.T, in *In, setPage func(*In, *int32, *string), call func(context.Context, *In, ...func(*organizations.Options)) (*Out, error), items func(*Out) ([]T, *string), size int32) ([]T, int) {
	t.Helper()
	var all []T
	var token *string
	pages := 0
	for {
		var max *int32
		if size > 0 {
			max = aws.Int32(size)
		}
		setPage(in, max, token)
		out, err := call(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		got, next := items(out)
		all = append(all, got...)
		if next == nil {
			return all, pages
		}
		if pages > 1000 {
			t.Fatal("paging does not end")
		}
		token = next
	}
}

func childrenOf(t *testing.T, c *organizations.Client, parent string, typ orgtypes.ChildType, size int32) ([]string, int) {
	t.Helper()
	kids, pages := listAll(t, &organizations.ListChildrenInput{ParentId: aws.String(parent), ChildType: typ},
		func(in *organizations.ListChildrenInput, m *int32, tok *string) { in.MaxResults, in.NextToken = m, tok },
		c.ListChildren,
		func(o *organizations.ListChildrenOutput) ([]orgtypes.Child, *string) { return o.Children, o.NextToken }, size)
	var ids []string
	for _, k := range kids {
		if k.Type != typ {
			t.Errorf("child %s of %s has type %s, want %s", *k.Id, parent, k.Type, typ)
		}
		ids = append(ids, *k.Id)
	}
	return ids, pages
}

func ousOf(t *testing.T, c *organizations.Client, parent string, size int32) ([]orgtypes.OrganizationalUnit, int) {
	t.Helper()
	return listAll(t, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(parent)},
		func(in *organizations.ListOrganizationalUnitsForParentInput, m *int32, tok *string) {
			in.MaxResults, in.NextToken = m, tok
		},
		c.ListOrganizationalUnitsForParent,
		func(o *organizations.ListOrganizationalUnitsForParentOutput) ([]orgtypes.OrganizationalUnit, *string) {
			return o.OrganizationalUnits, o.NextToken
		}, size)
}

func accountsOf(t *testing.T, c *organizations.Client, parent string, size int32) ([]orgtypes.Account, int) {
	t.Helper()
	return listAll(t, &organizations.ListAccountsForParentInput{ParentId: aws.String(parent)},
		func(in *organizations.ListAccountsForParentInput, m *int32, tok *string) {
			in.MaxResults, in.NextToken = m, tok
		},
		c.ListAccountsForParent,
		func(o *organizations.ListAccountsForParentOutput) ([]orgtypes.Account, *string) {
			return o.Accounts, o.NextToken
		}, size)
}

// A walk of the tree from ListRoots must give every account the aws:PrincipalOrgPaths value
// the world gives it, whichever calls and page sizes the walker uses.
func TestOrganizationsTreeWalkGivesEveryAccountItsOrgPath(t *testing.T) {
	w := otWorld()
	noTree := fwWorld(t)
	for _, tc := range []struct {
		name string
		w    *world.World
		key  string
	}{
		{"tree", w, otMgmtKey},
		{"no tree", noTree, fwMgmtKey},
		{"generated", Generate(GenSpec{Accounts: 60, Regions: 1, OUs: 25}), GenAccessKey(0)},
	} {
		s := fwStart(t, Options{World: tc.w, NoQuotas: true})
		c := organizations.NewFromConfig(fwNoRetry(s, tc.key, "us-east-1"))
		roots, err := c.ListRoots(context.Background(), &organizations.ListRootsInput{})
		if err != nil {
			t.Fatal(err)
		}
		if len(roots.Roots) != 1 || roots.NextToken != nil {
			t.Fatalf("%s: roots %+v", tc.name, roots)
		}
		root := *roots.Roots[0].Id
		want := map[string]string{}
		for _, a := range tc.w.Accounts {
			p, ok := tc.w.OrgPath(a.ID)
			if !ok {
				t.Fatalf("%s: no OrgPath for %s", tc.name, a.ID)
			}
			want[a.ID] = p
		}
		walks := map[string]func(parent string, size int32) (accounts, ous []string){
			"ListChildren": func(parent string, size int32) ([]string, []string) {
				accts, _ := childrenOf(t, c, parent, orgtypes.ChildTypeAccount, size)
				ous, _ := childrenOf(t, c, parent, orgtypes.ChildTypeOrganizationalUnit, size)
				return accts, ous
			},
			"ListAccountsForParent": func(parent string, size int32) ([]string, []string) {
				accts, _ := accountsOf(t, c, parent, size)
				ous, _ := ousOf(t, c, parent, size)
				var a, o []string
				for _, x := range accts {
					a = append(a, *x.Id)
				}
				for _, x := range ous {
					o = append(o, *x.Id)
				}
				return a, o
			},
		}
		for walkName, list := range walks {
			for _, size := range []int32{0, 7} {
				got := map[string]string{}
				var walk func(parent, path string)
				walk = func(parent, path string) {
					accts, ous := list(parent, size)
					for _, a := range accts {
						if _, twice := got[a]; twice {
							t.Errorf("%s %s: account %s listed twice", tc.name, walkName, a)
						}
						got[a] = path
					}
					for _, ou := range ous {
						walk(ou, path+ou+"/")
					}
				}
				walk(root, tc.w.Organization.ID+"/"+root+"/")
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s, %s walk, page size %d: paths differ from World.OrgPath (-want +got):\n%s", tc.name, walkName, size, diff)
				}
			}
		}
	}
}

func TestOrganizationsPagingKeepsWorldOrder(t *testing.T) {
	w := otWorld()
	_, c := otStart(t, Options{NoQuotas: true})
	var wantAccts, wantOUs []string
	for _, a := range w.Accounts {
		if a.Parent == otSandbox {
			wantAccts = append(wantAccts, a.ID)
		}
	}
	for _, u := range w.Organization.Units {
		if u.Parent == otSandbox {
			wantOUs = append(wantOUs, u.ID)
		}
	}
	for _, tc := range []struct {
		size      int32
		wantPages func(n int) int
	}{
		{1, func(n int) int { return n }},
		{0, func(n int) int { return (n + 19) / 20 }},
		{20, func(n int) int { return (n + 19) / 20 }},
	} {
		accts, pages := childrenOf(t, c, otSandbox, orgtypes.ChildTypeAccount, tc.size)
		if !slices.Equal(accts, wantAccts) || pages != tc.wantPages(otSandboxN) {
			t.Errorf("ListChildren ACCOUNT, MaxResults %d: %v over %d pages", tc.size, accts, pages)
		}
		ous, pages := childrenOf(t, c, otSandbox, orgtypes.ChildTypeOrganizationalUnit, tc.size)
		if !slices.Equal(ous, wantOUs) || pages != tc.wantPages(otSandboxOU) {
			t.Errorf("ListChildren ORGANIZATIONAL_UNIT, MaxResults %d: %v over %d pages", tc.size, ous, pages)
		}
		as, pages := accountsOf(t, c, otSandbox, tc.size)
		var ids []string
		for _, a := range as {
			ids = append(ids, *a.Id)
		}
		if !slices.Equal(ids, wantAccts) || pages != tc.wantPages(otSandboxN) {
			t.Errorf("ListAccountsForParent, MaxResults %d: %v over %d pages", tc.size, ids, pages)
		}
		us, pages := ousOf(t, c, otSandbox, tc.size)
		ids = nil
		for _, u := range us {
			ids = append(ids, *u.Id)
		}
		if !slices.Equal(ids, wantOUs) || pages != tc.wantPages(otSandboxOU) {
			t.Errorf("ListOrganizationalUnitsForParent, MaxResults %d: %v over %d pages", tc.size, ids, pages)
		}
	}
	// The SDK's own paginators agree.
	p := organizations.NewListChildrenPaginator(c, &organizations.ListChildrenInput{ParentId: aws.String(otSandbox), ChildType: orgtypes.ChildTypeAccount, MaxResults: aws.Int32(1)})
	n := 0
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		n += len(out.Children)
	}
	if n != otSandboxN {
		t.Errorf("ListChildren paginator: %d children, want %d", n, otSandboxN)
	}
}

// What the calls say about each node, as the SDK decodes it.
func TestOrganizationsTreeShapes(t *testing.T) {
	_, c := otStart(t, Options{NoQuotas: true})
	ctx := context.Background()

	roots, err := c.ListRoots(ctx, &organizations.ListRootsInput{})
	if err != nil {
		t.Fatal(err)
	}
	wantRoot := orgtypes.Root{Id: aws.String(otRoot), Name: aws.String("Root"), PolicyTypes: []orgtypes.PolicyTypeSummary{},
		Arn: aws.String("arn:aws:organizations::" + otMgmt + ":root/" + otOrg + "/" + otRoot)}
	if diff := cmp.Diff(wantRoot, roots.Roots[0], cmp.AllowUnexported(orgtypes.Root{})); diff != "" {
		t.Errorf("root (-want +got):\n%s", diff)
	}

	ou, err := c.DescribeOrganizationalUnit(ctx, &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: aws.String("ou-ab12-55555555")})
	if err != nil {
		t.Fatal(err)
	}
	wantOU := orgtypes.OrganizationalUnit{Id: aws.String("ou-ab12-55555555"), Name: aws.String("Payments"),
		Arn: aws.String("arn:aws:organizations::" + otMgmt + ":ou/" + otOrg + "/ou-ab12-55555555")}
	if diff := cmp.Diff(wantOU, *ou.OrganizationalUnit, cmp.AllowUnexported(orgtypes.OrganizationalUnit{})); diff != "" {
		t.Errorf("DescribeOrganizationalUnit (-want +got):\n%s", diff)
	}
	ous, _ := ousOf(t, c, "ou-ab12-33333333", 0)
	if len(ous) != 1 || !cmp.Equal(wantOU, ous[0], cmp.AllowUnexported(orgtypes.OrganizationalUnit{})) {
		t.Errorf("ListOrganizationalUnitsForParent(Prod) = %+v, want only %+v", ous, wantOU)
	}

	parents := []struct{ child, id string }{
		{otMgmt, otRoot},
		{"100000000003", otRoot},
		{"ou-ab12-11111111", otRoot},
		{"100000000006", "ou-ab12-88888888"},
		{"ou-ab12-88888888", "ou-ab12-77777777"},
	}
	for _, p := range parents {
		out, err := c.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String(p.child)})
		if err != nil {
			t.Fatal(err)
		}
		typ := orgtypes.ParentTypeOrganizationalUnit
		if p.id == otRoot {
			typ = orgtypes.ParentTypeRoot
		}
		if len(out.Parents) != 1 || *out.Parents[0].Id != p.id || out.Parents[0].Type != typ || out.NextToken != nil {
			t.Errorf("ListParents(%s) = %+v, want %s (%s)", p.child, out.Parents, p.id, typ)
		}
	}

	// An account reads the same from ListAccountsForParent as from ListAccounts.
	all := map[string]orgtypes.Account{}
	lp := organizations.NewListAccountsPaginator(c, &organizations.ListAccountsInput{})
	for lp.HasMorePages() {
		out, err := lp.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range out.Accounts {
			all[*a.Id] = a
		}
	}
	prod, _ := accountsOf(t, c, "ou-ab12-33333333", 0)
	if len(prod) != 2 || *prod[0].Id != "100000000005" || *prod[1].Id != "100000000004" {
		t.Fatalf("ListAccountsForParent(Prod) = %+v", prod)
	}
	for _, a := range prod {
		if diff := cmp.Diff(all[*a.Id], a, cmp.AllowUnexported(orgtypes.Account{})); diff != "" {
			t.Errorf("account %s: ListAccountsForParent differs from ListAccounts (-ListAccounts +ForParent):\n%s", *a.Id, diff)
		}
	}
	// The root holds only the accounts directly under it.
	rootAccts, _ := childrenOf(t, c, otRoot, orgtypes.ChildTypeAccount, 0)
	if !slices.Equal(rootAccts, []string{otMgmt, "100000000003"}) {
		t.Errorf("accounts under the root: %v", rootAccts)
	}
	rootOUs, _ := childrenOf(t, c, otRoot, orgtypes.ChildTypeOrganizationalUnit, 0)
	if !slices.Equal(rootOUs, []string{"ou-ab12-22222222", "ou-ab12-11111111", otSandbox}) {
		t.Errorf("OUs under the root: %v", rootOUs)
	}
	empty, _ := childrenOf(t, c, "ou-ab12-88888888", orgtypes.ChildTypeOrganizationalUnit, 0)
	if len(empty) != 0 {
		t.Errorf("OUs under a leaf OU: %v", empty)
	}
}

func TestOrganizationsTreeErrors(t *testing.T) {
	s, c := otStart(t, Options{NoQuotas: true})
	ctx := context.Background()
	tokenFor := func(parent string) *string {
		out, err := c.ListAccountsForParent(ctx, &organizations.ListAccountsForParentInput{ParentId: aws.String(parent), MaxResults: aws.Int32(1)})
		if err != nil || out.NextToken == nil {
			t.Fatalf("no token for %s: %v", parent, err)
		}
		return out.NextToken
	}
	sandboxToken := tokenFor(otSandbox)
	prodToken := tokenFor("ou-ab12-33333333")
	childToken, err := c.ListChildren(ctx, &organizations.ListChildrenInput{ParentId: aws.String(otSandbox), ChildType: orgtypes.ChildTypeAccount, MaxResults: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}

	type call func(*organizations.Client) error
	parentCalls := map[string]func(parent string) call{
		"ListChildren": func(p string) call {
			return func(c *organizations.Client) error {
				_, err := c.ListChildren(ctx, &organizations.ListChildrenInput{ParentId: aws.String(p), ChildType: orgtypes.ChildTypeAccount})
				return err
			}
		},
		"ListOrganizationalUnitsForParent": func(p string) call {
			return func(c *organizations.Client) error {
				_, err := c.ListOrganizationalUnitsForParent(ctx, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(p)})
				return err
			}
		},
		"ListAccountsForParent": func(p string) call {
			return func(c *organizations.Client) error {
				_, err := c.ListAccountsForParent(ctx, &organizations.ListAccountsForParentInput{ParentId: aws.String(p)})
				return err
			}
		},
	}
	type otCase struct {
		name   string
		call   call
		code   string
		reason orgtypes.InvalidInputExceptionReason
	}
	cases := []otCase{
		{"ListParents unknown account", func(c *organizations.Client) error {
			_, err := c.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String("999988887777")})
			return err
		}, "ChildNotFoundException", ""},
		{"ListParents unknown OU", func(c *organizations.Client) error {
			_, err := c.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String("ou-ab12-99999999")})
			return err
		}, "ChildNotFoundException", ""},
		{"ListParents of the root", func(c *organizations.Client) error {
			_, err := c.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String(otRoot)})
			return err
		}, "InvalidInputException", orgtypes.InvalidInputExceptionReasonInvalidPattern},
		{"DescribeOrganizationalUnit unknown", func(c *organizations.Client) error {
			_, err := c.DescribeOrganizationalUnit(ctx, &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: aws.String("ou-ab12-99999999")})
			return err
		}, "OrganizationalUnitNotFoundException", ""},
		{"DescribeOrganizationalUnit of the root", func(c *organizations.Client) error {
			_, err := c.DescribeOrganizationalUnit(ctx, &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: aws.String(otRoot)})
			return err
		}, "InvalidInputException", orgtypes.InvalidInputExceptionReasonInvalidPattern},
		{"ListChildren child type", func(c *organizations.Client) error {
			_, err := c.ListChildren(ctx, &organizations.ListChildrenInput{ParentId: aws.String(otRoot), ChildType: "POLICY"})
			return err
		}, "InvalidInputException", orgtypes.InvalidInputExceptionReasonInvalidEnum},
		{"token of another parent", func(c *organizations.Client) error {
			_, err := c.ListAccountsForParent(ctx, &organizations.ListAccountsForParentInput{ParentId: aws.String(otSandbox), NextToken: prodToken})
			return err
		}, "InvalidInputException", orgtypes.InvalidInputExceptionReasonInvalidPaginationToken},
		{"token of another operation", func(c *organizations.Client) error {
			_, err := c.ListAccountsForParent(ctx, &organizations.ListAccountsForParentInput{ParentId: aws.String(otSandbox), NextToken: childToken.NextToken})
			return err
		}, "InvalidInputException", orgtypes.InvalidInputExceptionReasonInvalidPaginationToken},
		{"token of another child type", func(c *organizations.Client) error {
			_, err := c.ListChildren(ctx, &organizations.ListChildrenInput{ParentId: aws.String(otSandbox), ChildType: orgtypes.ChildTypeOrganizationalUnit, NextToken: childToken.NextToken})
			return err
		}, "InvalidInputException", orgtypes.InvalidInputExceptionReasonInvalidPaginationToken},
		{"ListAccounts token", func(c *organizations.Client) error {
			_, err := c.ListAccounts(ctx, &organizations.ListAccountsInput{NextToken: sandboxToken})
			return err
		}, "InvalidInputException", orgtypes.InvalidInputExceptionReasonInvalidPaginationToken},
		{"garbage token", func(c *organizations.Client) error {
			_, err := c.ListRoots(ctx, &organizations.ListRootsInput{NextToken: aws.String("not-a-token")})
			return err
		}, "InvalidInputException", orgtypes.InvalidInputExceptionReasonInvalidPaginationToken},
		{"MaxResults 0", func(c *organizations.Client) error {
			_, err := c.ListRoots(ctx, &organizations.ListRootsInput{MaxResults: aws.Int32(0)})
			return err
		}, "InvalidInputException", orgtypes.InvalidInputExceptionReasonInvalidPattern},
		{"MaxResults 21", func(c *organizations.Client) error {
			_, err := c.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String(otMgmt), MaxResults: aws.Int32(21)})
			return err
		}, "InvalidInputException", orgtypes.InvalidInputExceptionReasonInvalidPattern},
	}
	for op, mk := range parentCalls {
		cases = append(cases,
			otCase{op + " unknown OU", mk("ou-ab12-99999999"), "ParentNotFoundException", ""},
			otCase{op + " unknown root", mk("r-zz99"), "ParentNotFoundException", ""},
			otCase{op + " malformed id", mk("ou-ab12"), "InvalidInputException", orgtypes.InvalidInputExceptionReasonInvalidPattern},
			otCase{op + " account id as parent", mk(otMgmt), "InvalidInputException", orgtypes.InvalidInputExceptionReasonInvalidPattern},
			otCase{op + " valid prefix, junk after", mk(otRoot + "!"), "InvalidInputException", orgtypes.InvalidInputExceptionReasonInvalidPattern},
		)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call(c)
			if got := fwCode(t, err); got != tc.code {
				t.Fatalf("code %q, want %q (%v)", got, tc.code, err)
			}
			var invalid *orgtypes.InvalidInputException
			if errors.As(err, &invalid) && invalid.Reason != tc.reason {
				t.Errorf("reason %q, want %q (%v)", invalid.Reason, tc.reason, err)
			}
			switch tc.code {
			case "ParentNotFoundException":
				var e *orgtypes.ParentNotFoundException
				if !errors.As(err, &e) || e.ErrorMessage() != "We can't find a root or OU with the ParentId that you specified." {
					t.Errorf("not the SDK's ParentNotFoundException with AWS's message: %v", err)
				}
			case "ChildNotFoundException":
				var e *orgtypes.ChildNotFoundException
				if !errors.As(err, &e) {
					t.Errorf("not the SDK's ChildNotFoundException: %v", err)
				}
			case "OrganizationalUnitNotFoundException":
				var e *orgtypes.OrganizationalUnitNotFoundException
				if !errors.As(err, &e) {
					t.Errorf("not the SDK's OrganizationalUnitNotFoundException: %v", err)
				}
			}
		})
	}

	// Required members the SDK would refuse to send: another client must get AWS's answer.
	for _, tc := range []struct{ target, body, code, reason string }{
		{"ListChildren", `{"ChildType":"ACCOUNT"}`, "InvalidInputException", "INPUT_REQUIRED"},
		{"ListChildren", `{"ParentId":"r-ab12"}`, "InvalidInputException", "INPUT_REQUIRED"},
		{"ListParents", `{}`, "InvalidInputException", "INPUT_REQUIRED"},
		{"DescribeOrganizationalUnit", `{"OrganizationalUnitId":""}`, "InvalidInputException", "INPUT_REQUIRED"},
		{"ListAccountsForParent", `{"ParentId":`, "SerializationException", ""},
	} {
		status, doc := orgsPost(t, s.URL(), otMgmtKey, tc.target, tc.body)
		if reason, _ := doc["Reason"].(string); status != 400 || doc["__type"] != tc.code || reason != tc.reason {
			t.Errorf("%s %s: answer %d %v, want %s (%s)", tc.target, tc.body, status, doc, tc.code, tc.reason)
		}
	}
}

// orgsPost sends one Organizations request (signed as key, signature unchecked) and decodes
// the answer.
func orgsPost(t *testing.T, url, key, op, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest("POST", url+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", orgsTarget+op)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+key+"/20260101/us-east-1/organizations/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s %s: the answer is not a JSON object: %v\n%s", op, body, err, b)
	}
	return resp.StatusCode, doc
}

// Only the management account may walk the tree; a member is refused every call, and an
// account outside any organization is told so.
func TestOrganizationsTreeAccess(t *testing.T) {
	s, _ := otStart(t, Options{NoQuotas: true})
	ctx := context.Background()
	calls := map[string]func(*organizations.Client) error{
		"ListRoots": func(c *organizations.Client) error {
			_, err := c.ListRoots(ctx, &organizations.ListRootsInput{})
			return err
		},
		"ListChildren": func(c *organizations.Client) error {
			_, err := c.ListChildren(ctx, &organizations.ListChildrenInput{ParentId: aws.String(otRoot), ChildType: orgtypes.ChildTypeOrganizationalUnit})
			return err
		},
		"ListOrganizationalUnitsForParent": func(c *organizations.Client) error {
			_, err := c.ListOrganizationalUnitsForParent(ctx, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(otRoot)})
			return err
		},
		"ListAccountsForParent": func(c *organizations.Client) error {
			_, err := c.ListAccountsForParent(ctx, &organizations.ListAccountsForParentInput{ParentId: aws.String(otRoot)})
			return err
		},
		"ListParents": func(c *organizations.Client) error {
			_, err := c.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String("100000000005")})
			return err
		},
		"DescribeOrganizationalUnit": func(c *organizations.Client) error {
			_, err := c.DescribeOrganizationalUnit(ctx, &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: aws.String("ou-ab12-33333333")})
			return err
		},
	}
	member := organizations.NewFromConfig(fwNoRetry(s, otMemberKey, "us-east-1"))
	mgmt := organizations.NewFromConfig(fwNoRetry(s, otMgmtKey, "us-east-1"))
	w := otWorld()
	w.Organization = nil
	for i := range w.Accounts {
		w.Accounts[i].Parent = ""
	}
	alone := organizations.NewFromConfig(fwNoRetry(fwStart(t, Options{World: w}), otMgmtKey, "us-east-1"))
	for op, call := range calls {
		if err := call(mgmt); err != nil {
			t.Errorf("%s as the management account: %v", op, err)
		}
		var denied *orgtypes.AccessDeniedException
		if err := call(member); !errors.As(err, &denied) {
			t.Errorf("%s as a member: want AccessDeniedException, got %v", op, err)
		}
		var notInUse *orgtypes.AWSOrganizationsNotInUseException
		if err := call(alone); !errors.As(err, &notInUse) {
			t.Errorf("%s without an organization: want AWSOrganizationsNotInUseException, got %v", op, err)
		}
	}
}

// The tree calls share Organizations' one bucket per account with ListAccounts and
// DescribeOrganization, and are counted per operation like every call.
func TestOrganizationsTreeCallsShareTheQuota(t *testing.T) {
	ops := []string{"ListRoots", "ListChildren", "ListOrganizationalUnitsForParent", "ListAccountsForParent", "ListParents", "DescribeOrganizationalUnit", "ListAccounts", "DescribeOrganization"}
	for _, op := range ops {
		if got := bucketFor(protoJSON, &Call{Service: "organizations", Operation: op}); got != "organizations" {
			t.Errorf("%s draws from %q, want organizations", op, got)
		}
	}
	// A bucket of one token that takes 1000 s to refill: the first call of any of them
	// takes it, and every later one, whatever the operation or region, is throttled.
	s, c := otStart(t, Options{Quotas: map[string]float64{"organizations": 0.001}})
	ctx := context.Background()
	if _, err := c.ListRoots(ctx, &organizations.ListRootsInput{}); err != nil {
		t.Fatal(err)
	}
	eu := organizations.NewFromConfig(fwNoRetry(s, otMgmtKey, "eu-west-1"))
	_, err := eu.ListChildren(ctx, &organizations.ListChildrenInput{ParentId: aws.String(otRoot), ChildType: orgtypes.ChildTypeAccount})
	if code := fwCode(t, err); code != "TooManyRequestsException" {
		t.Errorf("second call: %q, want TooManyRequestsException (%v)", code, err)
	}
	_, err = c.DescribeOrganizationalUnit(ctx, &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: aws.String(otSandbox)})
	if code := fwCode(t, err); code != "TooManyRequestsException" {
		t.Errorf("third call: %q, want TooManyRequestsException (%v)", code, err)
	}
	got := map[string]string{}
	for _, n := range s.Counters() {
		if n.Service == "organizations" {
			got[n.Operation] = n.Outcome
		}
	}
	want := map[string]string{"ListRoots": "ok", "ListChildren": "throttled", "DescribeOrganizationalUnit": "throttled"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("counters (-want +got):\n%s", diff)
	}
}

// The AWS CLI (botocore) reads the root and an OU's accounts as the SDK does.
func TestOrganizationsTreeAWSCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("starts AWS CLI processes; skipped with -short")
	}
	s, _ := otStart(t, Options{NoQuotas: true})
	cli := newAWSCLI(t, s)
	cli.env = append(cli.env, "AWS_ACCESS_KEY_ID="+otMgmtKey) // the last value of a key wins

	roots := cli.runJSON(t, "organizations", "list-roots")
	want := map[string]any{"Roots": []any{map[string]any{
		"Id": otRoot, "Name": "Root", "PolicyTypes": []any{},
		"Arn": "arn:aws:organizations::" + otMgmt + ":root/" + otOrg + "/" + otRoot,
	}}}
	if diff := cmp.Diff(want, roots); diff != "" {
		t.Errorf("list-roots (-want +got):\n%s", diff)
	}

	// The CLI pages by itself: a page size of 5 over 23 accounts is five requests.
	out := cli.runJSON(t, "organizations", "list-accounts-for-parent", "--parent-id", otSandbox, "--page-size", "5")
	accts, _ := out["Accounts"].([]any)
	var ids []string
	for _, a := range accts {
		m, _ := a.(map[string]any)
		id, _ := m["Id"].(string)
		ids = append(ids, id)
		if m["Arn"] != "arn:aws:organizations::"+otMgmt+":account/"+otOrg+"/"+id || m["Status"] != "ACTIVE" || m["JoinedTimestamp"] == nil {
			t.Errorf("account %v", m)
		}
	}
	var wantIDs []string
	for i := range otSandboxN {
		wantIDs = append(wantIDs, fmt.Sprintf("2000000000%02d", i))
	}
	if !slices.Equal(ids, wantIDs) {
		t.Errorf("list-accounts-for-parent: %v, want %v", ids, wantIDs)
	}
	var pages int64
	for _, n := range s.Counters() {
		if n.Operation == "ListAccountsForParent" {
			pages += n.N
		}
	}
	if pages != 5 {
		t.Errorf("the CLI made %d ListAccountsForParent requests, want 5", pages)
	}

	stderr := cli.run(t, true, "organizations", "list-accounts-for-parent", "--parent-id", "ou-ab12-99999999")
	if !strings.Contains(stderr, "ParentNotFoundException") {
		t.Errorf("unknown parent: %s", stderr)
	}
}

// The demo organization's tree is as demo/README.md documents it, and served.
func TestDemoOrganizationTree(t *testing.T) {
	w := DemoWorld()
	want := map[string]string{
		"111122223333": "o-demo0000001/r-demo/",
		"444455556666": "o-demo0000001/r-demo/ou-demo-infra001/ou-demo-shared01/",
	}
	for id, path := range want {
		if got, ok := w.OrgPath(id); got != path || !ok {
			t.Errorf("OrgPath(%s) = %q, %v; want %q", id, got, ok, path)
		}
	}
	s := fwStart(t, Options{World: w, NoQuotas: true})
	c := organizations.NewFromConfig(fwNoRetry(s, DemoAccessKey, "us-east-1"))
	out, err := c.ListParents(context.Background(), &organizations.ListParentsInput{ChildId: aws.String("444455556666")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Parents) != 1 || *out.Parents[0].Id != "ou-demo-shared01" {
		t.Errorf("parents of demo-shared: %+v", out.Parents)
	}
	sandbox, _ := childrenOf(t, c, "ou-demo-sandbox1", orgtypes.ChildTypeAccount, 0)
	if len(sandbox) != 0 {
		t.Errorf("the Sandbox OU holds %v, want no account", sandbox)
	}
}
