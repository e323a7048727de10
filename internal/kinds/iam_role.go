package kinds

import (
	"context"
	"fmt"
	"net/url"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/trustaudit/trustaudit/internal/world"
)

// LaneIAMRead is IAM's read bucket. AWS publishes no rate for it, so the lane starts at a
// rate no account is known to be throttled at and halves on a throttle.
const LaneIAMRead = "iam:read"

var iamReadLane = Lane{Name: LaneIAMRead, Rate: 20, Ops: []string{"iam:ListRoles"}}

// iamRolePage is ListRoles' largest page.
const iamRolePage = 1000

// IAMRole audits every role's trust policy. ListRoles already carries each role's
// AssumeRolePolicyDocument, so the whole account costs ceil(R/1000) calls and no call per
// role (GetRole would add R calls for nothing).
type IAMRole struct{}

func init() { Register(IAMRole{}) }

func (IAMRole) Name() string      { return "iam-role" }
func (IAMRole) Global() bool      { return true }
func (IAMRole) Actions() []string { return []string{"iam:ListRoles"} }
func (IAMRole) Lanes() []Lane     { return []Lane{iamReadLane} }

func (IAMRole) Collect(ctx context.Context, env Env, acct *world.Account, _ *world.Region) error {
	return CollectIAMRoles(ctx, env, iam.NewFromConfig(env.Config(LaneIAMRead)), acct)
}

// CollectIAMRoles reads every role and its trust policy into acct.IAM.Roles.
func CollectIAMRoles(ctx context.Context, env Env, c iam.ListRolesAPIClient, acct *world.Account) error {
	var roles []world.Role
	var listErr error
	p := iam.NewListRolesPaginator(c, &iam.ListRolesInput{MaxItems: aws.Int32(iamRolePage)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			listErr = &OpError{Op: "iam:ListRoles", Err: err}
			break
		}
		env.Listed(len(out.Roles))
		for _, r := range out.Roles {
			role := world.Role{
				Name:        aws.ToString(r.RoleName),
				Path:        aws.ToString(r.Path),
				RoleID:      aws.ToString(r.RoleId),
				Description: aws.ToString(r.Description),
			}
			doc := aws.ToString(r.AssumeRolePolicyDocument)
			// IAM returns the document percent-encoded (RFC 3986). PathUnescape, unlike
			// QueryUnescape, keeps a literal "+" as it is.
			if dec, err := url.PathUnescape(doc); err == nil {
				doc = dec
			} else {
				env.Gap("iam:ListRoles", roleARN(env.Partition(), env.Account(), role.Path, role.Name), fmt.Errorf("trust policy is not percent-encoded as IAM returns it: %w", err))
				continue
			}
			role.AssumeRolePolicy = world.Policy(doc)
			roles = append(roles, role)
		}
		env.Done(len(out.Roles))
	}
	sort.Slice(roles, func(i, j int) bool { return roles[i].Name < roles[j].Name })
	acct.IAM.Roles = roles
	return listErr
}

func roleARN(partition, account, path, name string) string {
	if path == "" {
		path = "/"
	}
	return fmt.Sprintf("arn:%s:iam::%s:role%s%s", partition, account, path, name)
}

// accountPartition guesses an account's partition from its regions.
func accountPartition(acct *world.Account) string {
	for _, r := range acct.Regions {
		return Partition(r.Name)
	}
	return "aws"
}

func (IAMRole) Policies(acct *world.Account) []Policy {
	p := accountPartition(acct)
	var out []Policy
	for _, r := range acct.IAM.Roles {
		out = append(out, Policy{Region: GlobalRegion, ResourceARN: roleARN(p, acct.ID, r.Path, r.Name), Document: string(r.AssumeRolePolicy)})
	}
	return out
}

func (IAMRole) Resources(acct *world.Account) int { return len(acct.IAM.Roles) }

func (IAMRole) MinimalCalls(acct *world.Account) map[string]int64 {
	return map[string]int64{"iam:ListRoles": pages(len(acct.IAM.Roles), iamRolePage)}
}

func (IAMRole) Demand(acct *world.Account, _ *world.Region) map[string]int64 {
	return map[string]int64{LaneIAMRead: pages(len(acct.IAM.Roles), iamRolePage)}
}
