package kinds

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/trustaudit/trustaudit/internal/world"
)

// KMSKey audits key policies and grants. A grant gives its grantee the listed operations on
// the key whatever the key policy says, so the grants of a key are judged as a second
// document (PolicyName "grants"), one statement per grant with Sid "grant:<id>".
//
// Calls: ListKeys (1000 per page), GetKeyPolicy PolicyName=default per key, ListGrants per
// key (100 per page). GetKeyPolicy and ListKeys have documented rates (1000 and 500 rps);
// ListGrants has none in the design notes, so its lane is adaptive.
type KMSKey struct{ *policyKind }

// KMS lanes, one per quota.
const (
	LaneKMSListKeys     = "kms:ListKeys"
	LaneKMSGetKeyPolicy = "kms:GetKeyPolicy"
	LaneKMSListGrants   = "kms:ListGrants"
)

// KMSGrantsPolicy is the PolicyName under which a key's grants are judged.
const KMSGrantsPolicy = "grants"

const (
	kmsListPage   = 1000
	kmsGrantsPage = 100
)

func init() {
	Register(KMSKey{&policyKind{
		name:    "kms-key",
		actions: []string{"kms:GetKeyPolicy", "kms:ListGrants", "kms:ListKeys"},
		lanes: []Lane{
			{Name: LaneKMSListKeys, Rate: 500, Documented: true, Ops: []string{"kms:ListKeys"}},
			{Name: LaneKMSGetKeyPolicy, Rate: 1000, Documented: true, Ops: []string{"kms:GetKeyPolicy"}},
			{Name: LaneKMSListGrants, Rate: 50, Ops: []string{"kms:ListGrants"}},
		},
		listLane: LaneKMSListKeys,
		listOp:   "kms:ListKeys",
		page:     kmsListPage,
		list:     listKMSKeys,
		reads: []policyRead{
			{lane: LaneKMSGetKeyPolicy, op: "kms:GetKeyPolicy", read: readPolicyDoc(readKeyPolicy)},
			{lane: LaneKMSListGrants, op: "kms:ListGrants", read: perResource(func(ctx context.Context, cfg aws.Config, id string) (func(*world.Resource), error) {
				grants, err := readKeyGrants(ctx, cfg, id)
				return func(r *world.Resource) { r.Grants = grants }, err
			}),
				calls: func(r *world.Resource) int64 { return pages(len(r.Grants), kmsGrantsPage) }},
		},
		policies: kmsPolicies,
	}})
}

func listKMSKeys(ctx context.Context, cfg aws.Config, _ Env, token string) ([]listed, string, error) {
	out, err := kms.NewFromConfig(cfg).ListKeys(ctx, &kms.ListKeysInput{Limit: aws.Int32(kmsListPage), Marker: optToken(token)})
	if err != nil {
		return nil, "", err
	}
	items := make([]listed, 0, len(out.Keys))
	for _, k := range out.Keys {
		id := aws.ToString(k.KeyId)
		items = append(items, listed{id: id, res: world.Resource{Kind: "kms-key", Name: id, ARN: aws.ToString(k.KeyArn)}})
	}
	next := ""
	if out.Truncated {
		next = tokenOf(out.NextMarker)
	}
	return items, next, nil
}

func readKeyPolicy(ctx context.Context, cfg aws.Config, id string) (string, error) {
	out, err := kms.NewFromConfig(cfg).GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(id), PolicyName: aws.String("default")})
	if err != nil {
		var nf *types.NotFoundException
		if errors.As(err, &nf) {
			return "", errGone
		}
		return "", err
	}
	return aws.ToString(out.Policy), nil
}

func readKeyGrants(ctx context.Context, cfg aws.Config, id string) ([]world.Grant, error) {
	c := kms.NewFromConfig(cfg)
	var grants []world.Grant
	var marker *string
	for {
		out, err := c.ListGrants(ctx, &kms.ListGrantsInput{KeyId: aws.String(id), Limit: aws.Int32(kmsGrantsPage), Marker: marker})
		if err != nil {
			var nf *types.NotFoundException
			if errors.As(err, &nf) {
				return nil, errGone
			}
			return nil, err
		}
		for _, g := range out.Grants {
			wg := world.Grant{ID: aws.ToString(g.GrantId), Grantee: aws.ToString(g.GranteePrincipal)}
			for _, op := range g.Operations {
				wg.Permissions = append(wg.Permissions, string(op))
			}
			grants = append(grants, wg)
		}
		if !out.Truncated || aws.ToString(out.NextMarker) == "" {
			break
		}
		marker = out.NextMarker
	}
	return grants, nil
}

func kmsPolicies(region, partition, account string, r *world.Resource) []Policy {
	arn := r.ARN
	if arn == "" {
		arn = fmt.Sprintf("arn:%s:kms:%s:%s:key/%s", partition, region, account, r.Name)
	}
	var out []Policy
	if r.Policy != "" {
		out = append(out, Policy{Region: region, ResourceARN: arn, Document: string(r.Policy)})
	}
	if len(r.Grants) > 0 {
		out = append(out, Policy{Region: region, ResourceARN: arn, PolicyName: KMSGrantsPolicy, Document: GrantsDocument(arn, r.Grants)})
	}
	return out
}

// GrantsDocument renders KMS grants as a policy document: a grantee that is an account id or
// an IAM ARN becomes an AWS principal, anything else (a service principal) a Service one.
func GrantsDocument(keyARN string, grants []world.Grant) string {
	type stmt struct {
		Sid       string         `json:"Sid"`
		Effect    string         `json:"Effect"`
		Principal map[string]any `json:"Principal"`
		Action    []string       `json:"Action"`
		Resource  string         `json:"Resource"`
	}
	doc := struct {
		Version   string `json:"Version"`
		Statement []stmt `json:"Statement"`
	}{Version: "2012-10-17"}
	for i, g := range grants {
		sid := "grant:" + g.ID
		if g.ID == "" {
			sid = "grant:" + strconv.Itoa(i)
		}
		p := map[string]any{"AWS": g.Grantee}
		switch {
		case len(g.Grantee) == 12 && isDigits(g.Grantee):
			p = map[string]any{"AWS": "arn:" + partitionOfARN(keyARN) + ":iam::" + g.Grantee + ":root"}
		case len(g.Grantee) > 4 && g.Grantee[:4] == "arn:":
		default:
			p = map[string]any{"Service": g.Grantee}
		}
		acts := make([]string, 0, len(g.Permissions))
		for _, op := range g.Permissions {
			acts = append(acts, "kms:"+op)
		}
		doc.Statement = append(doc.Statement, stmt{Sid: sid, Effect: "Allow", Principal: p, Action: acts, Resource: keyARN})
	}
	b, _ := json.Marshal(doc)
	return string(b)
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func partitionOfARN(arn string) string {
	if a, err := parseARNOf(arn, "kms", ""); err == nil {
		return a.Partition
	}
	return "aws"
}

// Remediation rewrites the key policy with PutKeyPolicy; a key cannot be without one. Grants
// are not rewritten: a revoked grant cannot be re-created with its id, so restore could not
// put it back, and WritePolicy refuses them with the command that revokes one.

var _ DocumentRemediator = KMSKey{}

func (KMSKey) FixActions() []string {
	return []string{"kms:GetKeyPolicy", "kms:ListGrants", "kms:PutKeyPolicy"}
}

func (KMSKey) CanDelete() bool { return false }

func (KMSKey) ReadPolicy(ctx context.Context, cfg aws.Config, ref PolicyRef) (LivePolicy, error) {
	a, err := parseARNOf(ref.ResourceARN, "kms", "arn:PARTITION:kms:REGION:ACCOUNT:key/KEY-ID")
	if err != nil {
		return LivePolicy{}, err
	}
	if ref.PolicyName != KMSGrantsPolicy {
		doc, err := readKeyPolicy(ctx, cfg, ref.ResourceARN)
		return livePolicy("kms:GetKeyPolicy", ref.ResourceARN, doc, err)
	}
	grants, err := readKeyGrants(ctx, cfg, ref.ResourceARN)
	doc := ""
	if len(grants) > 0 {
		doc = GrantsDocument(a.String(), grants)
	}
	return livePolicy("kms:ListGrants", ref.ResourceARN, doc, err)
}

func (KMSKey) WritePolicy(ctx context.Context, cfg aws.Config, ref PolicyRef, doc string) error {
	if ref.PolicyName == KMSGrantsPolicy {
		return fmt.Errorf("%s: KMS grants are not rewritten (a revoked grant cannot be re-created as it was); revoke the grant with aws kms revoke-grant --key-id %s --grant-id <id>", ref.ResourceARN, ref.ResourceARN)
	}
	if doc == "" {
		return fmt.Errorf("%s: a KMS key cannot be left without a key policy", ref.ResourceARN)
	}
	_, err := kms.NewFromConfig(cfg).PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: aws.String(ref.ResourceARN), PolicyName: aws.String("default"), Policy: aws.String(doc)})
	if err != nil {
		return fmt.Errorf("kms:PutKeyPolicy %s: %w", ref.ResourceARN, err)
	}
	return nil
}
