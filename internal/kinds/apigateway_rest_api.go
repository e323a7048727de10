package kinds

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"

	"github.com/trustaudit/trustaudit/internal/world"
)

// LaneAPIGateway is API Gateway's management API. AWS publishes per-action rates for some
// calls (GetResources: 5 every 2 seconds per account) but none for GetRestApis, so the lane
// starts at that pace and adapts.
const LaneAPIGateway = "apigateway"

const apigwPage = 500

// APIGatewayRestAPI audits the resource policy of every REST API. GetRestApis (500 a page)
// carries each API's policy, so no call per API is needed.
//
// There is no remediation: a changed policy takes effect only when the API is deployed
// again, which trustaudit does not do on anyone's behalf.
var APIGatewayRestAPI = &policyKind{
	name:     "apigateway-rest-api",
	actions:  []string{"apigateway:GET"},
	lanes:    []Lane{{Name: LaneAPIGateway, Rate: 2.5, Ops: []string{"apigateway:GET"}}},
	listLane: LaneAPIGateway,
	listOp:   "apigateway:GET",
	listCall: "api gateway:GetRestApis",
	page:     apigwPage,
	list: func(ctx context.Context, cfg aws.Config, env Env, token string) ([]listed, string, error) {
		in := &apigateway.GetRestApisInput{Limit: aws.Int32(apigwPage)}
		if token != "" {
			in.Position = aws.String(token)
		}
		out, err := apigateway.NewFromConfig(cfg).GetRestApis(ctx, in)
		if err != nil {
			return nil, "", err
		}
		var rs []listed
		for _, api := range out.Items {
			id := aws.ToString(api.Id)
			r := world.Resource{Kind: "apigateway-rest-api", Name: id,
				ARN:        fmt.Sprintf("arn:%s:apigateway:%s::/restapis/%s", env.Partition(), env.Region(), id),
				Attributes: map[string]string{"name": aws.ToString(api.Name)}}
			r.Policy = world.Policy(apigwPolicy(aws.ToString(api.Policy)))
			rs = append(rs, listed{res: r})
		}
		return rs, aws.ToString(out.Position), nil
	},
}

func init() { Register(APIGatewayRestAPI) }

// apigwPolicy undoes API Gateway's extra escaping: it returns the policy with every quote
// backslash-escaped ({\"Version\":...}), i.e. the policy encoded as a JSON string body
// once more than the JSON answer requires. A policy that already reads as JSON is kept.
func apigwPolicy(p string) string {
	if p == "" || json.Valid([]byte(p)) {
		return p
	}
	var s string
	if err := json.Unmarshal([]byte(`"`+p+`"`), &s); err == nil && json.Valid([]byte(s)) {
		return s
	}
	return p
}
