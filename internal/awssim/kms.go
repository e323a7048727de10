package awssim

import (
	"fmt"

	"github.com/trustaudit/trustaudit/internal/world"
)

// KMS (JSON 1.1, X-Amz-Target TrentService.*): ListKeys, GetKeyPolicy, PutKeyPolicy and
// ListGrants on the keys of world kind "kms-key" (Name is the key id, Policy the default key
// policy, Grants its grants: Grantee the grantee principal, Permissions the operations). A
// key is named by its id or its ARN.

const kmsTarget = "TrentService."

func init() {
	handleJSON("kms", kmsTarget+"ListKeys", kmsListKeys)
	handleJSON("kms", kmsTarget+"GetKeyPolicy", kmsGetKeyPolicy)
	handleJSON("kms", kmsTarget+"PutKeyPolicy", kmsPutKeyPolicy)
	handleJSON("kms", kmsTarget+"ListGrants", kmsListGrants)
}

func kmsARN(c *Call, x *world.Resource) string {
	return resourceARN(c, x, "arn:%s:kms:%s:%s:key/%s")
}

func kmsLimit(n int) (int, error) {
	switch {
	case n == 0:
		return 100, nil
	case n < 1 || n > 1000:
		return 0, invalidParam("ValidationException", "1 validation error detected: Value at 'limit' failed to satisfy constraint: Member must have value less than or equal to 1000")
	}
	return n, nil
}

type kmsKeyIn struct {
	KeyID      string `json:"KeyId"`
	PolicyName string
	Policy     *string
	Limit      int
	Marker     string
}

func kmsKey(s *Server, c *Call, in *kmsKeyIn) (*world.Resource, error) {
	if err := jsonUnmarshal(c.Body, in); err != nil {
		return nil, err
	}
	r, aerr := s.region(c)
	if aerr != nil {
		return nil, aerr
	}
	x := findKindResource(r, "kms-key", in.KeyID, func(x *world.Resource) string { return kmsARN(c, x) })
	if x == nil {
		return nil, &APIError{Status: 400, Code: "NotFoundException", Message: fmt.Sprintf("Key '%s' does not exist", in.KeyID), Sender: true}
	}
	return x, nil
}

// kmsPage answers a KMS list call with the page of all at marker, under key.
func kmsPage[T any](key string, all []T, marker string, limit int) (any, error) {
	page, next, ok := pageOf(all, marker, limit)
	if !ok {
		return nil, badToken("InvalidMarkerException")
	}
	out := map[string]any{key: append([]T{}, page...), "Truncated": next != ""}
	if next != "" {
		out["NextMarker"] = next
	}
	return out, nil
}

func kmsListKeys(s *Server, c *Call) (any, error) {
	var in kmsKeyIn
	if err := jsonUnmarshal(c.Body, &in); err != nil {
		return nil, err
	}
	limit, err := kmsLimit(in.Limit)
	if err != nil {
		return nil, err
	}
	r, aerr := s.region(c)
	if aerr != nil {
		return nil, aerr
	}
	var all []map[string]string
	for _, x := range kindResources(r, "kms-key") {
		all = append(all, map[string]string{"KeyId": x.Name, "KeyArn": kmsARN(c, x)})
	}
	return kmsPage("Keys", all, in.Marker, limit)
}

// kmsPolicyKey is the key whose policy a call reads or writes: KMS keys have only the
// policy named "default".
func kmsPolicyKey(s *Server, c *Call, in *kmsKeyIn) (*world.Resource, error) {
	x, err := kmsKey(s, c, in)
	if err != nil {
		return nil, err
	}
	if in.PolicyName != "" && in.PolicyName != "default" {
		return nil, &APIError{Status: 400, Code: "NotFoundException", Message: "No such policy exists", Sender: true}
	}
	return x, nil
}

func kmsGetKeyPolicy(s *Server, c *Call) (any, error) {
	var in kmsKeyIn
	x, err := kmsPolicyKey(s, c, &in)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Policy": string(x.Policy), "PolicyName": "default"}, nil
}

func kmsPutKeyPolicy(s *Server, c *Call) (any, error) {
	var in kmsKeyIn
	x, err := kmsPolicyKey(s, c, &in)
	if err != nil {
		return nil, err
	}
	if in.Policy == nil || *in.Policy == "" {
		return nil, &APIError{Status: 400, Code: "MalformedPolicyDocumentException", Message: "The new key policy will not allow you to update the key policy in the future.", Sender: true}
	}
	x.Policy = world.Policy(*in.Policy)
	return map[string]any{}, nil
}

func kmsListGrants(s *Server, c *Call) (any, error) {
	var in kmsKeyIn
	x, err := kmsKey(s, c, &in)
	if err != nil {
		return nil, err
	}
	limit, err := kmsLimit(in.Limit)
	if err != nil {
		return nil, err
	}
	if limit > 100 {
		limit = 100
	}
	var all []map[string]any
	for i, g := range x.Grants {
		id := g.ID
		if id == "" {
			id = uuidOf(kmsARN(c, x) + fmt.Sprint(i))
		}
		all = append(all, map[string]any{"GrantId": id, "GranteePrincipal": g.Grantee, "Operations": g.Permissions,
			"KeyId": kmsARN(c, x), "IssuingAccount": "arn:" + arnPartition(c.Region) + ":iam::" + c.Account + ":root"})
	}
	return kmsPage("Grants", all, in.Marker, limit)
}
