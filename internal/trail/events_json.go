package trail

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/trustaudit/trustaudit/internal/access"
)

// The policy-changing events of SQS, SNS, KMS, Secrets Manager, ECR, EventBridge and
// CloudWatch Logs (LANDSCAPE.md §3). Calls that write a whole document rebuild it as
// written; calls that add one permission (SQS and SNS AddPermission, KMS CreateGrant,
// EventBridge PutPermission without a policy) rebuild the statement the service adds.

// KMS (Decrypt, GenerateDataKey), Secrets Manager (GetSecretValue), ECR
// (GetAuthorizationToken, BatchGetImage) and CloudWatch Logs (Describe*) record far more
// reads than policy changes: LookupEvents asks for the changes by name.
func init() {
	register("sqs.amazonaws.com", bySource,
		Event{Name: "SetQueueAttributes", Kind: access.KindSQSQueue, Rebuild: sqsSetAttributes},
		Event{Name: "AddPermission", Kind: access.KindSQSQueue, Rebuild: addPermission(sqsQueueARN, "SQS", "aWSAccountIds", "actions")},
		Event{Name: "RemovePermission", Kind: access.KindSQSQueue, Removal: true, Rebuild: removeNamed(sqsQueueARN, "label")},
	)
	register("sns.amazonaws.com", bySource,
		Event{Name: "SetTopicAttributes", Kind: access.KindSNSTopic, Rebuild: snsSetAttributes},
		Event{Name: "AddPermission", Kind: access.KindSNSTopic, Rebuild: addPermission(paramARN("topicArn"), "SNS", "aWSAccountId", "actionName")},
		Event{Name: "RemovePermission", Kind: access.KindSNSTopic, Removal: true, Rebuild: removeNamed(paramARN("topicArn"), "label")},
	)
	register("kms.amazonaws.com", byName,
		Event{Name: "PutKeyPolicy", Kind: access.KindKMSKey, Rebuild: putDocument(kmsKeyARN, "policy")},
		Event{Name: "CreateGrant", Kind: access.KindKMSKey, Rebuild: kmsCreateGrant},
		Event{Name: "RevokeGrant", Kind: access.KindKMSKey, Removal: true, Rebuild: kmsRevokeGrant},
	)
	register("secretsmanager.amazonaws.com", byName,
		Event{Name: "PutResourcePolicy", Kind: access.KindSecretsManagerSecret, Rebuild: putDocument(secretARN, "resourcePolicy")},
		Event{Name: "DeleteResourcePolicy", Kind: access.KindSecretsManagerSecret, Removal: true, Rebuild: deleteDocument(secretARN)},
	)
	register("ecr.amazonaws.com", byName,
		Event{Name: "SetRepositoryPolicy", Kind: access.KindECRRepository, Rebuild: putDocument(ecrRepositoryARN, "policyText")},
		Event{Name: "DeleteRepositoryPolicy", Kind: access.KindECRRepository, Removal: true, Rebuild: deleteDocument(ecrRepositoryARN)},
		Event{Name: "PutRegistryPolicy", Kind: access.KindECRRegistry, Rebuild: putDocument(ecrRegistryARN, "policyText")},
		Event{Name: "DeleteRegistryPolicy", Kind: access.KindECRRegistry, Removal: true, Rebuild: deleteDocument(ecrRegistryARN)},
	)
	register("events.amazonaws.com", bySource,
		Event{Name: "PutPermission", Kind: access.KindEventBridgeBus, Rebuild: eventsPutPermission},
		Event{Name: "RemovePermission", Kind: access.KindEventBridgeBus, Removal: true, Rebuild: removeNamed(eventBusARN, "statementId")},
	)
	register("logs.amazonaws.com", byName,
		Event{Name: "PutResourcePolicy", Kind: access.KindLogsResourcePolicy, Rebuild: putNamedDocument(logsResourcePolicyARN, "policyName", "policyDocument")},
		Event{Name: "DeleteResourcePolicy", Kind: access.KindLogsResourcePolicy, Removal: true, Rebuild: removeNamed(logsResourcePolicyARN, "policyName")},
		Event{Name: "PutDestinationPolicy", Kind: access.KindLogsDestination, Rebuild: putDocument(logsDestinationARN, "accessPolicy")},
	)
}

// strs returns a list parameter of strings (a single string counts as a list of one).
func (p params) strs(key string) ([]string, error) {
	switch v := p[key].(type) {
	case nil:
		return nil, nil
	case string:
		return []string{v}, nil
	case []any:
		out := make([]string, 0, len(v))
		for i, x := range v {
			s, ok := x.(string)
			if !ok {
				return nil, fmt.Errorf("requestParameters.%s[%d]: expected a string, found %T", key, i, x)
			}
			out = append(out, s)
		}
		return out, nil
	default:
		return nil, fmt.Errorf("requestParameters.%s: expected a list of strings, found %T", key, v)
	}
}

// accountPrincipal is the AWS principal an account id or ARN parameter stands for.
func accountPrincipal(r *Record, v string) string {
	if isAccountID(v) {
		return fmt.Sprintf("arn:%s:iam::%s:root", partition(r.AWSRegion), v)
	}
	return v
}

// sqsQueueARN turns a queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME) into the
// queue's ARN.
func sqsQueueARN(r *Record, p params) (string, error) {
	url, err := p.required("queueUrl")
	if err != nil {
		return "", err
	}
	parts := strings.Split(strings.TrimSuffix(url, "/"), "/")
	if len(parts) < 2 || !isAccountID(parts[len(parts)-2]) {
		return "", fmt.Errorf("requestParameters.queueUrl: expected https://sqs.REGION.amazonaws.com/ACCOUNT/NAME, found %q", url)
	}
	return fmt.Sprintf("arn:%s:sqs:%s:%s:%s", partition(r.AWSRegion), r.AWSRegion, parts[len(parts)-2], parts[len(parts)-1]), nil
}

func sqsSetAttributes(r *Record, p params) (*Change, error) {
	arn, err := sqsQueueARN(r, p)
	if err != nil {
		return nil, err
	}
	attrs, ok := p["attributes"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("requestParameters.attributes: expected an object")
	}
	doc, err := params(attrs).str("Policy")
	if err != nil {
		return nil, err
	}
	// An attribute change that leaves the policy alone changes no access; an empty Policy
	// removes it.
	return &Change{ResourceARN: arn, Policy: doc, Region: r.AWSRegion}, nil
}

// addPermission rebuilds the statement SQS and SNS AddPermission add: the accounts as AWS
// principals, each action prefixed with the service, under the label as Sid.
func addPermission(arnOf arnFunc, prefix, accountsKey, actionsKey string) rebuildFunc {
	return func(r *Record, p params) (*Change, error) {
		arn, err := arnOf(r, p)
		if err != nil {
			return nil, err
		}
		return permissionStatement(r, p, prefix, arn, accountsKey, actionsKey)
	}
}

func permissionStatement(r *Record, p params, prefix, arn, accountsKey, actionsKey string) (*Change, error) {
	label, err := p.required("label")
	if err != nil {
		return nil, err
	}
	accts, err := p.strs(accountsKey)
	if err != nil {
		return nil, err
	}
	// CloudTrail lower-cases the first letter of a member name; consumers that rewrite
	// records spell AWSAccountIds other ways.
	for _, alt := range []string{"AWS" + accountsKey[3:], "aws" + accountsKey[3:]} {
		if len(accts) == 0 {
			if accts, err = p.strs(alt); err != nil {
				return nil, err
			}
		}
	}
	acts, err := p.strs(actionsKey)
	if err != nil {
		return nil, err
	}
	if len(accts) == 0 {
		return nil, fmt.Errorf("requestParameters.%s: missing", accountsKey)
	}
	var principals []any
	for _, a := range accts {
		principals = append(principals, accountPrincipal(r, a))
	}
	var actions []any
	for _, a := range acts {
		if a != "*" {
			a = prefix + ":" + a
		} else {
			a = prefix + ":*"
		}
		actions = append(actions, a)
	}
	return statementChange(r, arn, map[string]any{"Sid": label, "Effect": "Allow", "Principal": map[string]any{"AWS": principals}, "Action": actions, "Resource": arn})
}

func snsSetAttributes(r *Record, p params) (*Change, error) {
	arn, err := p.required("topicArn")
	if err != nil {
		return nil, err
	}
	name, err := p.str("attributeName")
	if err != nil {
		return nil, err
	}
	ch := &Change{ResourceARN: arn, Region: r.AWSRegion}
	if name != "Policy" {
		return ch, nil
	}
	if ch.Policy, err = p.policyText("attributeValue"); err != nil {
		return nil, err
	}
	return ch, nil
}

// kmsKeyARN is the key's ARN; keyId may be a key id or a key ARN.
func kmsKeyARN(r *Record, p params) (string, error) {
	id, err := p.required("keyId")
	if err != nil || strings.HasPrefix(id, "arn:") {
		return id, err
	}
	return fmt.Sprintf("arn:%s:kms:%s:%s:key/%s", partition(r.AWSRegion), r.AWSRegion, r.Account(), id), nil
}

// kmsCreateGrant rebuilds the grant as the statement trustaudit judges grants as (kinds'
// GrantsDocument): Sid "grant:<id>", the grantee as principal, the operations as actions.
func kmsCreateGrant(r *Record, p params) (*Change, error) {
	arn, err := kmsKeyARN(r, p)
	if err != nil {
		return nil, err
	}
	grantee, err := p.required("granteePrincipal")
	if err != nil {
		return nil, err
	}
	ops, err := p.strs("operations")
	if err != nil {
		return nil, err
	}
	var resp struct {
		GrantID string `json:"grantId"`
	}
	if len(r.ResponseElements) > 0 {
		_ = json.Unmarshal(r.ResponseElements, &resp)
	}
	principal := map[string]any{"AWS": accountPrincipal(r, grantee)}
	if !isAccountID(grantee) && !strings.HasPrefix(grantee, "arn:") {
		principal = map[string]any{"Service": grantee}
	}
	var actions []any
	for _, o := range ops {
		actions = append(actions, "kms:"+o)
	}
	doc, err := statementDoc(map[string]any{"Sid": "grant:" + resp.GrantID, "Effect": "Allow", "Principal": principal, "Action": actions, "Resource": arn})
	if err != nil {
		return nil, err
	}
	return &Change{ResourceARN: arn, PolicyName: "grants", Policy: doc, Region: r.AWSRegion}, nil
}

func kmsRevokeGrant(r *Record, p params) (*Change, error) {
	arn, err := kmsKeyARN(r, p)
	if err != nil {
		return nil, err
	}
	return &Change{ResourceARN: arn, PolicyName: "grants", Region: r.AWSRegion}, nil
}

// secretARN is the secret's ARN: the secretId when it is one, else the ARN the response
// names, else the name (a secret's ARN ends in a random suffix only AWS knows).
func secretARN(r *Record, p params) (string, error) {
	id, err := p.required("secretId")
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(id, "arn:") {
		return id, nil
	}
	var resp map[string]any
	if len(r.ResponseElements) > 0 && json.Unmarshal(r.ResponseElements, &resp) == nil {
		for _, k := range []string{"aRN", "arn", "ARN"} {
			if s, ok := resp[k].(string); ok && s != "" {
				return s, nil
			}
		}
	}
	return fmt.Sprintf("arn:%s:secretsmanager:%s:%s:secret:%s", partition(r.AWSRegion), r.AWSRegion, r.Account(), id), nil
}

// ecrRegistry is the registry (account) a call names, the caller's own by default.
func ecrRegistry(r *Record, p params) (string, error) {
	id, err := p.str("registryId")
	if err != nil || id != "" {
		return id, err
	}
	return r.Account(), nil
}

func ecrRepositoryARN(r *Record, p params) (string, error) {
	name, err := p.required("repositoryName")
	if err != nil {
		return "", err
	}
	reg, err := ecrRegistry(r, p)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("arn:%s:ecr:%s:%s:repository/%s", partition(r.AWSRegion), r.AWSRegion, reg, name), nil
}

// ECRRegistryARN is the name trustaudit gives an account's registry in a region; AWS gives
// the registry policy no ARN of its own.
func ECRRegistryARN(part, region, account string) string {
	return fmt.Sprintf("arn:%s:ecr:%s:%s:registry/%s", part, region, account, account)
}

func ecrRegistryARN(r *Record, _ params) (string, error) {
	return ECRRegistryARN(partition(r.AWSRegion), r.AWSRegion, r.Account()), nil
}

func eventBusARN(r *Record, p params) (string, error) {
	name, err := p.str("eventBusName")
	if err != nil {
		return "", err
	}
	if name == "" {
		name = "default"
	}
	if strings.HasPrefix(name, "arn:") {
		return name, nil
	}
	return fmt.Sprintf("arn:%s:events:%s:%s:event-bus/%s", partition(r.AWSRegion), r.AWSRegion, r.Account(), name), nil
}

// eventsPutPermission rebuilds PutPermission: either a whole policy, or one statement
// (principal an account id or "*", optionally narrowed to an organization by condition).
func eventsPutPermission(r *Record, p params) (*Change, error) {
	arn, err := eventBusARN(r, p)
	if err != nil {
		return nil, err
	}
	if _, ok := p["policy"]; ok {
		doc, err := p.policyText("policy")
		if err != nil {
			return nil, err
		}
		return &Change{ResourceARN: arn, Policy: doc, Region: r.AWSRegion}, nil
	}
	principal, err := p.required("principal")
	if err != nil {
		return nil, err
	}
	v, err := p.strings("statementId", "action")
	if err != nil {
		return nil, err
	}
	sid, action := v[0], v[1]
	if action == "" {
		action = "events:PutEvents"
	}
	var pr any = "*"
	if principal != "*" {
		pr = map[string]any{"AWS": accountPrincipal(r, principal)}
	}
	stmt := map[string]any{"Sid": sid, "Effect": "Allow", "Principal": pr, "Action": action, "Resource": arn}
	if c, ok := p["condition"].(map[string]any); ok {
		key, _ := c["key"].(string)
		val, _ := c["value"].(string)
		typ, _ := c["type"].(string)
		if key != "" && val != "" {
			if typ == "" {
				typ = "StringEquals"
			}
			addCond(stmt, typ, key, val)
		}
	}
	return statementChange(r, arn, stmt)
}

// LogsResourcePolicyARN is the name trustaudit gives an account-level CloudWatch Logs
// resource policy, which AWS names only by its policy name.
func LogsResourcePolicyARN(part, region, account, name string) string {
	return fmt.Sprintf("arn:%s:logs:%s:%s:resource-policy:%s", part, region, account, name)
}

func logsResourcePolicyARN(r *Record, p params) (string, error) {
	name, err := p.required("policyName")
	if err != nil {
		return "", err
	}
	return LogsResourcePolicyARN(partition(r.AWSRegion), r.AWSRegion, r.Account(), name), nil
}

func logsDestinationARN(r *Record, p params) (string, error) {
	name, err := p.required("destinationName")
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("arn:%s:logs:%s:%s:destination:%s", partition(r.AWSRegion), r.AWSRegion, r.Account(), name), nil
}
