package kinds

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/trustaudit/trustaudit/internal/policy"
)

// Lambda remediation removes whole permissions with RemovePermission, naming the RevisionId
// read with GetPolicy so that a permission added or removed meanwhile makes the call fail
// instead of being lost. Restore adds each removed permission back with AddPermission, whose
// parameters are read off the removed statement; a statement AddPermission could not produce
// exactly is never removed, because it could not be put back.

var _ StatementRemediator = LambdaFunction{}

func (LambdaFunction) FixActions() []string {
	return []string{"lambda:AddPermission", "lambda:GetPolicy", "lambda:RemovePermission"}
}

// functionOf splits a function ARN into name and qualifier ("" for the unqualified function).
func functionOf(arn string) (name, qualifier string, err error) {
	a, perr := policy.ParseARN(arn)
	if perr != nil || a.Service != "lambda" || !strings.HasPrefix(a.Resource, "function:") {
		return "", "", fmt.Errorf("%q is not a Lambda function ARN (arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER])", arn)
	}
	rest := strings.TrimPrefix(a.Resource, "function:")
	name, qualifier, _ = strings.Cut(rest, ":")
	if name == "" {
		return "", "", fmt.Errorf("%q names no function", arn)
	}
	return name, qualifier, nil
}

func (LambdaFunction) ReadPolicy(ctx context.Context, cfg aws.Config, ref PolicyRef) (LivePolicy, error) {
	name, qual, err := functionOf(ref.ResourceARN)
	if err != nil {
		return LivePolicy{}, err
	}
	in := &lambda.GetPolicyInput{FunctionName: aws.String(name)}
	if qual != "" {
		in.Qualifier = aws.String(qual)
	}
	out, err := lambda.NewFromConfig(cfg).GetPolicy(ctx, in)
	if err != nil {
		var nf *types.ResourceNotFoundException
		if errors.As(err, &nf) {
			// Lambda answers the same for a function without a policy and a missing
			// function; a missing function then fails the write, which is reported.
			return LivePolicy{}, nil
		}
		return LivePolicy{}, fmt.Errorf("lambda:GetPolicy %s: %w", ref.ResourceARN, err)
	}
	return LivePolicy{Document: aws.ToString(out.Policy), Revision: aws.ToString(out.RevisionId)}, nil
}

func (LambdaFunction) RemoveStatement(ctx context.Context, cfg aws.Config, ref PolicyRef, sid, revision string) error {
	name, qual, err := functionOf(ref.ResourceARN)
	if err != nil {
		return err
	}
	in := &lambda.RemovePermissionInput{FunctionName: aws.String(name), StatementId: aws.String(sid)}
	if qual != "" {
		in.Qualifier = aws.String(qual)
	}
	if revision != "" {
		in.RevisionId = aws.String(revision)
	}
	if _, err := lambda.NewFromConfig(cfg).RemovePermission(ctx, in); err != nil {
		return fmt.Errorf("lambda:RemovePermission %s statement %s: %w", ref.ResourceARN, sid, err)
	}
	return nil
}

func (LambdaFunction) CheckStatement(ref PolicyRef, statement json.RawMessage) error {
	_, err := functionPermission(ref, statement)
	return err
}

func (LambdaFunction) AddStatement(ctx context.Context, cfg aws.Config, ref PolicyRef, statement json.RawMessage, revision string) error {
	in, err := functionPermission(ref, statement)
	if err != nil {
		return err
	}
	if revision != "" {
		in.RevisionId = aws.String(revision)
	}
	if _, err := lambda.NewFromConfig(cfg).AddPermission(ctx, in); err != nil {
		return fmt.Errorf("lambda:AddPermission %s statement %s: %w", ref.ResourceARN, aws.ToString(in.StatementId), err)
	}
	return nil
}

// permission is a Lambda policy statement read back into AddPermission's terms.
type permission struct {
	sid, action, principal string
	conds                  map[string]string // condition key (lower case) -> value
}

// readPermission reads a statement as AddPermission (or AddLayerVersionPermission) writes
// it: one principal, one action, the resource itself, and only the conditions allowed, each
// with the operator the API uses and one value. Anything else is an error saying what.
func readPermission(ref PolicyRef, statement json.RawMessage, allowed map[string]string) (permission, error) {
	var p permission
	doc, err := policy.Parse(fmt.Appendf(nil, `{"Version":"2012-10-17","Statement":[%s]}`, statement))
	if err != nil {
		return p, fmt.Errorf("statement: %w", err)
	}
	if len(doc.Statements) != 1 {
		return p, errors.New("expected exactly one statement")
	}
	st := doc.Statements[0]
	p.sid = st.Sid
	if p.sid == "" {
		return p, errors.New("the statement has no Sid, so no API call can name it")
	}
	why := func(format string, args ...any) error {
		return fmt.Errorf("statement %q cannot be re-created by the permission API exactly: "+format, append([]any{p.sid}, args...)...)
	}
	switch {
	case st.Effect != policy.Allow:
		return p, why("Effect is %s", st.Effect)
	case st.NotPrincipal != nil || st.Principal == nil:
		return p, why("it has no Principal")
	case st.HasNotAction || len(st.Action) != 1:
		return p, why("it does not name exactly one Action")
	case st.HasNotResource || len(st.Resource) != 1 || st.Resource[0] != ref.ResourceARN:
		return p, why("its Resource is not %s", ref.ResourceARN)
	}
	p.action = st.Action[0]
	pr := st.Principal
	n := len(pr.AWS) + len(pr.Service) + len(pr.Federated) + len(pr.CanonicalUser)
	switch {
	case pr.Wildcard && n == 0:
		p.principal = "*"
	case !pr.Wildcard && len(pr.AWS) == 1 && n == 1 && pr.AWS[0] != "*":
		p.principal = pr.AWS[0]
	case !pr.Wildcard && len(pr.Service) == 1 && n == 1:
		p.principal = pr.Service[0]
	default:
		return p, why("its Principal is not a single account, service or \"*\"")
	}
	p.conds = map[string]string{}
	for _, c := range st.Conditions {
		op, ok := allowed[c.KeyLower]
		if !ok || c.Operator != op || len(c.Values) != 1 {
			return p, why("the condition %s %s is not one the API writes", c.Operator, c.Key)
		}
		p.conds[c.KeyLower] = c.Values[0]
	}
	return p, nil
}

var functionConditions = map[string]string{
	"aws:sourceaccount":            "StringEquals",
	"aws:principalorgid":           "StringEquals",
	"lambda:functionurlauthtype":   "StringEquals",
	"lambda:eventsourcetoken":      "StringEquals",
	"aws:sourcearn":                "ArnLike",
	"lambda:invokedviafunctionurl": "Bool",
}

func functionPermission(ref PolicyRef, statement json.RawMessage) (*lambda.AddPermissionInput, error) {
	name, qual, err := functionOf(ref.ResourceARN)
	if err != nil {
		return nil, err
	}
	p, err := readPermission(ref, statement, functionConditions)
	if err != nil {
		return nil, err
	}
	in := &lambda.AddPermissionInput{
		FunctionName: aws.String(name),
		StatementId:  aws.String(p.sid),
		Action:       aws.String(p.action),
		Principal:    aws.String(p.principal),
	}
	if qual != "" {
		in.Qualifier = aws.String(qual)
	}
	set := func(key string, dst **string) {
		if v, ok := p.conds[key]; ok {
			*dst = aws.String(v)
		}
	}
	set("aws:sourceaccount", &in.SourceAccount)
	set("aws:principalorgid", &in.PrincipalOrgID)
	set("lambda:eventsourcetoken", &in.EventSourceToken)
	set("aws:sourcearn", &in.SourceArn)
	if v, ok := p.conds["lambda:functionurlauthtype"]; ok {
		if !slices.Contains(types.FunctionUrlAuthType("").Values(), types.FunctionUrlAuthType(v)) {
			return nil, fmt.Errorf("statement %q: lambda:FunctionUrlAuthType %q is not NONE or AWS_IAM", p.sid, v)
		}
		in.FunctionUrlAuthType = types.FunctionUrlAuthType(v)
	}
	if v, ok := p.conds["lambda:invokedviafunctionurl"]; ok {
		if v != "true" {
			return nil, fmt.Errorf("statement %q: lambda:InvokedViaFunctionUrl %q: the API only writes true", p.sid, v)
		}
		in.InvokedViaFunctionUrl = aws.Bool(true)
	}
	return in, nil
}

// StatementKey is a statement's meaning as a comparable string: the parsed statement with
// condition keys folded to lower case and an account id principal written as its root ARN,
// as Lambda stores it. Two statements with the same key grant the same.
func StatementKey(statement json.RawMessage) (string, error) {
	doc, err := policy.Parse(fmt.Appendf(nil, `{"Version":"2012-10-17","Statement":[%s]}`, statement))
	if err != nil {
		return "", err
	}
	if len(doc.Statements) != 1 {
		return "", errors.New("expected exactly one statement")
	}
	st := doc.Statements[0]
	st.Index = 0
	canon := func(p *policy.Principal) {
		if p == nil {
			return
		}
		for i, v := range p.AWS {
			if len(v) == 12 && strings.Trim(v, "0123456789") == "" {
				p.AWS[i] = "arn:aws:iam::" + v + ":root"
			}
		}
		for _, l := range [][]string{p.AWS, p.Service, p.Federated, p.CanonicalUser} {
			slices.Sort(l)
		}
	}
	canon(st.Principal)
	canon(st.NotPrincipal)
	for i := range st.Conditions {
		st.Conditions[i].Key = st.Conditions[i].KeyLower
		slices.Sort(st.Conditions[i].Values)
	}
	slices.SortFunc(st.Conditions, func(a, b policy.Condition) int {
		return strings.Compare(a.Operator+"\x00"+a.Key, b.Operator+"\x00"+b.Key)
	})
	b, err := json.Marshal(st)
	if err != nil {
		return "", err
	}
	return string(b), nil
}
