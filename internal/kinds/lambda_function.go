package kinds

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/trustaudit/trustaudit/internal/world"
)

// Lambda quota lanes. GetPolicy has its own 15 rps bucket; every other control-plane call
// (listings, layer policies) shares one 15 rps bucket per account and region. Neither can be
// raised [Lambda quotas], so both are paced, never probed.
const (
	LaneLambdaGetPolicy = "lambda:GetPolicy"
	LaneLambdaControl   = "lambda:control"
)

var (
	lambdaGetPolicyLane = Lane{Name: LaneLambdaGetPolicy, Rate: 15, Documented: true, Ops: []string{"lambda:GetPolicy"}}
	lambdaControlLane   = Lane{Name: LaneLambdaControl, Rate: 15, Documented: true, Ops: []string{
		"lambda:ListFunctions", "lambda:ListAliases", "lambda:ListLayers", "lambda:ListLayerVersions", "lambda:GetLayerVersionPolicy",
	}}
)

// lambdaListPage is the most ListFunctions returns per page, whatever MaxItems says.
const lambdaListPage = 50

// lambdaAliasPage is ListAliases' largest page.
const lambdaAliasPage = 10000

// LambdaFunction audits the resource policy of every function, of each published version
// and of each alias: a qualifier's policy is separate from the function's, and peers that
// read only the unqualified one miss an alias opened to another account.
//
// Calls: ListFunctions with FunctionVersion=ALL lists functions and versions in the same
// 50-item pages (no ListVersionsByFunction per function); ListAliases once per function;
// GetPolicy per function, version and alias. GetPolicy on the 15 rps GetPolicy lane is the
// long pole; the listings share the control lane with lambda-layer.
type LambdaFunction struct{}

func init() { Register(LambdaFunction{}) }

func (LambdaFunction) Name() string { return "lambda-function" }
func (LambdaFunction) Global() bool { return false }
func (LambdaFunction) Actions() []string {
	return []string{"lambda:GetPolicy", "lambda:ListAliases", "lambda:ListFunctions"}
}
func (LambdaFunction) Lanes() []Lane { return []Lane{lambdaGetPolicyLane, lambdaControlLane} }

// LambdaGetPolicyAPI is the part of a Lambda client that reads policies (the SDK defines
// <Op>APIClient interfaces only for paginated operations).
type LambdaGetPolicyAPI interface {
	GetPolicy(context.Context, *lambda.GetPolicyInput, ...func(*lambda.Options)) (*lambda.GetPolicyOutput, error)
}

func (k LambdaFunction) Collect(ctx context.Context, env Env, _ *world.Account, region *world.Region) error {
	ctl := lambda.NewFromConfig(env.Config(LaneLambdaControl))
	gp := lambda.NewFromConfig(env.Config(LaneLambdaGetPolicy))
	return CollectLambdaFunctions(ctx, env, ctl, ctl, gp, region)
}

type fnState struct {
	fn      world.LambdaFunction
	pending int // outstanding reads: its policies, its alias listing
	latest  bool
	done    bool
}

type policyJob struct {
	fn, qualifier string
}

// CollectLambdaFunctions reads every function of env's region into region.LambdaFunctions.
func CollectLambdaFunctions(ctx context.Context, env Env, list lambda.ListFunctionsAPIClient, aliases lambda.ListAliasesAPIClient, gp LambdaGetPolicyAPI, region *world.Region) error {
	fnARN := func(name, qualifier string) string {
		arn := fmt.Sprintf("arn:%s:lambda:%s:%s:function:%s", env.Partition(), env.Region(), env.Account(), name)
		if qualifier != "" {
			arn += ":" + qualifier
		}
		return arn
	}
	var mu sync.Mutex
	fns := map[string]*fnState{}
	state := func(name string) *fnState { // mu held
		st := fns[name]
		if st == nil {
			st = &fnState{fn: world.LambdaFunction{Name: name}}
			fns[name] = st
		}
		return st
	}
	finish := func(st *fnState) { // mu held
		st.pending--
		if st.pending == 0 && st.latest && !st.done {
			st.done = true
			env.Done(1)
		}
	}

	policies := newQueue[policyJob]()
	policies.workers(env.Workers(LaneLambdaGetPolicy), func(j policyJob) {
		doc, err := lambdaPolicy(ctx, gp, j.fn, j.qualifier)
		mu.Lock()
		defer mu.Unlock()
		st := fns[j.fn]
		if err != nil {
			env.Gap("lambda:GetPolicy", fnARN(j.fn, j.qualifier), err)
		} else {
			st.setPolicy(j.qualifier, doc)
		}
		finish(st)
	})

	aliasQ := newQueue[string]()
	aliasQ.workers(env.Workers(LaneLambdaControl), func(name string) {
		var found []types.AliasConfiguration
		p := lambda.NewListAliasesPaginator(aliases, &lambda.ListAliasesInput{FunctionName: aws.String(name), MaxItems: aws.Int32(lambdaAliasPage)})
		var err error
		for p.HasMorePages() && err == nil {
			var out *lambda.ListAliasesOutput
			if out, err = p.NextPage(ctx); err == nil {
				found = append(found, out.Aliases...)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		st := fns[name]
		if err != nil {
			env.Gap("lambda:ListAliases", fnARN(name, ""), err)
		}
		for _, a := range found {
			alias := aws.ToString(a.Name)
			st.fn.Aliases = append(st.fn.Aliases, world.LambdaAlias{Name: alias, FunctionVersion: aws.ToString(a.FunctionVersion)})
			st.pending++
			policies.push(policyJob{name, alias})
		}
		finish(st)
	})

	var listErr error
	p := lambda.NewListFunctionsPaginator(list, &lambda.ListFunctionsInput{FunctionVersion: types.FunctionVersionAll, MaxItems: aws.Int32(lambdaListPage)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			listErr = &OpError{Op: "lambda:ListFunctions", Err: err}
			break
		}
		mu.Lock()
		for _, fc := range out.Functions {
			name, ver := aws.ToString(fc.FunctionName), aws.ToString(fc.Version)
			st := state(name)
			if ver == "" || ver == "$LATEST" {
				if st.latest {
					continue
				}
				st.latest = true
				st.fn.Runtime = string(fc.Runtime)
				st.fn.RevisionID = aws.ToString(fc.RevisionId)
				st.pending += 2
				env.Listed(1)
				policies.push(policyJob{name, ""})
				aliasQ.push(name)
				continue
			}
			st.fn.Versions = append(st.fn.Versions, world.LambdaVersion{Version: ver})
			st.pending++
			policies.push(policyJob{name, ver})
		}
		mu.Unlock()
	}
	// Aliases feed policies, so the alias queue drains first.
	aliasQ.closeAndWait()
	policies.closeAndWait()

	out := make([]world.LambdaFunction, 0, len(fns))
	for _, st := range fns {
		f := st.fn
		sort.Slice(f.Versions, func(i, j int) bool { return versionLess(f.Versions[i].Version, f.Versions[j].Version) })
		sort.Slice(f.Aliases, func(i, j int) bool { return f.Aliases[i].Name < f.Aliases[j].Name })
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	region.LambdaFunctions = out
	return listErr
}

func (st *fnState) setPolicy(qualifier, doc string) {
	if qualifier == "" {
		st.fn.Policy = world.Policy(doc)
		return
	}
	for i := range st.fn.Versions {
		if st.fn.Versions[i].Version == qualifier {
			st.fn.Versions[i].Policy = world.Policy(doc)
			return
		}
	}
	for i := range st.fn.Aliases {
		if st.fn.Aliases[i].Name == qualifier {
			st.fn.Aliases[i].Policy = world.Policy(doc)
			return
		}
	}
}

// lambdaPolicy returns a function's (or qualifier's) policy; "" when it has none, which
// Lambda answers with ResourceNotFoundException.
func lambdaPolicy(ctx context.Context, gp LambdaGetPolicyAPI, fn, qualifier string) (string, error) {
	in := &lambda.GetPolicyInput{FunctionName: aws.String(fn)}
	if qualifier != "" {
		in.Qualifier = aws.String(qualifier)
	}
	out, err := gp.GetPolicy(ctx, in)
	if err != nil {
		var nf *types.ResourceNotFoundException
		if errors.As(err, &nf) {
			return "", nil
		}
		return "", err
	}
	return aws.ToString(out.Policy), nil
}

func versionLess(a, b string) bool {
	x, errA := strconv.ParseUint(a, 10, 64)
	y, errB := strconv.ParseUint(b, 10, 64)
	if errA != nil || errB != nil {
		return a < b
	}
	return x < y
}

func (LambdaFunction) Policies(acct *world.Account) []Policy {
	var out []Policy
	for _, r := range acct.Regions {
		p := Partition(r.Name)
		for _, f := range r.LambdaFunctions {
			base := fmt.Sprintf("arn:%s:lambda:%s:%s:function:%s", p, r.Name, acct.ID, f.Name)
			if f.Policy != "" {
				out = append(out, Policy{Region: r.Name, ResourceARN: base, Document: string(f.Policy)})
			}
			for _, v := range f.Versions {
				if v.Policy != "" {
					out = append(out, Policy{Region: r.Name, ResourceARN: base + ":" + v.Version, Document: string(v.Policy)})
				}
			}
			for _, a := range f.Aliases {
				if a.Policy != "" {
					out = append(out, Policy{Region: r.Name, ResourceARN: base + ":" + a.Name, Document: string(a.Policy)})
				}
			}
		}
	}
	return out
}

func (LambdaFunction) Resources(acct *world.Account) int {
	n := 0
	for _, r := range acct.Regions {
		n += len(r.LambdaFunctions)
	}
	return n
}

func (k LambdaFunction) MinimalCalls(acct *world.Account) map[string]int64 {
	m := map[string]int64{}
	for i := range acct.Regions {
		r := &acct.Regions[i]
		if !r.Enabled() {
			continue
		}
		list, aliases, policies := lambdaFunctionCalls(r)
		m["lambda:ListFunctions"] += list
		m["lambda:ListAliases"] += aliases
		m["lambda:GetPolicy"] += policies
	}
	return m
}

func (LambdaFunction) Demand(_ *world.Account, r *world.Region) map[string]int64 {
	list, aliases, policies := lambdaFunctionCalls(r)
	return map[string]int64{LaneLambdaControl: list + aliases, LaneLambdaGetPolicy: policies}
}

// lambdaFunctionCalls is PERFORMANCE.md §1's full Lambda sequence:
// ceil(F(1+V)/50) ListFunctions + F ListAliases (pages) + F(1+V+A) GetPolicy.
func lambdaFunctionCalls(r *world.Region) (list, aliases, policies int64) {
	entries := 0
	for _, f := range r.LambdaFunctions {
		entries += 1 + len(f.Versions)
		aliases += pages(len(f.Aliases), lambdaAliasPage)
		policies += int64(1 + len(f.Versions) + len(f.Aliases))
	}
	return pages(entries, lambdaListPage), aliases, policies
}
