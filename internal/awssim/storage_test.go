package awssim

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	pcatypes "github.com/aws/aws-sdk-go-v2/service/acmpca/types"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	bktypes "github.com/aws/aws-sdk-go-v2/service/backup/types"
	"github.com/aws/aws-sdk-go-v2/service/efs"
	efstypes "github.com/aws/aws-sdk-go-v2/service/efs/types"
	"github.com/aws/aws-sdk-go-v2/service/glacier"
	gltypes "github.com/aws/aws-sdk-go-v2/service/glacier/types"
	"github.com/aws/aws-sdk-go-v2/service/opensearch"

	"github.com/trustaudit/trustaudit/internal/world"
)

// TestStorageServicesErrors checks, through the real clients, the answers the collectors
// and remediation tell apart: a missing policy and a missing resource are each service's
// own typed error.
func TestStorageServicesErrors(t *testing.T) {
	w := &world.World{SchemaVersion: world.SchemaVersion, Accounts: []world.Account{{
		ID: s3Owner, AccessKeys: []world.AccessKey{{ID: "AKIAST", ARN: "arn:aws:iam::" + s3Owner + ":user/a"}},
		Regions: []world.Region{{Name: "us-east-1", Resources: []world.Resource{
			{Kind: "efs-filesystem", Name: "fs-1"},
			{Kind: "glacier-vault", Name: "v"},
			{Kind: "backup-vault", Name: "b"},
			{Kind: "acm-pca", Name: "ca"},
			{Kind: "opensearch-domain", Name: "d", Policy: `{"Statement":[]}`, Attributes: map[string]string{"EngineVersion": "Elasticsearch_7.10"}},
			{Kind: "apigateway-rest-api", Name: "a1", Policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"*"}]}`},
		}}},
	}}}
	s, err := Start(Options{World: w, NoQuotas: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cfg := s.Config("AKIAST", "us-east-1")
	ctx := context.Background()
	is := func(err error, target any) bool { return errors.As(err, target) }

	_, err = efs.NewFromConfig(cfg).DescribeFileSystemPolicy(ctx, &efs.DescribeFileSystemPolicyInput{FileSystemId: aws.String("fs-1")})
	if pnf := new(efstypes.PolicyNotFound); !is(err, &pnf) {
		t.Errorf("EFS without a policy: %v", err)
	}
	_, err = efs.NewFromConfig(cfg).DescribeFileSystemPolicy(ctx, &efs.DescribeFileSystemPolicyInput{FileSystemId: aws.String("fs-2")})
	if fnf := new(efstypes.FileSystemNotFound); !is(err, &fnf) {
		t.Errorf("EFS missing: %v", err)
	}
	_, err = glacier.NewFromConfig(cfg).GetVaultAccessPolicy(ctx, &glacier.GetVaultAccessPolicyInput{AccountId: aws.String("-"), VaultName: aws.String("v")})
	if rnf := new(gltypes.ResourceNotFoundException); !is(err, &rnf) {
		t.Errorf("Glacier without a policy: %v", err)
	}
	_, err = glacier.NewFromConfig(cfg).ListVaults(ctx, &glacier.ListVaultsInput{AccountId: aws.String("444455556666")})
	if err == nil || !strings.Contains(err.Error(), "AccessDenied") {
		t.Errorf("Glacier of another account: %v", err)
	}
	_, err = backup.NewFromConfig(cfg).GetBackupVaultAccessPolicy(ctx, &backup.GetBackupVaultAccessPolicyInput{BackupVaultName: aws.String("b")})
	if rnf := new(bktypes.ResourceNotFoundException); !is(err, &rnf) {
		t.Errorf("Backup without a policy: %v", err)
	}
	pca := acmpca.NewFromConfig(cfg)
	list, err := pca.ListCertificateAuthorities(ctx, &acmpca.ListCertificateAuthoritiesInput{})
	if err != nil || len(list.CertificateAuthorities) != 1 {
		t.Fatalf("ListCertificateAuthorities: %v, %v", list, err)
	}
	_, err = pca.GetPolicy(ctx, &acmpca.GetPolicyInput{ResourceArn: list.CertificateAuthorities[0].Arn})
	if rnf := new(pcatypes.ResourceNotFoundException); !is(err, &rnf) {
		t.Errorf("CA without a policy: %v", err)
	}
	os := opensearch.NewFromConfig(cfg)
	names, err := os.ListDomainNames(ctx, &opensearch.ListDomainNamesInput{})
	if err != nil || len(names.DomainNames) != 1 || names.DomainNames[0].EngineType != "Elasticsearch" {
		t.Errorf("ListDomainNames: %+v, %v", names, err)
	}
	if _, err := os.DescribeDomains(ctx, &opensearch.DescribeDomainsInput{DomainNames: []string{"a", "b", "c", "d", "e", "f"}}); err == nil {
		t.Error("DescribeDomains of six domains: no error")
	}
	apis, err := apigateway.NewFromConfig(cfg).GetRestApis(ctx, &apigateway.GetRestApisInput{})
	if err != nil || len(apis.Items) != 1 || !strings.HasPrefix(aws.ToString(apis.Items[0].Policy), `{\"Version\":\"2012-10-17\"`) {
		t.Errorf("GetRestApis: the policy comes back with its quotes escaped, as API Gateway sends it; got %v, %v", apis, err)
	}
}
