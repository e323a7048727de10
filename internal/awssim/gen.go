package awssim

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/trustaudit/trustaudit/internal/world"
)

// GenSpec describes a synthetic estate for benchmarks: an organization of Accounts accounts,
// each with Regions enabled regions holding the given numbers of resources.
type GenSpec struct {
	Accounts, Regions      int
	FunctionsPerRegion     int
	VersionsPerFunction    int
	AliasesPerFunction     int
	SESIdentitiesPerRegion int
	SESPoliciesPerIdentity int
	RolesPerAccount        int // besides the trustaudit-audit role every account gets
	LayersPerRegion        int
	LayerVersions          int
	// OUs is the number of organizational units (0: none, every account under the root).
	// The tree is a few top-level OUs (Security, Workloads, Sandbox, then numbered ones)
	// with OUs nested below them up to 3 levels; the management account stays under the
	// root and the other accounts are dealt over the OUs in turn.
	OUs  int
	Mix  Mix
	Seed int64
}

// Mix gives the fraction of policies (or, for None, of resources) of each kind. What the
// fractions leave over is granted to the owning account only (clean). Kinds a resource
// type cannot have fall back to that clean same-account grant: an IAM role always has a
// trust policy, and no service reads Lambda layers on anyone's behalf.
type Mix struct {
	Public         float64 // the world ("*")
	Foreign        float64 // an account outside the organization
	ConfusedDeputy float64 // a service principal without a source condition
	Trusted        float64 // another account of the organization
	None           float64 // no policy at all
}

// Generated worlds use these fixed identities.
const (
	GenOrgID        = "o-gen0000000"
	GenForeign      = "999988887777"
	genFirstAccount = 100000000000
)

// GenAccessKey is the access key of the auditor user in generated account i (0 is the
// management account).
func GenAccessKey(i int) string { return "AKIAGEN" + genAccountID(i) }

func genAccountID(i int) string { return strconv.FormatInt(genFirstAccount+int64(i)*1111, 10) }

// genRegions are the 17 regions enabled by default in every account, then opt-in regions.
var genRegions = []string{
	"us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1",
	"eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1",
	"ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2",
	"ap-south-1", "sa-east-1",
	"af-south-1", "ap-east-1", "me-south-1", "eu-south-1", "ap-southeast-3", "me-central-1",
	"eu-central-2", "eu-south-2", "ap-south-2", "ap-southeast-4", "il-central-1", "ca-west-1",
}

type policyKind int

const (
	kindSame policyKind = iota
	kindPublic
	kindForeign
	kindDeputy
	kindTrusted
	kindNone
)

// Generate builds a deterministic world for a spec: the same spec and seed give the same
// world. Account 0 is the organization's management account; every account has an access
// key (GenAccessKey) and a trustaudit-audit role trusting the management account. Policies
// without a resource ARN (trust policies) are shared between resources, which keeps a
// 200-account, 17-region estate small.
func Generate(g GenSpec) *world.World {
	rng := rand.New(rand.NewPCG(uint64(g.Seed), 0x67656e))
	nRegions := min(max(g.Regions, 1), len(genRegions))
	nAccounts := max(g.Accounts, 1)
	mgmt := genAccountID(0)
	pick := func() policyKind {
		x := rng.Float64()
		for _, k := range []struct {
			f float64
			k policyKind
		}{{g.Mix.Public, kindPublic}, {g.Mix.Foreign, kindForeign}, {g.Mix.ConfusedDeputy, kindDeputy}, {g.Mix.Trusted, kindTrusted}, {g.Mix.None, kindNone}} {
			if x < k.f {
				return k.k
			}
			x -= k.f
		}
		return kindSame
	}
	trusts := map[string]world.Policy{}
	trust := func(principal string) world.Policy {
		if p, ok := trusts[principal]; ok {
			return p
		}
		p := world.Policy(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":` + principal + `,"Action":"sts:AssumeRole"}]}`)
		trusts[principal] = p
		return p
	}
	other := func(self int) string { // another account of the organization
		if nAccounts == 1 {
			return genAccountID(0)
		}
		j := (self + 1 + rng.IntN(nAccounts-1)) % nAccounts
		return genAccountID(j)
	}

	w := &world.World{SchemaVersion: world.SchemaVersion, Organization: &world.Organization{ID: GenOrgID, ManagementAccount: mgmt}}
	genTree(w.Organization, g.OUs)
	w.Accounts = make([]world.Account, nAccounts)
	for i := range w.Accounts {
		id := genAccountID(i)
		a := &w.Accounts[i]
		a.ID, a.Name, a.Email = id, fmt.Sprintf("gen-%04d", i), fmt.Sprintf("aws+gen-%04d@example.com", i)
		if units := w.Organization.Units; i > 0 && len(units) > 0 {
			a.Parent = units[(i-1)%len(units)].ID
		}
		a.AccessKeys = []world.AccessKey{{ID: GenAccessKey(i), ARN: "arn:aws:iam::" + id + ":user/auditor"}}

		roles := make([]world.Role, 0, g.RolesPerAccount+1)
		roles = append(roles, world.Role{Name: DemoAuditRole, AssumeRolePolicy: trust(`{"AWS":"arn:aws:iam::` + mgmt + `:root"}`)})
		for r := 0; r < g.RolesPerAccount; r++ {
			var p world.Policy
			switch pick() {
			case kindPublic:
				p = trust(`{"AWS":"*"}`)
			case kindForeign:
				p = trust(`{"AWS":"arn:aws:iam::` + GenForeign + `:root"}`)
			case kindDeputy:
				p = trust(`{"Service":"ec2.amazonaws.com"}`)
			case kindTrusted:
				p = trust(`{"AWS":"arn:aws:iam::` + other(i) + `:root"}`)
			default:
				p = trust(`{"AWS":"arn:aws:iam::` + id + `:root"}`)
			}
			roles = append(roles, world.Role{Name: fmt.Sprintf("role-%04d", r), AssumeRolePolicy: p})
		}
		a.IAM.Roles = roles

		a.Regions = make([]world.Region, nRegions)
		for ri := range a.Regions {
			region := genRegions[ri]
			reg := &a.Regions[ri]
			reg.Name = region
			if ri >= 17 {
				reg.OptInStatus = world.OptInEnabled
			}
			reg.LambdaFunctions = genFunctions(g, id, region, i, pick, other)
			reg.SESIdentities = genIdentities(g, id, region, i, pick, other)
			reg.LambdaLayers = genLayers(g, id, region, i, pick, other)
		}
	}
	return w
}

// genTopOUs name the first top-level OUs of a generated tree, as a landing zone names them.
var genTopOUs = []string{"Security", "Workloads", "Sandbox"}

// genTree gives o n OUs three levels deep at most: T top-level OUs (at least 3, and enough
// that each holds at most 2 children and 4 grandchildren), then the second level dealt
// over the top level in turn, then the third over the second. It takes no randomness, so
// adding OUs to a spec leaves the rest of its world as it was.
func genTree(o *world.Organization, n int) {
	if n <= 0 {
		return
	}
	o.Root = o.RootID()
	ouID := func(k int) string { return fmt.Sprintf("ou-%s-%08d", strings.TrimPrefix(o.Root, "r-"), k+1) }
	top := max(min(n, len(genTopOUs)), (n+6)/7)
	second := min(n-top, 2*top)
	o.Units = make([]world.OrganizationalUnit, 0, n)
	for k := range top {
		name := fmt.Sprintf("Unit-%02d", k+1)
		if k < len(genTopOUs) {
			name = genTopOUs[k]
		}
		o.Units = append(o.Units, world.OrganizationalUnit{ID: ouID(k), Name: name, Parent: o.Root})
	}
	level := func(first, count, parents, nParents int) {
		for j := range count {
			p := o.Units[parents+j%nParents]
			o.Units = append(o.Units, world.OrganizationalUnit{ID: ouID(first + j), Name: fmt.Sprintf("%s-%d", p.Name, j/nParents+1), Parent: p.ID})
		}
	}
	level(top, second, 0, top)
	if third := n - top - second; third > 0 {
		level(top+second, third, top, second)
	}
}

// principalJSON renders the principal of a resource policy of kind k for the owner account.
func principalJSON(k policyKind, owner, trusted, service string) string {
	switch k {
	case kindPublic:
		return `"*"`
	case kindForeign:
		return `{"AWS":"arn:aws:iam::` + GenForeign + `:root"}`
	case kindDeputy:
		return `{"Service":"` + service + `"}`
	case kindTrusted:
		return `{"AWS":"arn:aws:iam::` + trusted + `:root"}`
	default:
		return `{"AWS":"arn:aws:iam::` + owner + `:root"}`
	}
}

// lambdaPolicy is a policy as Lambda's GetPolicy returns it.
func lambdaPolicy(sid, principal, action, resource string) world.Policy {
	var b strings.Builder
	b.Grow(180 + len(principal) + len(resource))
	b.WriteString(`{"Version":"2012-10-17","Id":"default","Statement":[{"Sid":"`)
	b.WriteString(sid)
	b.WriteString(`","Effect":"Allow","Principal":`)
	b.WriteString(principal)
	b.WriteString(`,"Action":"`)
	b.WriteString(action)
	b.WriteString(`","Resource":"`)
	b.WriteString(resource)
	b.WriteString(`"}]}`)
	return world.Policy(b.String())
}

func genFunctions(g GenSpec, owner, region string, self int, pick func() policyKind, other func(int) string) []world.LambdaFunction {
	if g.FunctionsPerRegion <= 0 {
		return nil
	}
	fns := make([]world.LambdaFunction, g.FunctionsPerRegion)
	for f := range fns {
		name := fmt.Sprintf("fn-%04d", f)
		arn := "arn:aws:lambda:" + region + ":" + owner + ":function:" + name
		policy := func(qualifier string) world.Policy {
			k := pick()
			if k == kindNone {
				return ""
			}
			res := arn
			if qualifier != "" {
				res += ":" + qualifier
			}
			return lambdaPolicy("stmt-"+string(rune('a'+int(k))), principalJSON(k, owner, other(self), "s3.amazonaws.com"), "lambda:InvokeFunction", res)
		}
		fn := world.LambdaFunction{Name: name, Runtime: "python3.12", Policy: policy("")}
		if g.VersionsPerFunction > 0 {
			fn.Versions = make([]world.LambdaVersion, g.VersionsPerFunction)
			for v := range fn.Versions {
				ver := strconv.Itoa(v + 1)
				fn.Versions[v] = world.LambdaVersion{Version: ver, Policy: policy(ver)}
			}
		}
		if g.AliasesPerFunction > 0 {
			fn.Aliases = make([]world.LambdaAlias, g.AliasesPerFunction)
			for a := range fn.Aliases {
				target := "$LATEST"
				if g.VersionsPerFunction > 0 {
					target = strconv.Itoa(a%g.VersionsPerFunction + 1)
				}
				alias := fmt.Sprintf("alias%d", a+1)
				fn.Aliases[a] = world.LambdaAlias{Name: alias, FunctionVersion: target, Policy: policy(alias)}
			}
		}
		fns[f] = fn
	}
	return fns
}

func genIdentities(g GenSpec, owner, region string, self int, pick func() policyKind, other func(int) string) []world.SESIdentity {
	if g.SESIdentitiesPerRegion <= 0 {
		return nil
	}
	ids := make([]world.SESIdentity, g.SESIdentitiesPerRegion)
	for n := range ids {
		id := world.SESIdentity{Identity: fmt.Sprintf("sender%d.%s.%s.example.com", n, region, owner), Type: world.SESDomain}
		if n%3 == 2 {
			id = world.SESIdentity{Identity: fmt.Sprintf("sender%d@%s.%s.example.com", n, region, owner), Type: world.SESEmailAddress}
		}
		res := "arn:aws:ses:" + region + ":" + owner + ":identity/" + id.Identity
		for p := 0; p < min(g.SESPoliciesPerIdentity, 20); p++ {
			k := pick()
			if k == kindNone {
				continue
			}
			if id.Policies == nil {
				id.Policies = map[string]world.Policy{}
			}
			id.Policies[fmt.Sprintf("policy-%02d", p)] = world.Policy(`{"Version":"2012-10-17","Statement":[{"Sid":"send","Effect":"Allow","Principal":` +
				principalJSON(k, owner, other(self), "ses.amazonaws.com") + `,"Action":["ses:SendEmail","ses:SendRawEmail"],"Resource":"` + res + `"}]}`)
		}
		ids[n] = id
	}
	return ids
}

func genLayers(g GenSpec, owner, region string, self int, pick func() policyKind, other func(int) string) []world.LambdaLayer {
	if g.LayersPerRegion <= 0 {
		return nil
	}
	layers := make([]world.LambdaLayer, g.LayersPerRegion)
	for l := range layers {
		name := fmt.Sprintf("layer-%03d", l)
		layer := world.LambdaLayer{Name: name, Versions: make([]world.LayerVersion, max(g.LayerVersions, 1))}
		for v := range layer.Versions {
			ver := int64(v + 1)
			k := pick()
			if k == kindDeputy {
				k = kindSame
			}
			var p world.Policy
			if k != kindNone {
				p = lambdaPolicy("layer-"+strconv.Itoa(int(k)), principalJSON(k, owner, other(self), ""), "lambda:GetLayerVersion",
					"arn:aws:lambda:"+region+":"+owner+":layer:"+name+":"+strconv.FormatInt(ver, 10))
			}
			layer.Versions[v] = world.LayerVersion{Version: ver, Policy: p}
		}
		layers[l] = layer
	}
	return layers
}
