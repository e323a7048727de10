package kinds

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	bktypes "github.com/aws/aws-sdk-go-v2/service/backup/types"

	"github.com/trustaudit/trustaudit/internal/world"
)

// LaneBackup is AWS Backup's control plane; no rate is published.
const LaneBackup = "backup"

const backupPage = 1000

// BackupVault audits every backup vault's access policy: ListBackupVaults (1,000 a page),
// then GetBackupVaultAccessPolicy per vault. A grant of backup:CopyIntoBackupVault lets
// another account copy recovery points in; other grants let it read or delete them.
var BackupVault = policyFix{
	policyKind: &policyKind{
		name:     "backup-vault",
		actions:  []string{"backup:GetBackupVaultAccessPolicy", "backup:ListBackupVaults"},
		lanes:    []Lane{{Name: LaneBackup, Rate: 20, Ops: []string{"backup:GetBackupVaultAccessPolicy", "backup:ListBackupVaults"}}},
		listLane: LaneBackup,
		listOp:   "backup:ListBackupVaults",
		listCall: "backup:ListBackupVaults",
		page:     backupPage,
		list: func(ctx context.Context, cfg aws.Config, env Env, token string) ([]listed, string, error) {
			in := &backup.ListBackupVaultsInput{MaxResults: aws.Int32(backupPage)}
			if token != "" {
				in.NextToken = aws.String(token)
			}
			out, err := backup.NewFromConfig(cfg).ListBackupVaults(ctx, in)
			if err != nil {
				return nil, "", err
			}
			var rs []listed
			for _, v := range out.BackupVaultList {
				name := aws.ToString(v.BackupVaultName)
				arn := aws.ToString(v.BackupVaultArn)
				if arn == "" {
					arn = fmt.Sprintf("arn:%s:backup:%s:%s:backup-vault:%s", env.Partition(), env.Region(), env.Account(), name)
				}
				rs = append(rs, listed{id: name, res: world.Resource{Kind: "backup-vault", Name: name, ARN: arn}})
			}
			return rs, aws.ToString(out.NextToken), nil
		},
		reads:      []policyRead{{lane: LaneBackup, op: "backup:GetBackupVaultAccessPolicy", read: readPolicyDoc(backupReadPolicy)}},
		dropUnread: true,
	},
	fixActions: []string{"backup:DeleteBackupVaultAccessPolicy", "backup:GetBackupVaultAccessPolicy", "backup:PutBackupVaultAccessPolicy"},
	canDelete:  true,
	get: func(ctx context.Context, cfg aws.Config, ref PolicyRef) (LivePolicy, error) {
		name, err := parseStorageARN(ref.ResourceARN, "backup", "backup-vault:", "arn:PARTITION:backup:REGION:ACCOUNT:backup-vault:NAME")
		if err != nil {
			return LivePolicy{}, err
		}
		p, err := backupReadPolicy(ctx, cfg, name)
		if err != nil {
			return LivePolicy{}, fmt.Errorf("backup:GetBackupVaultAccessPolicy %s: %w", name, err)
		}
		return LivePolicy{Document: p}, nil
	},
	put: func(ctx context.Context, cfg aws.Config, ref PolicyRef, doc string) error {
		name, err := parseStorageARN(ref.ResourceARN, "backup", "backup-vault:", "arn:PARTITION:backup:REGION:ACCOUNT:backup-vault:NAME")
		if err != nil {
			return err
		}
		c := backup.NewFromConfig(cfg)
		if doc == "" {
			if _, err := c.DeleteBackupVaultAccessPolicy(ctx, &backup.DeleteBackupVaultAccessPolicyInput{BackupVaultName: aws.String(name)}); err != nil {
				return fmt.Errorf("backup:DeleteBackupVaultAccessPolicy %s: %w", name, err)
			}
			return nil
		}
		if _, err := c.PutBackupVaultAccessPolicy(ctx, &backup.PutBackupVaultAccessPolicyInput{BackupVaultName: aws.String(name), Policy: aws.String(doc)}); err != nil {
			return fmt.Errorf("backup:PutBackupVaultAccessPolicy %s: %w", name, err)
		}
		return nil
	},
}

func init() { Register(BackupVault) }

// backupReadPolicy returns a vault's access policy, "" when it has none (Backup answers
// ResourceNotFoundException).
func backupReadPolicy(ctx context.Context, cfg aws.Config, name string) (string, error) {
	out, err := backup.NewFromConfig(cfg).GetBackupVaultAccessPolicy(ctx, &backup.GetBackupVaultAccessPolicyInput{BackupVaultName: aws.String(name)})
	switch {
	case err == nil:
		return aws.ToString(out.Policy), nil
	case notFound[*bktypes.ResourceNotFoundException](err):
		return "", nil
	}
	return "", err
}
