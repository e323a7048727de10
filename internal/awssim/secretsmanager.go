package awssim

import (
	"fmt"

	"github.com/trustaudit/trustaudit/internal/world"
)

// Secrets Manager (JSON 1.1, X-Amz-Target secretsmanager.*): ListSecrets, GetResourcePolicy,
// PutResourcePolicy and DeleteResourcePolicy on the secrets of world kind
// "secretsmanager-secret". A secret is named by its name or its ARN, which (when the world
// gives none) ends in a stable six-character suffix as AWS's do.

const secretsTarget = "secretsmanager."

func init() {
	handleJSON("secretsmanager", secretsTarget+"ListSecrets", secretsList)
	handleJSON("secretsmanager", secretsTarget+"GetResourcePolicy", secretsGetPolicy)
	handleJSON("secretsmanager", secretsTarget+"PutResourcePolicy", secretsPutPolicy)
	handleJSON("secretsmanager", secretsTarget+"DeleteResourcePolicy", secretsDeletePolicy)
}

func secretARN(c *Call, x *world.Resource) string {
	if x.ARN != "" {
		return x.ARN
	}
	return fmt.Sprintf("arn:%s:secretsmanager:%s:%s:secret:%s-%s", arnPartition(c.Region), c.Region, c.Account, x.Name, suffixOf(c.Account+c.Region+x.Name))
}

func secretsList(s *Server, c *Call) (any, error) {
	var in struct {
		MaxResults int
		NextToken  string
	}
	if err := jsonUnmarshal(c.Body, &in); err != nil {
		return nil, err
	}
	if in.MaxResults < 0 || in.MaxResults > 100 {
		return nil, invalidParam("InvalidParameterException", "MaxResults must be between 1 and 100.")
	}
	r, aerr := s.region(c)
	if aerr != nil {
		return nil, aerr
	}
	type entry struct{ ARN, Name string }
	var all []entry
	for _, x := range kindResources(r, "secretsmanager-secret") {
		all = append(all, entry{secretARN(c, x), x.Name})
	}
	max := in.MaxResults
	if max == 0 {
		max = 100
	}
	page, next, ok := pageOf(all, in.NextToken, max)
	if !ok {
		return nil, badToken("InvalidNextTokenException")
	}
	out := map[string]any{"SecretList": append([]entry{}, page...)}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}

type secretIn struct {
	SecretID       string `json:"SecretId"`
	ResourcePolicy *string
}

func secretOf(s *Server, c *Call, in *secretIn) (*world.Resource, error) {
	if err := jsonUnmarshal(c.Body, in); err != nil {
		return nil, err
	}
	r, aerr := s.region(c)
	if aerr != nil {
		return nil, aerr
	}
	x := findKindResource(r, "secretsmanager-secret", in.SecretID, func(x *world.Resource) string { return secretARN(c, x) })
	if x == nil {
		return nil, &APIError{Status: 400, Code: "ResourceNotFoundException", Message: "Secrets Manager can't find the specified secret.", Sender: true}
	}
	return x, nil
}

func secretsGetPolicy(s *Server, c *Call) (any, error) {
	var in secretIn
	x, err := secretOf(s, c, &in)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"ARN": secretARN(c, x), "Name": x.Name}
	if x.Policy != "" {
		out["ResourcePolicy"] = string(x.Policy)
	}
	return out, nil
}

func secretsPutPolicy(s *Server, c *Call) (any, error) {
	var in secretIn
	x, err := secretOf(s, c, &in)
	if err != nil {
		return nil, err
	}
	if in.ResourcePolicy == nil || *in.ResourcePolicy == "" {
		return nil, invalidParam("InvalidParameterException", "ResourcePolicy is required.")
	}
	x.Policy = world.Policy(*in.ResourcePolicy)
	return map[string]any{"ARN": secretARN(c, x), "Name": x.Name}, nil
}

func secretsDeletePolicy(s *Server, c *Call) (any, error) {
	var in secretIn
	x, err := secretOf(s, c, &in)
	if err != nil {
		return nil, err
	}
	x.Policy = ""
	return map[string]any{"ARN": secretARN(c, x), "Name": x.Name}, nil
}
