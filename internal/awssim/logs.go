package awssim

import (
	"encoding/json"
	"fmt"

	"github.com/trustaudit/trustaudit/internal/world"
)

// CloudWatch Logs (JSON 1.1, X-Amz-Target Logs_20140328.*): account-level resource policies
// of world kind "logs-resource-policy" (Name the policy name, Policy the document) and
// destinations of world kind "logs-destination" (Name the destination name, Policy the
// access policy).

const logsTarget = "Logs_20140328."

func init() {
	handleJSON("logs", logsTarget+"DescribeResourcePolicies", logsDescribeResourcePolicies)
	handleJSON("logs", logsTarget+"PutResourcePolicy", logsPutResourcePolicy)
	handleJSON("logs", logsTarget+"DeleteResourcePolicy", logsDeleteResourcePolicy)
	handleJSON("logs", logsTarget+"DescribeDestinations", logsDescribeDestinations)
	handleJSON("logs", logsTarget+"PutDestinationPolicy", logsPutDestinationPolicy)
}

type logsIn struct {
	PolicyName            string `json:"policyName"`
	PolicyDocument        string `json:"policyDocument"`
	DestinationName       string `json:"destinationName"`
	AccessPolicy          string `json:"accessPolicy"`
	DestinationNamePrefix string
	Limit                 int    `json:"limit"`
	NextToken             string `json:"nextToken"`
}

func logsDecode(s *Server, c *Call, in *logsIn) (*world.Region, error) {
	if err := jsonUnmarshal(c.Body, in); err != nil {
		return nil, err
	}
	if in.Limit < 0 || in.Limit > 50 {
		return nil, invalidParam("InvalidParameterException", "limit must be between 1 and 50")
	}
	r, aerr := s.region(c)
	if aerr != nil {
		return nil, aerr
	}
	return r, nil
}

func logsPage[T any](all []T, in *logsIn) ([]T, string, error) {
	max := in.Limit
	if max == 0 {
		max = 50
	}
	page, next, ok := pageOf(all, in.NextToken, max)
	if !ok {
		return nil, "", invalidParam("InvalidParameterException", "The specified nextToken is invalid.")
	}
	return append([]T{}, page...), next, nil
}

func logsDescribeResourcePolicies(s *Server, c *Call) (any, error) {
	var in logsIn
	r, err := logsDecode(s, c, &in)
	if err != nil {
		return nil, err
	}
	var all []map[string]any
	for _, x := range kindResources(r, "logs-resource-policy") {
		all = append(all, map[string]any{"policyName": x.Name, "policyDocument": string(x.Policy), "policyScope": "ACCOUNT", "lastUpdatedTime": 1})
	}
	page, next, err := logsPage(all, &in)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"resourcePolicies": page}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

func logsPutResourcePolicy(s *Server, c *Call) (any, error) {
	var in logsIn
	r, err := logsDecode(s, c, &in)
	if err != nil {
		return nil, err
	}
	if in.PolicyName == "" || !json.Valid([]byte(in.PolicyDocument)) {
		return nil, invalidParam("InvalidParameterException", "policyName and a JSON policyDocument are required")
	}
	x := findKindResource(r, "logs-resource-policy", in.PolicyName, nil)
	if x == nil {
		x = addKindResource(r, world.Resource{Kind: "logs-resource-policy", Name: in.PolicyName})
	}
	x.Policy = world.Policy(in.PolicyDocument)
	return map[string]any{"resourcePolicy": map[string]any{"policyName": x.Name, "policyDocument": string(x.Policy), "policyScope": "ACCOUNT", "lastUpdatedTime": 1}}, nil
}

func logsDeleteResourcePolicy(s *Server, c *Call) (any, error) {
	var in logsIn
	r, err := logsDecode(s, c, &in)
	if err != nil {
		return nil, err
	}
	for i := range r.Resources {
		if x := &r.Resources[i]; x.Kind == "logs-resource-policy" && x.Name == in.PolicyName {
			r.Resources = append(r.Resources[:i], r.Resources[i+1:]...)
			return map[string]any{}, nil
		}
	}
	return nil, &APIError{Status: 400, Code: "ResourceNotFoundException", Message: "Policy with name [" + in.PolicyName + "] does not exist", Sender: true}
}

func logsDestinationARN(c *Call, x *world.Resource) string {
	return resourceARN(c, x, "arn:%s:logs:%s:%s:destination:%s")
}

func logsDescribeDestinations(s *Server, c *Call) (any, error) {
	var in logsIn
	r, err := logsDecode(s, c, &in)
	if err != nil {
		return nil, err
	}
	var all []map[string]any
	for _, x := range kindResources(r, "logs-destination") {
		if len(x.Name) < len(in.DestinationNamePrefix) || x.Name[:len(in.DestinationNamePrefix)] != in.DestinationNamePrefix {
			continue
		}
		d := map[string]any{"destinationName": x.Name, "arn": logsDestinationARN(c, x), "creationTime": 1,
			"targetArn": fmt.Sprintf("arn:%s:kinesis:%s:%s:stream/%s", arnPartition(c.Region), c.Region, c.Account, x.Name),
			"roleArn":   fmt.Sprintf("arn:%s:iam::%s:role/%s-logs", arnPartition(c.Region), c.Account, x.Name)}
		if x.Policy != "" {
			d["accessPolicy"] = string(x.Policy)
		}
		all = append(all, d)
	}
	page, next, err := logsPage(all, &in)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"destinations": page}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

func logsPutDestinationPolicy(s *Server, c *Call) (any, error) {
	var in logsIn
	r, err := logsDecode(s, c, &in)
	if err != nil {
		return nil, err
	}
	x := findKindResource(r, "logs-destination", in.DestinationName, nil)
	if x == nil {
		return nil, &APIError{Status: 400, Code: "ResourceNotFoundException", Message: "The specified destination does not exist.", Sender: true}
	}
	if !json.Valid([]byte(in.AccessPolicy)) || in.AccessPolicy == "" {
		return nil, invalidParam("InvalidParameterException", "accessPolicy must be a JSON policy")
	}
	x.Policy = world.Policy(in.AccessPolicy)
	return map[string]any{}, nil
}
