package kinds

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3control"

	"github.com/trustaudit/trustaudit/internal/access"
	"github.com/trustaudit/trustaudit/internal/world"
)

// s3AccessPointPage is ListAccessPoints' largest page.
const s3AccessPointPage = 1000

// S3AccessPoint audits the policy of every access point of a region. An access point's
// policy grants access to the bucket's objects through the access point, in addition to
// the bucket policy. A public policy S3 does not honour is not reported, with a notice: on
// an access point that accepts requests only from a VPC (NetworkOrigin VPC), or when the
// account's public access block has RestrictPublicBuckets, which covers access points.
//
// Calls (S3 Control, which needs the account id): ListAccessPoints (1,000 a page), then
// GetAccessPointPolicy per access point, and the account's GetPublicAccessBlock once per
// region that has access points, on the S3 configuration lane.
type S3AccessPoint struct{}

func init() { Register(S3AccessPoint{}) }

func (S3AccessPoint) Name() string { return "s3-access-point" }
func (S3AccessPoint) Global() bool { return false }
func (S3AccessPoint) Actions() []string {
	return []string{"s3:GetAccessPointPolicy", "s3:GetAccountPublicAccessBlock", "s3:ListAccessPoints"}
}
func (S3AccessPoint) Lanes() []Lane { return []Lane{s3ConfigLane} }

func accessPointARN(partition, region, account, name string) string {
	return fmt.Sprintf("arn:%s:s3:%s:%s:accesspoint/%s", partition, region, account, name)
}

func (S3AccessPoint) Collect(ctx context.Context, env Env, acct *world.Account, region *world.Region) error {
	c := s3ControlClient(env.Config(LaneS3Config))
	id := env.Account()
	var (
		mu  sync.Mutex
		aps []*world.Resource
	)
	q := newQueue[*world.Resource]()
	q.workers(env.Workers(LaneS3Config), func(ap *world.Resource) {
		out, err := c.GetAccessPointPolicy(ctx, &s3control.GetAccessPointPolicyInput{AccountId: aws.String(id), Name: aws.String(ap.Name)})
		mu.Lock()
		switch {
		case err == nil:
			ap.Policy = world.Policy(aws.ToString(out.Policy))
		case isS3Code(err, "NoSuchAccessPointPolicy"):
		default:
			env.Gap("s3:GetAccessPointPolicy", ap.ARN, err)
		}
		mu.Unlock()
		env.Done(1)
	})
	var listErr error
	p := s3control.NewListAccessPointsPaginator(c, &s3control.ListAccessPointsInput{AccountId: aws.String(id), MaxResults: s3AccessPointPage})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			listErr = &OpError{Op: "s3:ListAccessPoints", Err: err}
			break
		}
		env.Listed(len(out.AccessPointList))
		for _, a := range out.AccessPointList {
			name := aws.ToString(a.Name)
			arn := aws.ToString(a.AccessPointArn)
			if arn == "" {
				arn = accessPointARN(env.Partition(), env.Region(), id, name)
			}
			ap := &world.Resource{Kind: "s3-access-point", Name: name, ARN: arn, Attributes: map[string]string{
				"Bucket": aws.ToString(a.Bucket), "NetworkOrigin": string(a.NetworkOrigin),
			}}
			mu.Lock()
			aps = append(aps, ap)
			mu.Unlock()
			q.push(ap)
		}
	}
	if len(aps) > 0 {
		accountPAB(ctx, env, acct)
	}
	q.closeAndWait()
	out := make([]world.Resource, 0, len(aps))
	for _, ap := range aps {
		out = append(out, *ap)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	addResources(region, out...)
	return listErr
}

// apJudged is an access point's policy to judge, or the notice saying why it is not.
func apJudged(acct *world.Account, region string, r *world.Resource) (*Policy, string) {
	if r.Policy == "" {
		return nil, ""
	}
	arn := r.ARN
	if arn == "" {
		arn = accessPointARN(Partition(region), region, acct.ID, r.Name)
	}
	why := ""
	switch {
	case r.Attributes["NetworkOrigin"] == "VPC":
		why = "it accepts requests only from its VPC"
	case strings.EqualFold(acct.Settings[accountPABPrefix+pabRestrictPublicBuckets], "true"):
		why = "RestrictPublicBuckets on the account limits it to the owner account and AWS services"
	}
	if why != "" && isPublic(access.KindS3AccessPoint, acct.ID, arn, string(r.Policy)) {
		return nil, fmt.Sprintf("s3-access-point %s: the access point policy is public, but %s, so it is not reported", arn, why)
	}
	return &Policy{Region: region, ResourceARN: arn, Document: string(r.Policy)}, ""
}

func (S3AccessPoint) Policies(acct *world.Account) []Policy {
	var out []Policy
	resourcesOf(acct, "s3-access-point", func(region string, r *world.Resource) {
		if p, _ := apJudged(acct, region, r); p != nil {
			out = append(out, *p)
		}
	})
	return out
}

// Notices names the public policies S3 does not honour.
func (S3AccessPoint) Notices(acct *world.Account) []string {
	var out []string
	resourcesOf(acct, "s3-access-point", func(region string, r *world.Resource) {
		if _, n := apJudged(acct, region, r); n != "" {
			out = append(out, n)
		}
	})
	return out
}

func (S3AccessPoint) Resources(acct *world.Account) int {
	return countResources(acct, "s3-access-point")
}

func (S3AccessPoint) MinimalCalls(acct *world.Account) map[string]int64 {
	m := map[string]int64{}
	for i := range acct.Regions {
		r := &acct.Regions[i]
		if !r.Enabled() {
			continue
		}
		n := regionCount(r, "s3-access-point")
		m["s3 control:ListAccessPoints"] += pages(n, s3AccessPointPage)
		if n > 0 {
			m["s3 control:GetAccessPointPolicy"] += int64(n)
			m["s3 control:GetPublicAccessBlock"]++
		}
	}
	return m
}

func (S3AccessPoint) Demand(_ *world.Account, r *world.Region) map[string]int64 {
	n := regionCount(r, "s3-access-point")
	demand := pages(n, s3AccessPointPage) + int64(n)
	if n > 0 {
		demand++
	}
	return map[string]int64{LaneS3Config: demand}
}
