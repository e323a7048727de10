package kinds

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	pcatypes "github.com/aws/aws-sdk-go-v2/service/acmpca/types"

	"github.com/trustaudit/trustaudit/internal/world"
)

// LaneACMPCA is ACM Private CA's control plane; no rate is published for its reads.
const LaneACMPCA = "acm-pca"

const pcaPage = 1000

// ACMPCA audits every private CA's resource policy, which lets other accounts issue
// certificates from it: ListCertificateAuthorities (1,000 a page), then GetPolicy per CA.
var ACMPCA = policyFix{
	policyKind: &policyKind{
		name:     "acm-pca",
		actions:  []string{"acm-pca:GetPolicy", "acm-pca:ListCertificateAuthorities"},
		lanes:    []Lane{{Name: LaneACMPCA, Rate: 20, Ops: []string{"acm-pca:GetPolicy", "acm-pca:ListCertificateAuthorities"}}},
		listLane: LaneACMPCA,
		listOp:   "acm-pca:ListCertificateAuthorities",
		listCall: "acm pca:ListCertificateAuthorities",
		page:     pcaPage,
		list: func(ctx context.Context, cfg aws.Config, env Env, token string) ([]listed, string, error) {
			in := &acmpca.ListCertificateAuthoritiesInput{MaxResults: aws.Int32(pcaPage)}
			if token != "" {
				in.NextToken = aws.String(token)
			}
			out, err := acmpca.NewFromConfig(cfg).ListCertificateAuthorities(ctx, in)
			if err != nil {
				return nil, "", err
			}
			var rs []listed
			for _, ca := range out.CertificateAuthorities {
				arn := aws.ToString(ca.Arn)
				id, err := parseStorageARN(arn, "acm-pca", "certificate-authority/", "arn:PARTITION:acm-pca:REGION:ACCOUNT:certificate-authority/ID")
				if err != nil {
					env.Gap("acm-pca:ListCertificateAuthorities", arn, err)
					continue
				}
				rs = append(rs, listed{id: arn, res: world.Resource{Kind: "acm-pca", Name: id, ARN: arn}})
			}
			return rs, aws.ToString(out.NextToken), nil
		},
		reads:      []policyRead{{lane: LaneACMPCA, op: "acm-pca:GetPolicy", call: "acm pca:GetPolicy", read: readPolicyDoc(pcaReadPolicy)}},
		dropUnread: true,
	},
	fixActions: []string{"acm-pca:DeletePolicy", "acm-pca:GetPolicy", "acm-pca:PutPolicy"},
	canDelete:  true,
	get: func(ctx context.Context, cfg aws.Config, ref PolicyRef) (LivePolicy, error) {
		p, err := pcaReadPolicy(ctx, cfg, ref.ResourceARN)
		if err != nil {
			return LivePolicy{}, fmt.Errorf("acm-pca:GetPolicy %s: %w", ref.ResourceARN, err)
		}
		return LivePolicy{Document: p}, nil
	},
	put: func(ctx context.Context, cfg aws.Config, ref PolicyRef, doc string) error {
		c := acmpca.NewFromConfig(cfg)
		if doc == "" {
			if _, err := c.DeletePolicy(ctx, &acmpca.DeletePolicyInput{ResourceArn: aws.String(ref.ResourceARN)}); err != nil {
				return fmt.Errorf("acm-pca:DeletePolicy %s: %w", ref.ResourceARN, err)
			}
			return nil
		}
		if _, err := c.PutPolicy(ctx, &acmpca.PutPolicyInput{ResourceArn: aws.String(ref.ResourceARN), Policy: aws.String(doc)}); err != nil {
			return fmt.Errorf("acm-pca:PutPolicy %s: %w", ref.ResourceARN, err)
		}
		return nil
	},
}

func init() { Register(ACMPCA) }

// pcaReadPolicy returns a CA's policy, "" when it has none (ResourceNotFoundException).
func pcaReadPolicy(ctx context.Context, cfg aws.Config, arn string) (string, error) {
	out, err := acmpca.NewFromConfig(cfg).GetPolicy(ctx, &acmpca.GetPolicyInput{ResourceArn: aws.String(arn)})
	switch {
	case err == nil:
		return aws.ToString(out.Policy), nil
	case notFound[*pcatypes.ResourceNotFoundException](err):
		return "", nil
	}
	return "", err
}
