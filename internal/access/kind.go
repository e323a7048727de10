package access

import (
	"fmt"
	"strings"
)

// Kind names a resource type whose resource-based policy the engine judges. The names are
// part of the command line and of rule ids, so they never change once released.
type Kind string

const (
	KindSESIdentity          Kind = "ses-identity"
	KindIAMRole              Kind = "iam-role"
	KindLambdaFunction       Kind = "lambda-function"
	KindLambdaLayer          Kind = "lambda-layer"
	KindS3Bucket             Kind = "s3-bucket"
	KindSQSQueue             Kind = "sqs-queue"
	KindSNSTopic             Kind = "sns-topic"
	KindKMSKey               Kind = "kms-key"
	KindECRRepository        Kind = "ecr-repository"
	KindSecretsManagerSecret Kind = "secretsmanager-secret"
	KindS3AccessPoint        Kind = "s3-access-point"
	KindECRRegistry          Kind = "ecr-registry"
	KindEFSFileSystem        Kind = "efs-filesystem"
	KindGlacierVault         Kind = "glacier-vault"
	KindOpenSearchDomain     Kind = "opensearch-domain"
	KindLogsResourcePolicy   Kind = "logs-resource-policy"
	KindLogsDestination      Kind = "logs-destination"
	KindACMPCA               Kind = "acm-pca"
	KindEventBridgeBus       Kind = "eventbridge-bus"
	KindBackupVault          Kind = "backup-vault"
	KindAPIGatewayRestAPI    Kind = "apigateway-rest-api"
	KindEBSSnapshot          Kind = "ebs-snapshot"
	KindEC2AMI               Kind = "ec2-ami"
	KindRDSSnapshot          Kind = "rds-snapshot"
	KindRDSClusterSnapshot   Kind = "rds-cluster-snapshot"
)

// kindInfo holds the words the rules and explanations use for a kind, so that every
// message names the resource the way its console does.
type kindInfo struct {
	kind Kind
	noun string // "SES identity"
	// crossAccount is the severity class of a grant to an unknown account: the seed rule
	// pages rate IAM role trust medium and SES and Lambda high.
	crossAccountMedium bool
	access             string // what a grant lets an outsider do, for rule descriptions
}

var kindTable = []kindInfo{
	{KindSESIdentity, "SES identity", false, "send email as the identity (delegate sending)"},
	{KindIAMRole, "IAM role", true, "assume the role and act with its permissions"},
	{KindLambdaFunction, "Lambda function", false, "invoke or manage the function"},
	{KindLambdaLayer, "Lambda layer version", false, "read the layer's code and use it"},
	{KindS3Bucket, "S3 bucket", false, "read or write the bucket's objects or configuration"},
	{KindSQSQueue, "SQS queue", false, "send, read or delete the queue's messages"},
	{KindSNSTopic, "SNS topic", false, "publish to or subscribe to the topic"},
	{KindKMSKey, "KMS key", false, "use the key to encrypt, decrypt or grant"},
	{KindECRRepository, "ECR repository", false, "pull or push the repository's images"},
	{KindSecretsManagerSecret, "Secrets Manager secret", false, "read or change the secret"},
	{KindS3AccessPoint, "S3 access point", false, "read or write objects through the access point"},
	{KindECRRegistry, "ECR registry", false, "replicate or pull images into the registry"},
	{KindEFSFileSystem, "EFS file system", false, "mount, read or write the file system"},
	{KindGlacierVault, "Glacier vault", false, "read, write or delete the vault's archives"},
	{KindOpenSearchDomain, "OpenSearch domain", false, "query, index or administer the domain"},
	{KindLogsResourcePolicy, "CloudWatch Logs resource policy", false, "write to the account's log groups"},
	{KindLogsDestination, "CloudWatch Logs destination", false, "stream log events into the destination"},
	{KindACMPCA, "private certificate authority", false, "issue certificates from the CA"},
	{KindEventBridgeBus, "EventBridge event bus", false, "put events on the bus"},
	{KindBackupVault, "Backup vault", false, "copy recovery points into or out of the vault"},
	{KindAPIGatewayRestAPI, "API Gateway REST API", false, "invoke the API"},
	{KindEBSSnapshot, "EBS snapshot", false, "create volumes from the snapshot and read its data"},
	{KindEC2AMI, "AMI", false, "launch instances from the image and read its disks"},
	{KindRDSSnapshot, "RDS snapshot", false, "restore the database snapshot and read its data"},
	{KindRDSClusterSnapshot, "RDS cluster snapshot", false, "restore the cluster snapshot and read its data"},
}

// Kinds lists every kind in a stable order (the order of the table above).
func Kinds() []Kind {
	out := make([]Kind, len(kindTable))
	for i, k := range kindTable {
		out[i] = k.kind
	}
	return out
}

// ParseKind reads a kind name as the command line spells it.
func ParseKind(s string) (Kind, error) {
	for _, k := range kindTable {
		if string(k.kind) == s {
			return k.kind, nil
		}
	}
	names := make([]string, len(kindTable))
	for i, k := range kindTable {
		names[i] = string(k.kind)
	}
	return "", fmt.Errorf("unknown kind %q: expected one of %s", s, strings.Join(names, ", "))
}

func infoFor(k Kind) kindInfo {
	for _, ki := range kindTable {
		if ki.kind == k {
			return ki
		}
	}
	return kindInfo{kind: k, noun: string(k), access: "access the resource"}
}

// Noun is the resource type's name for people ("SES identity").
func (k Kind) Noun() string { return infoFor(k).noun }
