package scan

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/trustaudit/trustaudit/internal/world"
)

// orgTree lists the organization for list, each page once however many times the accounts
// under an OU are asked for (an OU to scan can also be under a trusted path).
type orgTree struct {
	lane     *lane
	units    map[string]*orgNode
	accounts []orgtypes.Account // every account, once ListAccounts has been read
	listed   bool
	// members are the accounts listed so far, for the snapshot and the boundary; paths
	// indexes them by id, with the OU path once a walk from a known path has found it.
	members []world.Member
	paths   map[string]int
	// pages counts the pages asked for (each one a call the scan needed), in order: they
	// are a chain at the organizations rate, which puts a floor under when the accounts
	// they name can start.
	pages int
	calls map[string]int64
}

func newOrgTree(l *lane) *orgTree {
	return &orgTree{lane: l, units: map[string]*orgNode{}, paths: map[string]int{}, calls: map[string]int64{}}
}

type orgNode struct {
	children []string // OU ids
	accounts []orgtypes.Account
}

// call counts one page of an organizations API, before it is asked for.
func (t *orgTree) call(api string) {
	t.pages++
	t.calls["organizations:"+api]++
}

// member records an account listed, with its OU path when known ("" otherwise).
func (t *orgTree) member(a orgtypes.Account, path string) {
	id := aws.ToString(a.Id)
	i, ok := t.paths[id]
	if !ok {
		i = len(t.members)
		t.paths[id] = i
		t.members = append(t.members, world.Member{ID: id})
	}
	if path != "" {
		t.members[i].Path = path
	}
}

// all hands fn (if not nil) every account of the organization, from ListAccounts.
func (t *orgTree) all(fn func(orgtypes.Account) error) error {
	if fn == nil {
		fn = func(orgtypes.Account) error { return nil }
	}
	if t.listed {
		for _, a := range t.accounts {
			if err := fn(a); err != nil {
				return err
			}
		}
		return nil
	}
	c := organizations.NewFromConfig(t.lane.cfg)
	p := organizations.NewListAccountsPaginator(c, &organizations.ListAccountsInput{})
	for p.HasMorePages() {
		t.call("ListAccounts")
		page, err := p.NextPage(t.lane.reg.ctx)
		if err != nil {
			return fmt.Errorf("list the organization's accounts (organizations:ListAccounts, which needs the management account or a delegated administrator): %s", errorText(err))
		}
		for _, a := range page.Accounts {
			t.accounts = append(t.accounts, a)
			t.member(a, "")
			if err := fn(a); err != nil {
				return err
			}
		}
	}
	t.listed = true
	return nil
}

// walk hands fn (if not nil) every account under parent (an OU or the root) and its OUs,
// depth first, each account as its page arrives. path is parent's OU path when known (a
// trusted path), "" when not (an OU of --ous); the accounts found get theirs from it.
func (t *orgTree) walk(parent, path string, fn func(orgtypes.Account) error) error {
	if fn == nil {
		fn = func(orgtypes.Account) error { return nil }
	}
	n, ok := t.units[parent]
	if !ok {
		n = &orgNode{}
		c := organizations.NewFromConfig(t.lane.cfg)
		ap := organizations.NewListAccountsForParentPaginator(c, &organizations.ListAccountsForParentInput{ParentId: aws.String(parent)})
		for ap.HasMorePages() {
			t.call("ListAccountsForParent")
			page, err := ap.NextPage(t.lane.reg.ctx)
			if err != nil {
				return fmt.Errorf("list the accounts in %s (organizations:ListAccountsForParent): %s", parent, errorText(err))
			}
			for _, a := range page.Accounts {
				n.accounts = append(n.accounts, a)
				t.member(a, path)
				if err := fn(a); err != nil {
					return err
				}
			}
		}
		cp := organizations.NewListChildrenPaginator(c, &organizations.ListChildrenInput{ParentId: aws.String(parent), ChildType: orgtypes.ChildTypeOrganizationalUnit})
		for cp.HasMorePages() {
			t.call("ListChildren")
			page, err := cp.NextPage(t.lane.reg.ctx)
			if err != nil {
				return fmt.Errorf("list the OUs in %s (organizations:ListChildren): %s", parent, errorText(err))
			}
			for _, ch := range page.Children {
				n.children = append(n.children, aws.ToString(ch.Id))
			}
		}
		t.units[parent] = n
	} else {
		for _, a := range n.accounts {
			t.member(a, path)
			if err := fn(a); err != nil {
				return err
			}
		}
	}
	for _, ch := range n.children {
		childPath := ""
		if path != "" {
			childPath = path + ch + "/"
		}
		if err := t.walk(ch, childPath, fn); err != nil {
			return err
		}
	}
	return nil
}

// describeOrganization reads the organization the credentials' account belongs to; any
// member may.
func describeOrganization(l *lane) (*world.Organization, error) {
	out, err := organizations.NewFromConfig(l.cfg).DescribeOrganization(l.reg.ctx, &organizations.DescribeOrganizationInput{})
	if err != nil {
		return nil, err
	}
	if out.Organization == nil {
		return nil, errors.New("no organization in the answer")
	}
	return &world.Organization{ID: aws.ToString(out.Organization.Id), ManagementAccount: aws.ToString(out.Organization.MasterAccountId)}, nil
}

// pathNode is the node a trusted OU path of organization org names: its last OU, or the
// root (root true). ok is false for another organization's path.
func pathNode(org, path string) (node string, root, ok bool) {
	rest, ok := strings.CutPrefix(path, org+"/")
	if !ok {
		return "", false, false
	}
	segs := strings.Split(strings.TrimSuffix(rest, "/"), "/")
	return segs[len(segs)-1], len(segs) == 1, true
}
