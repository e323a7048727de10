package policy

import (
	"strings"
	"testing"
)

func TestParseARN(t *testing.T) {
	tests := []struct {
		in      string
		want    ARN
		wantErr string
	}{
		{in: "arn:aws:iam::111122223333:root", want: ARN{"aws", "iam", "", "111122223333", "root"}},
		{in: "arn:aws:s3:::bucket/key", want: ARN{"aws", "s3", "", "", "bucket/key"}},
		{in: "arn:aws-cn:lambda:cn-north-1:111122223333:function:f:PROD", want: ARN{"aws-cn", "lambda", "cn-north-1", "111122223333", "function:f:PROD"}},
		{in: "arn:aws-us-gov:sts::111122223333:assumed-role/r/s", want: ARN{"aws-us-gov", "sts", "", "111122223333", "assumed-role/r/s"}},
		{in: "arn:aws-iso-b:ses:us-isob-east-1:111122223333:identity/x", want: ARN{"aws-iso-b", "ses", "us-isob-east-1", "111122223333", "identity/x"}},
		{in: "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E1", want: ARN{"aws", "iam", "", "cloudfront", "user/CloudFront Origin Access Identity E1"}},
		{in: "arn:aws:iam::*:root", want: ARN{"aws", "iam", "", "*", "root"}},
		{in: "arn:aws:iam::111122223333", wantErr: "expected 6 colon-separated parts"},
		{in: "111122223333", wantErr: "found 1"},
		{in: "", wantErr: "found 1"},
		{in: "ARN:aws:iam::111122223333:root", wantErr: `does not start with "arn:"`},
		{in: "arn::iam::111122223333:root", wantErr: "empty partition"},
		{in: "arn:aws:::111122223333:root", wantErr: "empty service"},
		{in: "arn:aws:iam::111122223333:", wantErr: "empty resource"},
	}
	for _, tt := range tests {
		got, err := ParseARN(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), tt.in) {
				t.Errorf("ParseARN(%q) error = %v, want one naming the input and containing %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseARN(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseARN(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
		if s := got.String(); s != tt.in {
			t.Errorf("String() = %q, want %q", s, tt.in)
		}
	}
}
