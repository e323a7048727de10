package awssim

import (
	"fmt"

	"github.com/trustaudit/trustaudit/internal/world"
)

// ECR (JSON 1.1, X-Amz-Target AmazonEC2ContainerRegistry_V20150921.*): repositories of world
// kind "ecr-repository" (Name the repository name, Policy its policy) and the registry
// policy of world kind "ecr-registry" (one per region, Name the account id).

const ecrTarget = "AmazonEC2ContainerRegistry_V20150921."

func init() {
	handleJSON("ecr", ecrTarget+"DescribeRepositories", ecrDescribeRepositories)
	handleJSON("ecr", ecrTarget+"GetRepositoryPolicy", ecrGetRepositoryPolicy)
	handleJSON("ecr", ecrTarget+"SetRepositoryPolicy", ecrSetRepositoryPolicy)
	handleJSON("ecr", ecrTarget+"DeleteRepositoryPolicy", ecrDeleteRepositoryPolicy)
	handleJSON("ecr", ecrTarget+"GetRegistryPolicy", ecrGetRegistryPolicy)
	handleJSON("ecr", ecrTarget+"PutRegistryPolicy", ecrPutRegistryPolicy)
	handleJSON("ecr", ecrTarget+"DeleteRegistryPolicy", ecrDeleteRegistryPolicy)
}

func ecrRepoARN(c *Call, x *world.Resource) string {
	return resourceARN(c, x, "arn:%s:ecr:%s:%s:repository/%s")
}

type ecrIn struct {
	RegistryID     string `json:"registryId"`
	RepositoryName string `json:"repositoryName"`
	PolicyText     *string
	MaxResults     int    `json:"maxResults"`
	NextToken      string `json:"nextToken"`
}

func ecrDecode(s *Server, c *Call, in *ecrIn) (*world.Region, error) {
	if err := jsonUnmarshal(c.Body, in); err != nil {
		return nil, err
	}
	if in.RegistryID != "" && in.RegistryID != c.Account {
		return nil, &APIError{Status: 400, Code: "AccessDeniedException", Message: "cross-account registry access is not simulated", Sender: true}
	}
	r, aerr := s.region(c)
	if aerr != nil {
		return nil, aerr
	}
	return r, nil
}

func ecrRepo(s *Server, c *Call, in *ecrIn) (*world.Resource, error) {
	r, err := ecrDecode(s, c, in)
	if err != nil {
		return nil, err
	}
	x := findKindResource(r, "ecr-repository", in.RepositoryName, nil)
	if x == nil {
		return nil, &APIError{Status: 400, Code: "RepositoryNotFoundException", Sender: true,
			Message: fmt.Sprintf("The repository with name '%s' does not exist in the registry with id '%s'", in.RepositoryName, c.Account)}
	}
	return x, nil
}

func ecrDescribeRepositories(s *Server, c *Call) (any, error) {
	var in ecrIn
	r, err := ecrDecode(s, c, &in)
	if err != nil {
		return nil, err
	}
	if in.MaxResults < 0 || in.MaxResults > 1000 {
		return nil, invalidParam("InvalidParameterException", "maxResults must be between 1 and 1000")
	}
	var all []map[string]string
	for _, x := range kindResources(r, "ecr-repository") {
		all = append(all, map[string]string{"repositoryName": x.Name, "repositoryArn": ecrRepoARN(c, x), "registryId": c.Account,
			"repositoryUri": fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s", c.Account, c.Region, x.Name)})
	}
	max := in.MaxResults
	if max == 0 {
		max = 100
	}
	page, next, ok := pageOf(all, in.NextToken, max)
	if !ok {
		return nil, invalidParam("InvalidParameterException", "Invalid nextToken")
	}
	out := map[string]any{"repositories": append([]map[string]string{}, page...)}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

func ecrGetRepositoryPolicy(s *Server, c *Call) (any, error) {
	var in ecrIn
	x, err := ecrRepo(s, c, &in)
	if err != nil {
		return nil, err
	}
	if x.Policy == "" {
		return nil, &APIError{Status: 400, Code: "RepositoryPolicyNotFoundException", Sender: true,
			Message: fmt.Sprintf("Repository policy does not exist for the repository with name '%s' in the registry with id '%s'", x.Name, c.Account)}
	}
	return map[string]any{"registryId": c.Account, "repositoryName": x.Name, "policyText": string(x.Policy)}, nil
}

func ecrSetRepositoryPolicy(s *Server, c *Call) (any, error) {
	var in ecrIn
	x, err := ecrRepo(s, c, &in)
	if err != nil {
		return nil, err
	}
	if in.PolicyText == nil || *in.PolicyText == "" {
		return nil, invalidParam("InvalidParameterException", "policyText is required")
	}
	x.Policy = world.Policy(*in.PolicyText)
	return map[string]any{"registryId": c.Account, "repositoryName": x.Name, "policyText": string(x.Policy)}, nil
}

func ecrDeleteRepositoryPolicy(s *Server, c *Call) (any, error) {
	var in ecrIn
	x, err := ecrRepo(s, c, &in)
	if err != nil {
		return nil, err
	}
	if x.Policy == "" {
		return nil, &APIError{Status: 400, Code: "RepositoryPolicyNotFoundException", Sender: true, Message: "Repository policy does not exist"}
	}
	old := x.Policy
	x.Policy = ""
	return map[string]any{"registryId": c.Account, "repositoryName": x.Name, "policyText": string(old)}, nil
}

func noRegistryPolicy(c *Call) *APIError {
	return &APIError{Status: 400, Code: "RegistryPolicyNotFoundException", Sender: true,
		Message: fmt.Sprintf("Registry policy does not exist in the registry with id '%s'", c.Account)}
}

// ecrRegistryPolicy is the region's registry resource, when it holds a policy.
func ecrRegistryPolicy(s *Server, c *Call) (*world.Resource, error) {
	var in ecrIn
	r, err := ecrDecode(s, c, &in)
	if err != nil {
		return nil, err
	}
	x := findKindResource(r, "ecr-registry", c.Account, nil)
	if x == nil || x.Policy == "" {
		return nil, noRegistryPolicy(c)
	}
	return x, nil
}

func ecrGetRegistryPolicy(s *Server, c *Call) (any, error) {
	x, err := ecrRegistryPolicy(s, c)
	if err != nil {
		return nil, err
	}
	return map[string]any{"registryId": c.Account, "policyText": string(x.Policy)}, nil
}

func ecrPutRegistryPolicy(s *Server, c *Call) (any, error) {
	var in ecrIn
	r, err := ecrDecode(s, c, &in)
	if err != nil {
		return nil, err
	}
	if in.PolicyText == nil || *in.PolicyText == "" {
		return nil, invalidParam("InvalidParameterException", "policyText is required")
	}
	x := findKindResource(r, "ecr-registry", c.Account, nil)
	if x == nil {
		x = addKindResource(r, world.Resource{Kind: "ecr-registry", Name: c.Account})
	}
	x.Policy = world.Policy(*in.PolicyText)
	return map[string]any{"registryId": c.Account, "policyText": string(x.Policy)}, nil
}

func ecrDeleteRegistryPolicy(s *Server, c *Call) (any, error) {
	x, err := ecrRegistryPolicy(s, c)
	if err != nil {
		return nil, err
	}
	old := x.Policy
	x.Policy = ""
	return map[string]any{"registryId": c.Account, "policyText": string(old)}, nil
}
