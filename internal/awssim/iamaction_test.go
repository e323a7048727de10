package awssim

import "testing"

func TestIAMAction(t *testing.T) {
	for _, tc := range []struct{ service, op, want string }{
		{"lambda", "GetPolicy", "lambda:GetPolicy"},
		{"ses", "GetEmailIdentityPolicies", "ses:GetEmailIdentityPolicies"},
		{"s3", "ListBuckets", "s3:ListAllMyBuckets"},
		{"s3", "GetBucketPolicy", "s3:GetBucketPolicy"},
		{"s3", "GetPublicAccessBlock", "s3:GetBucketPublicAccessBlock"},
		{"s3control", "GetPublicAccessBlock", "s3:GetAccountPublicAccessBlock"},
		{"s3control", "ListAccessPoints", "s3:ListAccessPoints"},
		{"apigateway", "GetRestApis", "apigateway:GET"},
		{"apigateway", "UpdateRestApi", "apigateway:PATCH"},
	} {
		if got := IAMAction(tc.service, tc.op); got != tc.want {
			t.Errorf("IAMAction(%s, %s) = %s, want %s", tc.service, tc.op, got, tc.want)
		}
	}
}
