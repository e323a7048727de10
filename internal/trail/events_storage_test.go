package trail

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/trustaudit/trustaudit/internal/access"
	"github.com/trustaudit/trustaudit/internal/finding"
)

// TestStorageEvents rebuilds each storage event from requestParameters as CloudTrail logs
// them and judges the result: the resource it names and what it opened.
func TestStorageEvents(t *testing.T) {
	b, err := access.NewBoundary([]string{"222222222222"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	pub := func(action, resource string) string {
		return jsonString(`{"Version":"2012-10-17","Statement":[{"Sid":"Endgame","Effect":"Allow","Principal":{"AWS":"*"},"Action":"` + action + `","Resource":"` + resource + `"}]}`)
	}
	acct := func(id, action string) string {
		return jsonString(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + id + `:root"},"Action":"` + action + `","Resource":"*"}]}`)
	}
	cases := []struct {
		name, source, event, params, response string
		kind                                  access.Kind
		resource, policyName                  string
		removal                               bool
		want                                  finding.Category
	}{
		{name: "bucket policy as an object", source: "s3.amazonaws.com", event: "PutBucketPolicy", kind: access.KindS3Bucket,
			params:   `{"bucketName":"b","Host":"b.s3.eu-west-1.amazonaws.com","policy":[""],"bucketPolicy":{"Version":"2012-10-17","Statement":[{"Sid":"Endgame","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}}`,
			resource: "arn:aws:s3:::b", want: finding.CategoryPublic},
		{name: "bucket policy to a trusted account", source: "s3.amazonaws.com", event: "PutBucketPolicy", kind: access.KindS3Bucket,
			params:   `{"bucketName":"b","bucketPolicy":{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}}`,
			resource: "arn:aws:s3:::b"},
		{name: "bucket policy deleted", source: "s3.amazonaws.com", event: "DeleteBucketPolicy", kind: access.KindS3Bucket, removal: true,
			params: `{"bucketName":"b","policy":[""]}`, resource: "arn:aws:s3:::b"},
		{name: "canned public-read ACL", source: "s3.amazonaws.com", event: "PutBucketAcl", kind: access.KindS3Bucket,
			params: `{"bucketName":"b","acl":[""],"x-amz-acl":["public-read"]}`, resource: "arn:aws:s3:::b", policyName: "ACL", want: finding.CategoryPublic},
		{name: "ACL grant to AuthenticatedUsers", source: "s3.amazonaws.com", event: "PutBucketAcl", kind: access.KindS3Bucket,
			params:   `{"bucketName":"b","AccessControlPolicy":{"AccessControlList":{"Grant":[{"Grantee":{"xsi:type":"CanonicalUser","ID":"abc"},"Permission":"FULL_CONTROL"},{"Grantee":{"xsi:type":"Group","URI":"http://acs.amazonaws.com/groups/global/AuthenticatedUsers"},"Permission":"WRITE"}]},"Owner":{"ID":"abc"}}}`,
			resource: "arn:aws:s3:::b", policyName: "ACL", want: finding.CategoryPublic},
		{name: "private ACL", source: "s3.amazonaws.com", event: "PutBucketAcl", kind: access.KindS3Bucket,
			params: `{"bucketName":"b","x-amz-acl":["private"]}`, resource: "arn:aws:s3:::b", policyName: "ACL"},
		{name: "access point policy", source: "s3.amazonaws.com", event: "PutAccessPointPolicy", kind: access.KindS3AccessPoint,
			params:   `{"name":"ap","accountId":"111122223333","PutAccessPointPolicyRequest":{"Policy":` + acct("999988887777", "s3:GetObject") + `}}`,
			resource: "arn:aws:s3:eu-west-1:111122223333:accesspoint/ap", want: finding.CategoryUntrustedAccount},
		{name: "access point policy deleted", source: "s3.amazonaws.com", event: "DeleteAccessPointPolicy", kind: access.KindS3AccessPoint, removal: true,
			params: `{"name":"ap","accountId":"111122223333"}`, resource: "arn:aws:s3:eu-west-1:111122223333:accesspoint/ap"},
		{name: "EFS policy", source: "elasticfilesystem.amazonaws.com", event: "PutFileSystemPolicy", kind: access.KindEFSFileSystem,
			params:   `{"fileSystemId":"fs-1","policy":` + pub("elasticfilesystem:ClientMount", "*") + `,"bypassPolicyLockoutSafetyCheck":false}`,
			resource: "arn:aws:elasticfilesystem:eu-west-1:111122223333:file-system/fs-1", want: finding.CategoryPublic},
		{name: "EFS policy deleted", source: "elasticfilesystem.amazonaws.com", event: "DeleteFileSystemPolicy", kind: access.KindEFSFileSystem, removal: true,
			params: `{"fileSystemId":"fs-1"}`, resource: "arn:aws:elasticfilesystem:eu-west-1:111122223333:file-system/fs-1"},
		{name: "Glacier vault policy", source: "glacier.amazonaws.com", event: "SetVaultAccessPolicy", kind: access.KindGlacierVault,
			params:   `{"accountId":"-","vaultName":"v","policy":{"policy":` + acct("999988887777", "glacier:InitiateJob") + `}}`,
			resource: "arn:aws:glacier:eu-west-1:111122223333:vaults/v", want: finding.CategoryUntrustedAccount},
		{name: "Glacier vault policy deleted", source: "glacier.amazonaws.com", event: "DeleteVaultAccessPolicy", kind: access.KindGlacierVault, removal: true,
			params: `{"accountId":"-","vaultName":"v"}`, resource: "arn:aws:glacier:eu-west-1:111122223333:vaults/v"},
		{name: "Backup vault policy", source: "backup.amazonaws.com", event: "PutBackupVaultAccessPolicy", kind: access.KindBackupVault,
			params:   `{"backupVaultName":"v","policy":` + pub("backup:CopyIntoBackupVault", "*") + `}`,
			resource: "arn:aws:backup:eu-west-1:111122223333:backup-vault:v", want: finding.CategoryPublic},
		{name: "Backup vault policy deleted", source: "backup.amazonaws.com", event: "DeleteBackupVaultAccessPolicy", kind: access.KindBackupVault, removal: true,
			params: `{"backupVaultName":"v"}`, resource: "arn:aws:backup:eu-west-1:111122223333:backup-vault:v"},
		{name: "OpenSearch access policy", source: "es.amazonaws.com", event: "UpdateDomainConfig", kind: access.KindOpenSearchDomain,
			params:   `{"domainName":"d","accessPolicies":` + pub("es:*", "arn:aws:es:eu-west-1:111122223333:domain/d/*") + `}`,
			resource: "arn:aws:es:eu-west-1:111122223333:domain/d", want: finding.CategoryPublic},
		{name: "Elasticsearch access policy (legacy API)", source: "es.amazonaws.com", event: "UpdateElasticsearchDomainConfig", kind: access.KindOpenSearchDomain,
			params:   `{"domainName":"d","accessPolicies":` + acct("999988887777", "es:ESHttpGet") + `}`,
			resource: "arn:aws:es:eu-west-1:111122223333:domain/d", want: finding.CategoryUntrustedAccount},
		{name: "OpenSearch update without a policy", source: "es.amazonaws.com", event: "UpdateDomainConfig", kind: access.KindOpenSearchDomain,
			params: `{"domainName":"d","clusterConfig":{"instanceCount":2}}`, resource: "arn:aws:es:eu-west-1:111122223333:domain/d"},
		{name: "private CA policy", source: "acm-pca.amazonaws.com", event: "PutPolicy", kind: access.KindACMPCA,
			params:   `{"resourceArn":"arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/ca","policy":` + acct("999988887777", "acm-pca:IssueCertificate") + `}`,
			resource: "arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/ca", want: finding.CategoryUntrustedAccount},
		{name: "private CA policy deleted", source: "acm-pca.amazonaws.com", event: "DeletePolicy", kind: access.KindACMPCA, removal: true,
			params: `{"resourceArn":"arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/ca"}`, resource: "arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/ca"},
		{name: "REST API policy patched", source: "apigateway.amazonaws.com", event: "UpdateRestApi", kind: access.KindAPIGatewayRestAPI,
			params:   `{"restApiId":"a1","patchOperations":[{"op":"replace","path":"/description","value":"x"},{"op":"replace","path":"/policy","value":` + pub("execute-api:Invoke", "*") + `}]}`,
			resource: "arn:aws:apigateway:eu-west-1::/restapis/a1", want: finding.CategoryPublic},
		{name: "REST API created with a policy", source: "apigateway.amazonaws.com", event: "CreateRestApi", kind: access.KindAPIGatewayRestAPI,
			params: `{"createRestApiInput":{"name":"n","policy":` + acct("999988887777", "execute-api:Invoke") + `}}`, response: `{"id":"a2","name":"n"}`,
			resource: "arn:aws:apigateway:eu-west-1::/restapis/a2", want: finding.CategoryUntrustedAccount},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev, ok := Match(tc.source, tc.event)
			if !ok || ev.Kind != tc.kind || ev.Removal != tc.removal {
				t.Fatalf("Match(%s, %s) = %+v, %v; want kind %s, removal %v", tc.source, tc.event, ev, ok, tc.kind, tc.removal)
			}
			r := &Record{AWSRegion: "eu-west-1", RecipientAccountID: "111122223333", EventSource: tc.source, EventName: tc.event,
				RequestParameters: json.RawMessage(tc.params)}
			if tc.response != "" {
				r.ResponseElements = json.RawMessage(tc.response)
			}
			ch := rebuild(t, ev, r)
			if ch.ResourceARN != tc.resource || ch.PolicyName != tc.policyName || ch.Region != "eu-west-1" {
				t.Errorf("change %+v; want resource %s, name %q", ch, tc.resource, tc.policyName)
			}
			if tc.removal != (ch.Policy == "") {
				t.Errorf("policy %q for a removal=%v event", ch.Policy, tc.removal)
			}
			if got := verdict(t, tc.kind, ch, b); got != tc.want {
				t.Errorf("verdict %q, want %q (policy %s)", got, tc.want, ch.Policy)
			}
		})
	}
}

func TestStorageEventErrorsNameTheField(t *testing.T) {
	r := &Record{AWSRegion: "eu-west-1", RecipientAccountID: "111122223333"}
	for _, tc := range []struct{ source, event, params, want string }{
		{"s3.amazonaws.com", "PutBucketPolicy", `{"bucketName":"b"}`, "requestParameters.bucketPolicy: missing"},
		{"s3.amazonaws.com", "PutBucketAcl", `{"x-amz-acl":["public-read"]}`, "requestParameters.bucketName: missing"},
		{"elasticfilesystem.amazonaws.com", "PutFileSystemPolicy", `{"policy":"{}"}`, "requestParameters.fileSystemId: missing"},
		{"glacier.amazonaws.com", "SetVaultAccessPolicy", `{"vaultName":"v"}`, "requestParameters.policy: missing"},
		{"acm-pca.amazonaws.com", "PutPolicy", `{"policy":"{}"}`, "requestParameters.resourceArn: missing"},
		{"apigateway.amazonaws.com", "UpdateRestApi", `{"patchOperations":[]}`, "requestParameters.restApiId: missing"},
	} {
		ev, ok := Match(tc.source, tc.event)
		if !ok {
			t.Fatalf("%s %s: no table entry", tc.source, tc.event)
		}
		if err := rebuildErr(t, ev, r, tc.params); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %s: error %v, want one naming %q", tc.source, tc.event, err, tc.want)
		}
	}
}

// A lookup asks for the storage services' policy changes by event name: their event
// history is mostly reads (a scan alone records one GetBucketPolicy per bucket).
func TestStorageSourcesAreLookedUpByName(t *testing.T) {
	byName := map[string]bool{}
	for _, q := range lookupQueries() {
		if q.key == "EventName" {
			byName[q.value] = true
		}
		if q.key == "EventSource" && (q.value == "s3.amazonaws.com" || q.value == "es.amazonaws.com") {
			t.Errorf("LookupEvents pages through every %s event", q.value)
		}
	}
	for _, n := range []string{"PutBucketPolicy", "PutBucketAcl", "PutAccessPointPolicy", "PutFileSystemPolicy", "SetVaultAccessPolicy", "PutBackupVaultAccessPolicy", "UpdateDomainConfig", "UpdateElasticsearchDomainConfig", "UpdateRestApi"} {
		if !byName[n] {
			t.Errorf("LookupEvents does not ask for %s", n)
		}
	}
}
