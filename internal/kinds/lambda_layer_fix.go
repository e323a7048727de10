package kinds

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/trustaudit/trustaudit/internal/policy"
)

// Layer version permissions work as function permissions do (see lambda_function_fix.go):
// RemoveLayerVersionPermission and AddLayerVersionPermission, both conditional on the
// RevisionId GetLayerVersionPolicy returned.

var _ StatementRemediator = LambdaLayer{}

func (LambdaLayer) FixActions() []string {
	return []string{"lambda:AddLayerVersionPermission", "lambda:GetLayerVersionPolicy", "lambda:RemoveLayerVersionPermission"}
}

// layerVersionOf splits a layer version ARN into layer name and version number.
func layerVersionOf(arn string) (string, int64, error) {
	a, err := policy.ParseARN(arn)
	bad := fmt.Errorf("%q is not a Lambda layer version ARN (arn:PARTITION:lambda:REGION:ACCOUNT:layer:NAME:VERSION)", arn)
	if err != nil || a.Service != "lambda" || !strings.HasPrefix(a.Resource, "layer:") {
		return "", 0, bad
	}
	name, ver, ok := strings.Cut(strings.TrimPrefix(a.Resource, "layer:"), ":")
	n, perr := strconv.ParseInt(ver, 10, 64)
	if !ok || name == "" || perr != nil || n < 1 {
		return "", 0, bad
	}
	return name, n, nil
}

func (LambdaLayer) ReadPolicy(ctx context.Context, cfg aws.Config, ref PolicyRef) (LivePolicy, error) {
	name, ver, err := layerVersionOf(ref.ResourceARN)
	if err != nil {
		return LivePolicy{}, err
	}
	out, err := lambda.NewFromConfig(cfg).GetLayerVersionPolicy(ctx, &lambda.GetLayerVersionPolicyInput{LayerName: aws.String(name), VersionNumber: aws.Int64(ver)})
	if err != nil {
		var nf *types.ResourceNotFoundException
		if errors.As(err, &nf) {
			return LivePolicy{}, nil
		}
		return LivePolicy{}, fmt.Errorf("lambda:GetLayerVersionPolicy %s: %w", ref.ResourceARN, err)
	}
	return LivePolicy{Document: aws.ToString(out.Policy), Revision: aws.ToString(out.RevisionId)}, nil
}

func (LambdaLayer) RemoveStatement(ctx context.Context, cfg aws.Config, ref PolicyRef, sid, revision string) error {
	name, ver, err := layerVersionOf(ref.ResourceARN)
	if err != nil {
		return err
	}
	in := &lambda.RemoveLayerVersionPermissionInput{LayerName: aws.String(name), VersionNumber: aws.Int64(ver), StatementId: aws.String(sid)}
	if revision != "" {
		in.RevisionId = aws.String(revision)
	}
	if _, err := lambda.NewFromConfig(cfg).RemoveLayerVersionPermission(ctx, in); err != nil {
		return fmt.Errorf("lambda:RemoveLayerVersionPermission %s statement %s: %w", ref.ResourceARN, sid, err)
	}
	return nil
}

var layerConditions = map[string]string{"aws:principalorgid": "StringEquals"}

func layerPermission(ref PolicyRef, statement json.RawMessage) (*lambda.AddLayerVersionPermissionInput, error) {
	name, ver, err := layerVersionOf(ref.ResourceARN)
	if err != nil {
		return nil, err
	}
	p, err := readPermission(ref, statement, layerConditions)
	if err != nil {
		return nil, err
	}
	if p.action != "lambda:GetLayerVersion" {
		return nil, fmt.Errorf("statement %q: action %q: layer permissions grant only lambda:GetLayerVersion", p.sid, p.action)
	}
	if pr := p.principal; pr != "*" && !(strings.HasPrefix(pr, "arn:") && strings.HasSuffix(pr, ":root") && strings.Contains(pr, ":iam::")) {
		return nil, fmt.Errorf("statement %q: principal %q: layer permissions grant only to \"*\" or an account", p.sid, pr)
	}
	in := &lambda.AddLayerVersionPermissionInput{
		LayerName:     aws.String(name),
		VersionNumber: aws.Int64(ver),
		StatementId:   aws.String(p.sid),
		Action:        aws.String(p.action),
		Principal:     aws.String(p.principal),
	}
	if org, ok := p.conds["aws:principalorgid"]; ok {
		if p.principal != "*" {
			return nil, fmt.Errorf("statement %q: an organization grant must have Principal \"*\"", p.sid)
		}
		in.OrganizationId = aws.String(org)
	}
	return in, nil
}

func (LambdaLayer) CheckStatement(ref PolicyRef, statement json.RawMessage) error {
	_, err := layerPermission(ref, statement)
	return err
}

func (LambdaLayer) AddStatement(ctx context.Context, cfg aws.Config, ref PolicyRef, statement json.RawMessage, revision string) error {
	in, err := layerPermission(ref, statement)
	if err != nil {
		return err
	}
	if revision != "" {
		in.RevisionId = aws.String(revision)
	}
	if _, err := lambda.NewFromConfig(cfg).AddLayerVersionPermission(ctx, in); err != nil {
		return fmt.Errorf("lambda:AddLayerVersionPermission %s statement %s: %w", ref.ResourceARN, aws.ToString(in.StatementId), err)
	}
	return nil
}
