package policy

import (
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, value string
		want           bool
	}{
		{"", "", true},
		{"", "a", false},
		{"*", "", true},
		{"*", "anything:at/all", true},
		{"?", "", false},
		{"?", "a", true},
		{"?", "é", true}, // one character, two bytes
		{"??", "é", false},
		{"a?c", "a/c", true},
		{"a?c", "abbc", false},
		{"s3:Get*", "s3:GetObject", true},
		{"s3:Get*", "s3:getobject", false}, // case-sensitive
		{"s3:Get*", "s3:PutObject", false},
		{"arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b:c", true},
		{"arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket", false},
		{"*:root", "arn:aws:iam::111122223333:root", true},
		{"*a*b*c*", "xxaxxbxxcxx", true},
		{"*a*b*c*", "xxaxxcxxbxx", false},
		{"a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
		{"**", "x", true},
		{"*?", "", false},
		{"*?", "x", true},
		{"a*", "a", true},
		{"a*?", "a", false},
		{"[a]", "a", false}, // no character classes
		{"[a]", "[a]", true},
		{`\*`, `\x`, true}, // no escapes: '\' is literal, '*' still a wildcard
		{`\*`, `*`, false},
		{".*", "ab", false}, // not a regexp
		{"a*??bX", "a€bX", false},
		{"a*?bX", "a€bX", true},
		{"\xff", "\xff", true},
		{"?", "\xff", true},
	}
	for _, tt := range tests {
		if got := Match(tt.pattern, tt.value); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.pattern, tt.value, got, tt.want)
		}
	}
}

func TestMatchFold(t *testing.T) {
	tests := []struct {
		pattern, value string
		want           bool
	}{
		{"s3:Get*", "S3:GETOBJECT", true},
		{"S3:GETOBJECT", "s3:getObject", true},
		{"ses:*", "SES:SendRawEmail", true},
		{"ses:Send?mail", "ses:sendEMAIL", true},
		{"ses:Send?mail", "ses:sendEMAILS", false},
		{"lambda:InvokeFunction", "lambda:InvokeFunctionUrl", false},
		{"k", "\u212a", true}, // KELVIN SIGN folds to k
		{"é*", "É", true},
		{"\xff", "\xfe", false},
		{"a", "\xff", false},
	}
	for _, tt := range tests {
		if got := MatchFold(tt.pattern, tt.value); got != tt.want {
			t.Errorf("MatchFold(%q, %q) = %v, want %v", tt.pattern, tt.value, got, tt.want)
		}
	}
}

func TestMatchARN(t *testing.T) {
	tests := []struct {
		pattern, value string
		want           bool
	}{
		{"arn:aws:sns:*:111122223333:*", "arn:aws:sns:us-east-1:111122223333:topic", true},
		{"arn:aws:sns:*:111122223333:*", "arn:aws:sns:us-east-1:444455556666:topic", false},
		// A '*' in one part does not cross into the next: this one would match as a plain glob.
		{"arn:aws:sns:*:topic", "arn:aws:sns:us-east-1:111122223333:topic", false},
		{"arn:aws:s3:::*", "arn:aws:s3:::bucket/key:with:colons", true},
		{"arn:aws:s3:::my-bucket", "arn:aws:s3:::my-bucket", true},
		{"arn:aws:s3:::my-bucket", "arn:aws:s3:::My-Bucket", false}, // case-sensitive
		{"arn:aws:lambda:us-east-1:*:function:F", "arn:aws:lambda:us-east-1:111122223333:function:F", true},
		{"arn:aws:lambda:us-east-1:*:function:F", "arn:aws:lambda:us-east-1:111122223333:function:F:1", false},
		{"arn:aws:lambda:us-east-1:*:function:F*", "arn:aws:lambda:us-east-1:111122223333:function:F:1", true},
		{"arn:*:iam::1111222233?3:root", "arn:aws-cn:iam::111122223333:root", true},
		{"arn:aws:iam::111122223333:*", "arn:aws:iam::111122223333:role/a/b", true},
		{"*", "arn:aws:s3:::b", true},
		{"*", "not an arn", true},
		{"*:*", "arn:aws:s3:::b", false}, // not six parts
		{"arn:aws:s3:::b", "not an arn", false},
		{"arn:aws:iam::111122223333", "arn:aws:iam::111122223333", false}, // five parts
		{"arn:aws:s3:::b", "arn:aws:s3::b", false},
	}
	for _, tt := range tests {
		if got := MatchARN(tt.pattern, tt.value); got != tt.want {
			t.Errorf("MatchARN(%q, %q) = %v, want %v", tt.pattern, tt.value, got, tt.want)
		}
	}
}

func TestMatchNoAllocations(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() {
		Match("arn:aws:s3:::b*/?x*", "arn:aws:s3:::bucket/ax/y")
		MatchFold("S3:Get*", "s3:getobject")
		MatchARN("arn:aws:sns:*:111122223333:*", "arn:aws:sns:us-east-1:111122223333:topic")
	})
	if allocs != 0 {
		t.Errorf("allocations per run = %v, want 0", allocs)
	}
}

// Patterns that make naive recursive matchers exponential finish here; the input is
// large enough that exponential behaviour would not complete at all.
func TestMatchPathological(t *testing.T) {
	pattern := strings.Repeat("*a", 40) + "b"
	value := strings.Repeat("a", 4000)
	if Match(pattern, value) || MatchFold(pattern, value) {
		t.Error("matched a value without 'b'")
	}
	if !Match(pattern, value+"b") {
		t.Error("did not match the value ending in 'b'")
	}
}

func BenchmarkMatch(b *testing.B) {
	pattern := strings.Repeat("*a", 10) + "b"
	value := strings.Repeat("a", 200)
	b.ReportAllocs()
	for b.Loop() {
		Match(pattern, value)
	}
}
