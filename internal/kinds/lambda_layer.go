package kinds

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/trustaudit/trustaudit/internal/world"
)

// LambdaLayer audits the policy of every layer version: each version carries its own
// policy, and a version shared with "*" stays public after newer versions are locked down.
//
// Calls: ListLayers (50 per page), ListLayerVersions per layer, GetLayerVersionPolicy per
// version, all on the shared 15 rps control lane.
type LambdaLayer struct{}

func init() { Register(LambdaLayer{}) }

func (LambdaLayer) Name() string { return "lambda-layer" }
func (LambdaLayer) Global() bool { return false }
func (LambdaLayer) Actions() []string {
	return []string{"lambda:GetLayerVersionPolicy", "lambda:ListLayerVersions", "lambda:ListLayers"}
}
func (LambdaLayer) Lanes() []Lane { return []Lane{lambdaControlLane} }

// LambdaLayerPolicyAPI is the part of a Lambda client that reads layer version policies.
type LambdaLayerPolicyAPI interface {
	GetLayerVersionPolicy(context.Context, *lambda.GetLayerVersionPolicyInput, ...func(*lambda.Options)) (*lambda.GetLayerVersionPolicyOutput, error)
}

func (LambdaLayer) Collect(ctx context.Context, env Env, _ *world.Account, region *world.Region) error {
	c := lambda.NewFromConfig(env.Config(LaneLambdaControl))
	return CollectLambdaLayers(ctx, env, c, c, c, region)
}

type layerJob struct {
	layer   string
	version int64
}

// CollectLambdaLayers reads every layer version of env's region into region.LambdaLayers.
func CollectLambdaLayers(ctx context.Context, env Env, list lambda.ListLayersAPIClient, versions lambda.ListLayerVersionsAPIClient, gp LambdaLayerPolicyAPI, region *world.Region) error {
	layerARN := func(name string) string {
		return fmt.Sprintf("arn:%s:lambda:%s:%s:layer:%s", env.Partition(), env.Region(), env.Account(), name)
	}
	var mu sync.Mutex
	layers := map[string]*world.LambdaLayer{}
	policies := map[layerJob]string{}

	policyQ := newQueue[layerJob]()
	policyQ.workers(env.Workers(LaneLambdaControl), func(j layerJob) {
		out, err := gp.GetLayerVersionPolicy(ctx, &lambda.GetLayerVersionPolicyInput{LayerName: aws.String(j.layer), VersionNumber: aws.Int64(j.version)})
		var nf *types.ResourceNotFoundException
		switch {
		case err == nil:
			mu.Lock()
			policies[j] = aws.ToString(out.Policy)
			mu.Unlock()
		case errors.As(err, &nf):
		default:
			env.Gap("lambda:GetLayerVersionPolicy", fmt.Sprintf("%s:%d", layerARN(j.layer), j.version), err)
		}
		env.Done(1)
	})
	versionQ := newQueue[string]()
	versionQ.workers(env.Workers(LaneLambdaControl), func(name string) {
		p := lambda.NewListLayerVersionsPaginator(versions, &lambda.ListLayerVersionsInput{LayerName: aws.String(name), MaxItems: aws.Int32(lambdaListPage)})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				env.Gap("lambda:ListLayerVersions", layerARN(name), err)
				return
			}
			mu.Lock()
			l := layers[name]
			for _, v := range out.LayerVersions {
				l.Versions = append(l.Versions, world.LayerVersion{Version: v.Version})
				policyQ.push(layerJob{name, v.Version})
			}
			mu.Unlock()
			env.Listed(len(out.LayerVersions))
		}
	})

	var listErr error
	p := lambda.NewListLayersPaginator(list, &lambda.ListLayersInput{MaxItems: aws.Int32(lambdaListPage)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			listErr = &OpError{Op: "lambda:ListLayers", Err: err}
			break
		}
		mu.Lock()
		for _, l := range out.Layers {
			name := aws.ToString(l.LayerName)
			if layers[name] == nil {
				layers[name] = &world.LambdaLayer{Name: name}
				versionQ.push(name)
			}
		}
		mu.Unlock()
	}
	versionQ.closeAndWait()
	policyQ.closeAndWait()

	out := make([]world.LambdaLayer, 0, len(layers))
	for _, l := range layers {
		if len(l.Versions) == 0 { // its listing failed (a gap says so) or it vanished
			continue
		}
		for i := range l.Versions {
			l.Versions[i].Policy = world.Policy(policies[layerJob{l.Name, l.Versions[i].Version}])
		}
		sort.Slice(l.Versions, func(i, j int) bool { return l.Versions[i].Version < l.Versions[j].Version })
		out = append(out, *l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	region.LambdaLayers = out
	return listErr
}

func (LambdaLayer) Policies(acct *world.Account) []Policy {
	var out []Policy
	for _, r := range acct.Regions {
		p := Partition(r.Name)
		for _, l := range r.LambdaLayers {
			for _, v := range l.Versions {
				if v.Policy != "" {
					arn := fmt.Sprintf("arn:%s:lambda:%s:%s:layer:%s:%d", p, r.Name, acct.ID, l.Name, v.Version)
					out = append(out, Policy{Region: r.Name, ResourceARN: arn, Document: string(v.Policy)})
				}
			}
		}
	}
	return out
}

// Resources counts layer versions: each is a resource with its own ARN and policy.
func (LambdaLayer) Resources(acct *world.Account) int {
	n := 0
	for _, r := range acct.Regions {
		for _, l := range r.LambdaLayers {
			n += len(l.Versions)
		}
	}
	return n
}

func (LambdaLayer) MinimalCalls(acct *world.Account) map[string]int64 {
	m := map[string]int64{}
	for i := range acct.Regions {
		r := &acct.Regions[i]
		if !r.Enabled() {
			continue
		}
		list, versions, policies := lambdaLayerCalls(r)
		m["lambda:ListLayers"] += list
		m["lambda:ListLayerVersions"] += versions
		m["lambda:GetLayerVersionPolicy"] += policies
	}
	return m
}

func (LambdaLayer) Demand(_ *world.Account, r *world.Region) map[string]int64 {
	list, versions, policies := lambdaLayerCalls(r)
	return map[string]int64{LaneLambdaControl: list + versions + policies}
}

// lambdaLayerCalls is ceil(L/50) + L*ceil(LV/50) + L*LV (PERFORMANCE.md §1).
func lambdaLayerCalls(r *world.Region) (list, versions, policies int64) {
	for _, l := range r.LambdaLayers {
		versions += pages(len(l.Versions), lambdaListPage)
		policies += int64(len(l.Versions))
	}
	return pages(len(r.LambdaLayers), lambdaListPage), versions, policies
}
