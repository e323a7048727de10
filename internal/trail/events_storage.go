package trail

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/trustaudit/trustaudit/internal/access"
)

// The policy-changing events of S3 (bucket policy, bucket ACL, access point policy), EFS,
// Glacier, AWS Backup, OpenSearch and legacy Elasticsearch, ACM Private CA and API Gateway
// (LANDSCAPE.md §3). A bucket ACL is rebuilt as the policy document the s3-bucket kind
// judges (its public grants, policy name "ACL"); whether the public access block
// neutralises it is not in the record, so it is reported as written.

// Every read of these services (a scan's own GetBucketPolicy per bucket among them) is a
// management event: LookupEvents asks for the policy changes by name, never pages the reads.
func init() {
	register("s3.amazonaws.com", byName,
		// CloudTrail logs the bucket policy as an object.
		Event{Name: "PutBucketPolicy", Kind: access.KindS3Bucket, Rebuild: putDocument(bucketARN, "bucketPolicy")},
		Event{Name: "DeleteBucketPolicy", Kind: access.KindS3Bucket, Removal: true, Rebuild: deleteDocument(bucketARN)},
		Event{Name: "PutBucketAcl", Kind: access.KindS3Bucket, Rebuild: s3PutBucketACL},
		Event{Name: "PutAccessPointPolicy", Kind: access.KindS3AccessPoint, Rebuild: s3PutAccessPointPolicy},
		Event{Name: "DeleteAccessPointPolicy", Kind: access.KindS3AccessPoint, Removal: true, Rebuild: deleteDocument(accessPointARN)},
	)
	register("elasticfilesystem.amazonaws.com", byName,
		Event{Name: "PutFileSystemPolicy", Kind: access.KindEFSFileSystem, Rebuild: putDocument(efsARN, "policy")},
		Event{Name: "DeleteFileSystemPolicy", Kind: access.KindEFSFileSystem, Removal: true, Rebuild: deleteDocument(efsARN)},
	)
	register("glacier.amazonaws.com", byName,
		Event{Name: "SetVaultAccessPolicy", Kind: access.KindGlacierVault, Rebuild: glacierSet},
		Event{Name: "DeleteVaultAccessPolicy", Kind: access.KindGlacierVault, Removal: true, Rebuild: deleteDocument(glacierARN)},
	)
	register("backup.amazonaws.com", byName,
		Event{Name: "PutBackupVaultAccessPolicy", Kind: access.KindBackupVault, Rebuild: putDocument(backupARN, "policy")},
		Event{Name: "DeleteBackupVaultAccessPolicy", Kind: access.KindBackupVault, Removal: true, Rebuild: deleteDocument(backupARN)},
	)
	register("es.amazonaws.com", byName,
		Event{Name: "UpdateDomainConfig", Kind: access.KindOpenSearchDomain, Rebuild: esDomain},
		Event{Name: "CreateDomain", Kind: access.KindOpenSearchDomain, Rebuild: esDomain},
		Event{Name: "UpdateElasticsearchDomainConfig", Kind: access.KindOpenSearchDomain, Rebuild: esDomain},
		Event{Name: "CreateElasticsearchDomain", Kind: access.KindOpenSearchDomain, Rebuild: esDomain},
	)
	register("acm-pca.amazonaws.com", byName,
		Event{Name: "PutPolicy", Kind: access.KindACMPCA, Rebuild: putDocument(paramARN("resourceArn"), "policy")},
		Event{Name: "DeletePolicy", Kind: access.KindACMPCA, Removal: true, Rebuild: deleteDocument(paramARN("resourceArn"))},
	)
	register("apigateway.amazonaws.com", byName,
		Event{Name: "UpdateRestApi", Kind: access.KindAPIGatewayRestAPI, Rebuild: apigwUpdate},
		Event{Name: "CreateRestApi", Kind: access.KindAPIGatewayRestAPI, Rebuild: apigwCreate},
	)
}

// emptyPolicy is what a call that set no policy is judged as: nothing granted.
const emptyPolicy = `{"Version":"2012-10-17","Statement":[]}`

func regionalARN(r *Record, service, resource string) string {
	return fmt.Sprintf("arn:%s:%s:%s:%s:%s", partition(r.AWSRegion), service, r.AWSRegion, r.Account(), resource)
}

func bucketARN(r *Record, p params) (string, error) {
	b, err := p.required("bucketName")
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("arn:%s:s3:::%s", partition(r.AWSRegion), b), nil
}

const (
	allUsersURI  = "http://acs.amazonaws.com/groups/global/AllUsers"
	authUsersURI = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
)

// cannedACLs are the canned ACLs that grant beyond the owner (x-amz-acl).
var cannedACLs = map[string]map[string][]string{
	"public-read":        {allUsersURI: {"READ"}},
	"public-read-write":  {allUsersURI: {"READ", "WRITE"}},
	"authenticated-read": {authUsersURI: {"READ"}},
}

var aclActions = map[string][]string{
	"READ":         {"s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads"},
	"WRITE":        {"s3:PutObject", "s3:DeleteObject"},
	"READ_ACP":     {"s3:GetBucketAcl"},
	"WRITE_ACP":    {"s3:PutBucketAcl"},
	"FULL_CONTROL": {"s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads", "s3:PutObject", "s3:DeleteObject", "s3:GetBucketAcl", "s3:PutBucketAcl"},
}

// s3PutBucketACL rebuilds the public grants of a PutBucketAcl: a canned ACL (x-amz-acl) or
// the grants of AccessControlPolicy, as one statement per public group with Principal "*".
func s3PutBucketACL(r *Record, p params) (*Change, error) {
	arn, err := bucketARN(r, p)
	if err != nil {
		return nil, err
	}
	grants := map[string][]string{}
	canned, err := p.strs("x-amz-acl")
	if err != nil {
		return nil, err
	}
	for _, c := range canned {
		for g, perms := range cannedACLs[c] {
			grants[g] = append(grants[g], perms...)
		}
	}
	if acp, ok := p["AccessControlPolicy"].(map[string]any); ok {
		list, _ := acp["AccessControlList"].(map[string]any)
		var gs []any
		switch g := list["Grant"].(type) {
		case []any:
			gs = g
		case map[string]any:
			gs = []any{g}
		}
		for _, x := range gs {
			g, _ := x.(map[string]any)
			grantee, _ := g["Grantee"].(map[string]any)
			uri, _ := grantee["URI"].(string)
			perm, _ := g["Permission"].(string)
			if uri == allUsersURI || uri == authUsersURI {
				grants[uri] = append(grants[uri], perm)
			}
		}
	}
	var stmts []map[string]any
	for _, uri := range []string{allUsersURI, authUsersURI} {
		perms := grants[uri]
		if len(perms) == 0 {
			continue
		}
		sort.Strings(perms)
		seen := map[string]bool{}
		var acts []string
		for _, pm := range perms {
			for _, a := range aclActions[pm] {
				if !seen[a] {
					seen[a] = true
					acts = append(acts, a)
				}
			}
		}
		who := uri[strings.LastIndexByte(uri, '/')+1:]
		stmts = append(stmts, map[string]any{"Sid": "ACL" + who + strings.ReplaceAll(strings.Join(perms, ""), "_", ""), "Effect": "Allow", "Principal": "*", "Action": acts, "Resource": arn})
	}
	doc := emptyPolicy
	if len(stmts) > 0 {
		b, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": stmts})
		if err != nil {
			return nil, err
		}
		doc = string(b)
	}
	return &Change{ResourceARN: arn, PolicyName: "ACL", Policy: doc, Region: r.AWSRegion}, nil
}

func accessPointARN(r *Record, p params) (string, error) {
	name, err := p.required("name")
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(name, "arn:") {
		return name, nil
	}
	acct, err := p.str("accountId")
	if err != nil {
		return "", err
	}
	if acct == "" {
		acct = r.Account()
	}
	return fmt.Sprintf("arn:%s:s3:%s:%s:accesspoint/%s", partition(r.AWSRegion), r.AWSRegion, acct, name), nil
}

// s3PutAccessPointPolicy: the policy is logged at the top level or inside the request body
// element (PutAccessPointPolicyRequest.Policy).
func s3PutAccessPointPolicy(r *Record, p params) (*Change, error) {
	arn, err := accessPointARN(r, p)
	if err != nil {
		return nil, err
	}
	src := p
	if body, ok := p["PutAccessPointPolicyRequest"].(map[string]any); ok {
		src = params(body)
		if _, ok := src["Policy"]; ok {
			src = params{"policy": src["Policy"]}
		}
	}
	doc, err := src.policyText("policy")
	if err != nil {
		return nil, err
	}
	return &Change{ResourceARN: arn, Policy: doc, Region: r.AWSRegion}, nil
}

func efsARN(r *Record, p params) (string, error) {
	id, err := p.required("fileSystemId")
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(id, "arn:") {
		return id, nil
	}
	return regionalARN(r, "elasticfilesystem", "file-system/"+id), nil
}

func glacierARN(r *Record, p params) (string, error) {
	v, err := p.required("vaultName")
	if err != nil {
		return "", err
	}
	acct, err := p.str("accountId")
	if err != nil {
		return "", err
	}
	if acct == "" || acct == "-" {
		acct = r.Account()
	}
	return fmt.Sprintf("arn:%s:glacier:%s:%s:vaults/%s", partition(r.AWSRegion), r.AWSRegion, acct, v), nil
}

// glacierSet: the policy parameter is the VaultAccessPolicy structure ({"policy": "..."}).
func glacierSet(r *Record, p params) (*Change, error) {
	arn, err := glacierARN(r, p)
	if err != nil {
		return nil, err
	}
	src := p
	if inner, ok := p["policy"].(map[string]any); ok {
		if _, hasDoc := inner["policy"]; hasDoc {
			src = params(inner)
		}
	}
	doc, err := src.policyText("policy")
	if err != nil {
		return nil, err
	}
	return &Change{ResourceARN: arn, Policy: doc, Region: r.AWSRegion}, nil
}

func backupARN(r *Record, p params) (string, error) {
	v, err := p.required("backupVaultName")
	if err != nil {
		return "", err
	}
	return regionalARN(r, "backup", "backup-vault:"+v), nil
}

// esDomain covers the OpenSearch and Elasticsearch create and update calls; one that sets
// no access policy changes none and is judged as granting nothing.
func esDomain(r *Record, p params) (*Change, error) {
	d, err := p.required("domainName")
	if err != nil {
		return nil, err
	}
	doc := emptyPolicy
	if _, ok := p["accessPolicies"]; ok {
		if doc, err = p.policyText("accessPolicies"); err != nil {
			return nil, err
		}
	}
	return &Change{ResourceARN: regionalARN(r, "es", "domain/"+d), Policy: doc, Region: r.AWSRegion}, nil
}

func apigwARN(r *Record, id string) string {
	return fmt.Sprintf("arn:%s:apigateway:%s::/restapis/%s", partition(r.AWSRegion), r.AWSRegion, id)
}

// apigwUpdate reads the patch operations that replace or add /policy; an update of
// anything else is judged as granting nothing.
func apigwUpdate(r *Record, p params) (*Change, error) {
	id, err := p.required("restApiId")
	if err != nil {
		return nil, err
	}
	ops, _ := p["patchOperations"].([]any)
	if patch, ok := p["patch"].(map[string]any); ok && ops == nil {
		ops, _ = patch["patchOperations"].([]any)
	}
	doc := emptyPolicy
	for _, x := range ops {
		op, _ := x.(map[string]any)
		if path, _ := op["path"].(string); path != "/policy" {
			continue
		}
		if verb, _ := op["op"].(string); verb != "replace" && verb != "add" {
			continue
		}
		if doc, err = params(op).policyText("value"); err != nil {
			return nil, fmt.Errorf("requestParameters.patchOperations: %w", err)
		}
	}
	return &Change{ResourceARN: apigwARN(r, id), Policy: doc, Region: r.AWSRegion}, nil
}

// apigwCreate judges the policy a new API is created with; the id is in the response.
func apigwCreate(r *Record, p params) (*Change, error) {
	src := p
	if in, ok := p["createRestApiInput"].(map[string]any); ok {
		src = params(in)
	}
	doc := emptyPolicy
	if _, ok := src["policy"]; ok {
		var err error
		if doc, err = src.policyText("policy"); err != nil {
			return nil, err
		}
	}
	var resp struct {
		ID string `json:"id"`
	}
	id := "*"
	if len(r.ResponseElements) > 0 && json.Unmarshal(r.ResponseElements, &resp) == nil && resp.ID != "" {
		id = resp.ID
	}
	return &Change{ResourceARN: apigwARN(r, id), Policy: doc, Region: r.AWSRegion}, nil
}
