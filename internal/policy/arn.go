package policy

import (
	"fmt"
	"strings"
)

// ARN is an Amazon Resource Name split into its six parts. Region and Account may be empty
// (S3 buckets, IAM is global); Resource keeps any further colons.
type ARN struct {
	Partition string
	Service   string
	Region    string
	Account   string
	Resource  string
}

// ParseARN splits "arn:partition:service:region:account:resource". It checks shape only:
// any non-empty partition is accepted (aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b and
// partitions yet to come), and the account is not required to be 12 digits, because
// policies hold "cloudfront", "aws" and wildcards there and the caller decides what
// they mean.
func ParseARN(s string) (ARN, error) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 {
		return ARN{}, fmt.Errorf("invalid ARN %q: expected 6 colon-separated parts arn:partition:service:region:account:resource, found %d", s, len(parts))
	}
	if parts[0] != "arn" {
		return ARN{}, fmt.Errorf("invalid ARN %q: does not start with \"arn:\"", s)
	}
	a := ARN{Partition: parts[1], Service: parts[2], Region: parts[3], Account: parts[4], Resource: parts[5]}
	switch {
	case a.Partition == "":
		return ARN{}, fmt.Errorf("invalid ARN %q: empty partition", s)
	case a.Service == "":
		return ARN{}, fmt.Errorf("invalid ARN %q: empty service", s)
	case a.Resource == "":
		return ARN{}, fmt.Errorf("invalid ARN %q: empty resource", s)
	}
	return a, nil
}

// String renders the ARN; for any a returned by ParseARN(s), a.String() == s.
func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.Account + ":" + a.Resource
}
