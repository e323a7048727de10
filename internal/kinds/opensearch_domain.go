package kinds

import (
	"context"
	"fmt"
	"math"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/opensearch"
	ostypes "github.com/aws/aws-sdk-go-v2/service/opensearch/types"

	"github.com/trustaudit/trustaudit/internal/world"
)

// LaneOpenSearch is the OpenSearch Service configuration API (signed "es"); no rate is
// published.
const LaneOpenSearch = "opensearch"

// osBatch is how many domains DescribeDomains takes in one call.
const osBatch = 5

// OpenSearchDomain audits every domain's access policy, OpenSearch and legacy
// Elasticsearch alike: the OpenSearch API lists and describes both (EngineType), so one
// kind covers them. Calls: ListDomainNames (all domains in one answer), then DescribeDomains
// for five domains at a time; AccessPolicies comes with the domain status.
//
// Remediation rewrites AccessPolicies with UpdateDomainConfig. A policy is never removed
// outright: what a domain without one allows depends on fine-grained access control, so
// an empty result is left for a person.
var OpenSearchDomain = policyFix{
	policyKind: &policyKind{
		name:     "opensearch-domain",
		actions:  []string{"es:DescribeDomains", "es:ListDomainNames"},
		lanes:    []Lane{{Name: LaneOpenSearch, Rate: 20, Ops: []string{"es:DescribeDomains", "es:ListDomainNames"}}},
		listLane: LaneOpenSearch,
		listOp:   "es:ListDomainNames",
		listCall: "opensearch:ListDomainNames",
		page:     math.MaxInt32, // one call lists every domain
		list: func(ctx context.Context, cfg aws.Config, env Env, _ string) ([]listed, string, error) {
			out, err := opensearch.NewFromConfig(cfg).ListDomainNames(ctx, &opensearch.ListDomainNamesInput{})
			if err != nil {
				return nil, "", err
			}
			var rs []listed
			for _, d := range out.DomainNames {
				name := aws.ToString(d.DomainName)
				rs = append(rs, listed{id: name, res: world.Resource{Kind: "opensearch-domain", Name: name,
					ARN: fmt.Sprintf("arn:%s:es:%s:%s:domain/%s", env.Partition(), env.Region(), env.Account(), name)}})
			}
			return rs, "", nil
		},
		reads:      []policyRead{{lane: LaneOpenSearch, op: "es:DescribeDomains", call: "opensearch:DescribeDomains", batch: osBatch, read: osReadDomains}},
		dropUnread: true,
	},
	fixActions: []string{"es:DescribeDomain", "es:UpdateDomainConfig"},
	canDelete:  false,
	get: func(ctx context.Context, cfg aws.Config, ref PolicyRef) (LivePolicy, error) {
		name, err := parseStorageARN(ref.ResourceARN, "es", "domain/", "arn:PARTITION:es:REGION:ACCOUNT:domain/NAME")
		if err != nil {
			return LivePolicy{}, err
		}
		out, err := opensearch.NewFromConfig(cfg).DescribeDomain(ctx, &opensearch.DescribeDomainInput{DomainName: aws.String(name)})
		if err != nil {
			if notFound[*ostypes.ResourceNotFoundException](err) {
				return LivePolicy{}, fmt.Errorf("es:DescribeDomain %s: %w: %w", name, ErrNoSuchResource, err)
			}
			return LivePolicy{}, fmt.Errorf("es:DescribeDomain %s: %w", name, err)
		}
		if out.DomainStatus == nil {
			return LivePolicy{}, fmt.Errorf("es:DescribeDomain %s: the answer has no domain status", name)
		}
		return LivePolicy{Document: aws.ToString(out.DomainStatus.AccessPolicies)}, nil
	},
	put: func(ctx context.Context, cfg aws.Config, ref PolicyRef, doc string) error {
		name, err := parseStorageARN(ref.ResourceARN, "es", "domain/", "arn:PARTITION:es:REGION:ACCOUNT:domain/NAME")
		if err != nil {
			return err
		}
		if _, err := opensearch.NewFromConfig(cfg).UpdateDomainConfig(ctx, &opensearch.UpdateDomainConfigInput{DomainName: aws.String(name), AccessPolicies: aws.String(doc)}); err != nil {
			return fmt.Errorf("es:UpdateDomainConfig %s: %w", name, err)
		}
		return nil
	},
}

func init() { Register(OpenSearchDomain) }

// osReadDomains describes a batch of domains by name. A domain missing from the answer was
// deleted since it was listed; it is kept without a policy.
func osReadDomains(ctx context.Context, cfg aws.Config, names []string) (func([]*world.Resource), error) {
	out, err := opensearch.NewFromConfig(cfg).DescribeDomains(ctx, &opensearch.DescribeDomainsInput{DomainNames: names})
	if err != nil {
		return nil, err
	}
	byName := map[string]ostypes.DomainStatus{}
	for _, st := range out.DomainStatusList {
		byName[aws.ToString(st.DomainName)] = st
	}
	return func(rs []*world.Resource) {
		for _, r := range rs {
			st, ok := byName[r.Name]
			if !ok {
				continue
			}
			if arn := aws.ToString(st.ARN); arn != "" {
				r.ARN = arn
			}
			r.Policy = world.Policy(aws.ToString(st.AccessPolicies))
			if v := aws.ToString(st.EngineVersion); v != "" {
				r.Attributes = map[string]string{"EngineVersion": v}
			}
		}
	}, nil
}
