package kinds

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/smithy-go"
	smithyendpoints "github.com/aws/smithy-go/endpoints"

	"github.com/trustaudit/trustaudit/internal/access"
	"github.com/trustaudit/trustaudit/internal/policy"
	"github.com/trustaudit/trustaudit/internal/world"
)

// LaneS3Config carries S3's bucket configuration reads and S3 Control's. AWS publishes
// request rates per object prefix, none for bucket configuration APIs, so the lane starts
// modestly and halves on a throttle (S3 answers SlowDown).
const LaneS3Config = "s3:config"

var s3ConfigLane = Lane{Name: LaneS3Config, Rate: 50, Ops: []string{
	"s3:GetAccessPointPolicy", "s3:GetAccountPublicAccessBlock", "s3:GetBucketAcl", "s3:GetBucketPolicy",
	"s3:GetBucketPublicAccessBlock", "s3:ListAccessPoints", "s3:ListAllMyBuckets",
}}

// s3BucketPage is ListBuckets' largest page.
const s3BucketPage = 10000

// The public access block settings, named as S3 names them. A bucket keeps its own in
// Resource.Attributes, the account's are Account.Settings with the "s3:" prefix.
const (
	pabBlockPublicAcls       = "BlockPublicAcls"
	pabIgnorePublicAcls      = "IgnorePublicAcls"
	pabBlockPublicPolicy     = "BlockPublicPolicy"
	pabRestrictPublicBuckets = "RestrictPublicBuckets"
	accountPABPrefix         = "s3:"
)

// S3 ACL group grantees that open a bucket beyond the account.
const (
	s3AllUsers           = "http://acs.amazonaws.com/groups/global/AllUsers"
	s3AuthenticatedUsers = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
)

// S3ACLPolicyName is the policy name findings about a bucket's ACL carry: the ACL is judged
// as a policy document made of its grants, apart from the bucket policy.
const S3ACLPolicyName = "ACL"

// S3Bucket audits every bucket's policy and ACL, and reads the public access block of the
// bucket and of the account, which make S3 ignore public ACLs (IgnorePublicAcls) and
// restrict public policies to the owner account and AWS services (RestrictPublicBuckets).
// A grant those settings neutralise is not reported; a notice says it is there.
//
// The kind is regional: ListBuckets filtered by BucketRegion lists the region's buckets,
// so every bucket call goes to the bucket's own region. Calls: ListBuckets (10,000 a page),
// then GetBucketPolicy, GetBucketAcl and GetPublicAccessBlock per bucket, and S3 Control's
// GetPublicAccessBlock for the account once per region that holds buckets.
type S3Bucket struct{}

func init() { Register(S3Bucket{}) }

func (S3Bucket) Name() string { return "s3-bucket" }
func (S3Bucket) Global() bool { return false }
func (S3Bucket) Actions() []string {
	return []string{"s3:GetAccountPublicAccessBlock", "s3:GetBucketAcl", "s3:GetBucketPolicy", "s3:GetBucketPublicAccessBlock", "s3:ListAllMyBuckets"}
}
func (S3Bucket) Lanes() []Lane { return []Lane{s3ConfigLane} }

// s3Client is an S3 client for env's region.
func s3Client(cfg aws.Config) *s3.Client {
	return s3.NewFromConfig(cfg)
}

// s3ControlClient is an S3 Control client. S3 Control puts the account id in front of the
// endpoint's host; an endpoint given as an IP address (a local test endpoint) cannot carry
// a host label, so there the account travels only in the x-amz-account-id header, which
// every S3 Control call sends anyway.
func s3ControlClient(cfg aws.Config) *s3control.Client {
	return s3control.NewFromConfig(cfg, func(o *s3control.Options) {
		o.EndpointResolverV2 = ipSafeControlResolver{s3control.NewDefaultEndpointResolverV2()}
	})
}

type ipSafeControlResolver struct{ s3control.EndpointResolverV2 }

func (r ipSafeControlResolver) ResolveEndpoint(ctx context.Context, p s3control.EndpointParameters) (smithyendpoints.Endpoint, error) {
	ep, err := r.EndpointResolverV2.ResolveEndpoint(ctx, p)
	if err != nil || p.Endpoint == nil || p.AccountId == nil {
		return ep, err
	}
	base, perr := url.Parse(*p.Endpoint)
	if perr != nil || !isIPHost(base.Hostname()) {
		return ep, err
	}
	if prefixed := *p.AccountId + "." + base.Host; ep.URI.Host == prefixed {
		ep.URI.Host = base.Host
	}
	return ep, nil
}

func isIPHost(h string) bool { return net.ParseIP(h) != nil }

// isS3Code reports whether err is an S3 error with the given code.
func isS3Code(err error, code string) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == code
}

// accountPAB reads the account's public access block into acct.Settings once per region
// scanned; regions collect concurrently, so the write is guarded.
func accountPAB(ctx context.Context, env Env, acct *world.Account) {
	c := s3ControlClient(env.Config(LaneS3Config))
	out, err := c.GetPublicAccessBlock(ctx, &s3control.GetPublicAccessBlockInput{AccountId: aws.String(env.Account())})
	settings := map[string]string{}
	switch {
	case err == nil && out.PublicAccessBlockConfiguration != nil:
		pc := out.PublicAccessBlockConfiguration
		settings[accountPABPrefix+pabBlockPublicAcls] = fmt.Sprint(aws.ToBool(pc.BlockPublicAcls))
		settings[accountPABPrefix+pabIgnorePublicAcls] = fmt.Sprint(aws.ToBool(pc.IgnorePublicAcls))
		settings[accountPABPrefix+pabBlockPublicPolicy] = fmt.Sprint(aws.ToBool(pc.BlockPublicPolicy))
		settings[accountPABPrefix+pabRestrictPublicBuckets] = fmt.Sprint(aws.ToBool(pc.RestrictPublicBuckets))
	case isS3Code(err, "NoSuchPublicAccessBlockConfiguration"):
	default:
		env.Gap("s3:GetAccountPublicAccessBlock", "", err)
		return
	}
	if acct == nil {
		return
	}
	resourcesMu.Lock()
	defer resourcesMu.Unlock()
	if acct.Settings == nil {
		acct.Settings = map[string]string{}
	}
	for k, v := range settings {
		acct.Settings[k] = v
	}
}

func (S3Bucket) Collect(ctx context.Context, env Env, acct *world.Account, region *world.Region) error {
	c := s3Client(env.Config(LaneS3Config))
	part := env.Partition()
	var (
		mu      sync.Mutex
		buckets = map[string]*world.Resource{}
	)
	q := newQueue[string]()
	q.workers(env.Workers(LaneS3Config), func(name string) {
		arn := "arn:" + part + ":s3:::" + name
		b := world.Resource{Kind: "s3-bucket", Name: name, ARN: arn}
		ok := true
		pol, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(name)})
		switch {
		case err == nil:
			b.Policy = world.Policy(aws.ToString(pol.Policy))
		case isS3Code(err, "NoSuchBucketPolicy"):
		default:
			env.Gap("s3:GetBucketPolicy", arn, err)
			ok = false
		}
		acl, err := c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String(name)})
		if err != nil {
			env.Gap("s3:GetBucketAcl", arn, err)
			ok = false
		} else {
			b.Grants = aclGrants(acl)
		}
		pab, err := c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String(name)})
		switch {
		case err == nil && pab.PublicAccessBlockConfiguration != nil:
			pc := pab.PublicAccessBlockConfiguration
			b.Attributes = map[string]string{
				pabBlockPublicAcls:       fmt.Sprint(aws.ToBool(pc.BlockPublicAcls)),
				pabIgnorePublicAcls:      fmt.Sprint(aws.ToBool(pc.IgnorePublicAcls)),
				pabBlockPublicPolicy:     fmt.Sprint(aws.ToBool(pc.BlockPublicPolicy)),
				pabRestrictPublicBuckets: fmt.Sprint(aws.ToBool(pc.RestrictPublicBuckets)),
			}
		case err == nil, isS3Code(err, "NoSuchPublicAccessBlockConfiguration"):
		default:
			env.Gap("s3:GetBucketPublicAccessBlock", arn, err)
			ok = false
		}
		if ok {
			mu.Lock()
			buckets[name] = &b
			mu.Unlock()
		}
		env.Done(1)
	})

	var listErr error
	listed := 0
	p := s3.NewListBucketsPaginator(c, &s3.ListBucketsInput{BucketRegion: aws.String(env.Region()), MaxBuckets: aws.Int32(s3BucketPage)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			listErr = &OpError{Op: "s3:ListAllMyBuckets", Err: err}
			break
		}
		env.Listed(len(out.Buckets))
		for _, b := range out.Buckets {
			// Older endpoints ignore the filter; a bucket of another region is that
			// region's to read.
			if r := aws.ToString(b.BucketRegion); r != "" && r != env.Region() {
				continue
			}
			listed++
			q.push(aws.ToString(b.Name))
		}
	}
	if listed > 0 {
		accountPAB(ctx, env, acct)
	}
	q.closeAndWait()

	out := make([]world.Resource, 0, len(buckets))
	for _, b := range buckets {
		out = append(out, *b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	addResources(region, out...)
	return listErr
}

// aclGrants keeps the grants of an ACL that reach beyond the owner, merged per grantee.
func aclGrants(acl *s3.GetBucketAclOutput) []world.Grant {
	owner := ""
	if acl.Owner != nil {
		owner = aws.ToString(acl.Owner.ID)
	}
	var out []world.Grant
	index := map[string]int{}
	for _, g := range acl.Grants {
		if g.Grantee == nil {
			continue
		}
		id, typ := "", string(g.Grantee.Type)
		switch {
		case g.Grantee.URI != nil:
			id, typ = aws.ToString(g.Grantee.URI), "Group"
		case g.Grantee.EmailAddress != nil:
			id, typ = aws.ToString(g.Grantee.EmailAddress), "AmazonCustomerByEmail"
		case g.Grantee.ID != nil:
			id, typ = aws.ToString(g.Grantee.ID), "CanonicalUser"
		}
		if id == "" || id == owner {
			continue
		}
		i, ok := index[id]
		if !ok {
			i = len(out)
			index[id] = i
			out = append(out, world.Grant{Grantee: id, GranteeType: typ})
		}
		out[i].Permissions = append(out[i].Permissions, string(g.Permission))
	}
	return out
}

// s3ACLActions are the S3 actions an ACL permission amounts to on a bucket.
var s3ACLActions = map[string][]string{
	"READ":         {"s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads"},
	"WRITE":        {"s3:PutObject", "s3:DeleteObject"},
	"READ_ACP":     {"s3:GetBucketAcl"},
	"WRITE_ACP":    {"s3:PutBucketAcl"},
	"FULL_CONTROL": {"s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads", "s3:PutObject", "s3:DeleteObject", "s3:GetBucketAcl", "s3:PutBucketAcl"},
}

// aclDocument turns the public grants of an ACL (AllUsers, AuthenticatedUsers) into a
// policy document, one statement per grantee whose Sid says where it came from, so that
// the one engine judges it. AuthenticatedUsers is any AWS account: public as well.
// Grants to single canonical users are left out: a canonical id names no account that
// can be told offline.
func aclDocument(arn string, grants []world.Grant) string {
	type stmt struct {
		Sid       string
		Effect    string
		Principal string
		Action    []string
		Resource  string
	}
	var stmts []stmt
	for _, g := range grants {
		var who string
		switch g.Grantee {
		case s3AllUsers:
			who = "AllUsers"
		case s3AuthenticatedUsers:
			who = "AuthenticatedUsers"
		default:
			continue
		}
		perms := append([]string(nil), g.Permissions...)
		sort.Strings(perms)
		seen := map[string]bool{}
		var acts []string
		for _, p := range perms {
			for _, a := range s3ACLActions[p] {
				if !seen[a] {
					seen[a] = true
					acts = append(acts, a)
				}
			}
		}
		if len(acts) == 0 {
			continue
		}
		stmts = append(stmts, stmt{Sid: "ACL" + who + strings.ReplaceAll(strings.Join(perms, ""), "_", ""), Effect: "Allow", Principal: "*", Action: acts, Resource: arn})
	}
	if len(stmts) == 0 {
		return ""
	}
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": stmts})
	return string(b)
}

// pabOn reports whether a public access block flag is set on the bucket or the account,
// and which.
func pabOn(acct *world.Account, r *world.Resource, flag string) string {
	switch {
	case strings.EqualFold(r.Attributes[flag], "true"):
		return "bucket"
	case strings.EqualFold(acct.Settings[accountPABPrefix+flag], "true"):
		return "account"
	}
	return ""
}

// isPublic reports whether a policy grants the public, as the engine judges it.
func isPublic(k access.Kind, owner, arn, doc string) bool {
	d, err := policy.Parse([]byte(doc))
	if err != nil {
		return false
	}
	return access.Evaluate(access.Input{Kind: k, Owner: owner, ResourceARN: arn, Doc: d}, access.Boundary{}).Public
}

// s3Judged is one bucket's policies to judge and the notices about grants S3 ignores.
func s3Judged(acct *world.Account, region string, r *world.Resource) ([]Policy, []string) {
	arn := r.ARN
	if arn == "" {
		arn = "arn:" + Partition(region) + ":s3:::" + r.Name
	}
	var pols []Policy
	var notes []string
	if r.Policy != "" {
		if by := pabOn(acct, r, pabRestrictPublicBuckets); by != "" && isPublic(access.KindS3Bucket, acct.ID, arn, string(r.Policy)) {
			notes = append(notes, fmt.Sprintf("s3-bucket %s: the bucket policy is public, but RestrictPublicBuckets on the %s limits it to the owner account and AWS services, so it is not reported; turning the setting off would expose the bucket", arn, by))
		} else {
			pols = append(pols, Policy{Region: region, ResourceARN: arn, Document: string(r.Policy)})
		}
	}
	if doc := aclDocument(arn, r.Grants); doc != "" {
		if by := pabOn(acct, r, pabIgnorePublicAcls); by != "" {
			notes = append(notes, fmt.Sprintf("s3-bucket %s: the ACL grants access to everyone (AllUsers or AuthenticatedUsers), but IgnorePublicAcls on the %s makes S3 ignore it, so it is not reported; turning the setting off would expose the bucket", arn, by))
		} else {
			pols = append(pols, Policy{Region: region, ResourceARN: arn, PolicyName: S3ACLPolicyName, Document: doc})
		}
	}
	return pols, notes
}

func (S3Bucket) Policies(acct *world.Account) []Policy {
	var out []Policy
	resourcesOf(acct, "s3-bucket", func(region string, r *world.Resource) {
		p, _ := s3Judged(acct, region, r)
		out = append(out, p...)
	})
	return out
}

// Notices names the grants the public access block neutralises.
func (S3Bucket) Notices(acct *world.Account) []string {
	var out []string
	resourcesOf(acct, "s3-bucket", func(region string, r *world.Resource) {
		_, n := s3Judged(acct, region, r)
		out = append(out, n...)
	})
	return out
}

func (S3Bucket) Resources(acct *world.Account) int { return countResources(acct, "s3-bucket") }

func (S3Bucket) MinimalCalls(acct *world.Account) map[string]int64 {
	m := map[string]int64{}
	for i := range acct.Regions {
		r := &acct.Regions[i]
		if !r.Enabled() {
			continue
		}
		for k, v := range s3BucketCalls(r) {
			m[k] += v
		}
	}
	return m
}

func (S3Bucket) Demand(_ *world.Account, r *world.Region) map[string]int64 {
	var n int64
	for _, v := range s3BucketCalls(r) {
		n += v
	}
	return map[string]int64{LaneS3Config: n}
}

// s3BucketCalls is ceil(B/10000) + 3B, plus one account public access block read when the
// region has buckets.
func s3BucketCalls(r *world.Region) map[string]int64 {
	b := regionCount(r, "s3-bucket")
	m := map[string]int64{"s3:ListBuckets": pages(b, s3BucketPage)}
	if b > 0 {
		m["s3:GetBucketPolicy"] = int64(b)
		m["s3:GetBucketAcl"] = int64(b)
		m["s3:GetPublicAccessBlock"] = int64(b)
		m["s3 control:GetPublicAccessBlock"] = 1
	}
	return m
}
