package awssim

import (
	"sort"
	"strings"
	"sync"
	"time"
)

// DefaultQuotas returns the rate, in requests per second per (account, region), of every
// quota bucket the simulator enforces, at TimeScale 1. The burst of a bucket is
// max(1, rate). Sources: PERFORMANCE.md §2.1 (Lambda and SES are published quotas; IAM,
// STS, Organizations and Account are observed or assumed figures, as AWS publishes none).
func DefaultQuotas() map[string]float64 {
	return map[string]float64{
		// Lambda: GetPolicy has its own 15/s; every other control-plane call shares 15/s.
		"lambda:GetPolicy": 15,
		"lambda:control":   15,
		// SES: 1/s for the non-sending APIs, each listed read its own bucket.
		"ses:ListIdentities":           1,
		"ses:ListIdentityPolicies":     1,
		"ses:GetIdentityPolicies":      1,
		"ses:GetEmailIdentityPolicies": 1,
		"ses:v2-other":                 1, // ListEmailIdentities, GetEmailIdentity, SES v2 writes
		"ses:v1-writes":                1, // PutIdentityPolicy, DeleteIdentityPolicy
		"ses:v1-other":                 1, // any other SES v1 call
		"iam:read":                     20,
		"iam:write":                    10,
		"sts":                          600,
		"organizations":                10,
		"account":                      10,
		"ec2:describe":                 20,
		"ec2:other":                    5,
		// Storage services (bucket = signing name): AWS publishes no rate for S3 bucket
		// configuration, S3 Control, EFS, Glacier, Backup, OpenSearch or ACM PCA reads, so
		// these are assumed; API Gateway's management API is 10/s per account.
		"s3":                100,
		"s3control":         100, // S3 Control (signed for s3)
		"elasticfilesystem": 50,
		"glacier":           50,
		"backup":            50,
		"es":                50,
		"acm-pca":           50,
		"apigateway":        10,
		// CloudTrail LookupEvents: 2 requests per second per account and region (published).
		"cloudtrail": 2,
		// Security Hub BatchImportFindings: 10 requests per second per account and region
		// (published, with a burst of 30 the simulator does not model).
		"securityhub": 10,
		// RDS publishes no rate for its Describe and snapshot attribute calls; scans were seen
		// to manage 1-3.5 snapshots a second (PERFORMANCE.md §2.1): an assumed 5/s.
		"rds": 5,
		// KMS, Secrets Manager: published per-API quotas. SQS, SNS, ECR, EventBridge and
		// CloudWatch Logs publish none the design notes record: assumed figures.
		"kms:GetKeyPolicy":           1000,
		"kms:ListKeys":               500,
		"kms:ListGrants":             50,
		"kms":                        50,
		"secretsmanager:ListSecrets": 100,
		"secretsmanager:policy":      50,
		"sqs":                        20,
		"sns":                        10,
		"ecr":                        20,
		"events":                     20,
		"logs":                       5,
	}
}

// bucketFor names the quota bucket a call draws from.
func bucketFor(proto protocol, c *Call) string {
	op := c.Operation
	switch c.Service {
	case "lambda":
		if op == "GetPolicy" {
			return "lambda:GetPolicy"
		}
		return "lambda:control"
	case "ses":
		switch op {
		case "ListIdentities", "ListIdentityPolicies", "GetIdentityPolicies", "GetEmailIdentityPolicies":
			return "ses:" + op
		case "PutIdentityPolicy", "DeleteIdentityPolicy":
			return "ses:v1-writes"
		}
		if proto == protoREST {
			return "ses:v2-other"
		}
		return "ses:v1-other"
	case "iam":
		if strings.HasPrefix(op, "List") || strings.HasPrefix(op, "Get") {
			return "iam:read"
		}
		return "iam:write"
	case "ec2":
		if strings.HasPrefix(op, "Describe") {
			return "ec2:describe"
		}
		return "ec2:other"
	case "kms":
		switch op {
		case "GetKeyPolicy", "ListKeys", "ListGrants":
			return "kms:" + op
		}
		return "kms"
	case "secretsmanager":
		switch op {
		case "ListSecrets":
			return "secretsmanager:ListSecrets"
		case "GetResourcePolicy", "PutResourcePolicy", "DeleteResourcePolicy", "ValidateResourcePolicy":
			return "secretsmanager:policy"
		}
		return c.Service
	default:
		return c.Service
	}
}

type bucketKey struct{ account, region, bucket string }

// quotas holds one token bucket per (account, region, bucket name), created full on first
// use. A throttled request takes no token, as with AWS's buckets.
type quotas struct {
	off   bool
	rates map[string]float64 // scaled; 0 = unlimited
	now   func() time.Time

	mu      sync.Mutex
	buckets map[bucketKey]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newQuotas(opts Options, now func() time.Time) *quotas {
	q := &quotas{off: opts.NoQuotas, rates: map[string]float64{}, now: now, buckets: map[bucketKey]*bucket{}}
	scale := opts.TimeScale
	if scale <= 0 {
		scale = 1
	}
	for name, r := range DefaultQuotas() {
		q.rates[name] = r * scale
	}
	for name, r := range opts.Quotas {
		q.rates[name] = r * scale
	}
	return q
}

// allow takes a token from the call's bucket if one is there.
func (q *quotas) allow(c *Call) bool {
	if q.off {
		return true
	}
	name := bucketFor(protocolOf(c), c)
	rate, ok := q.rates[name]
	if !ok || rate <= 0 {
		return true
	}
	region := c.Region
	if globalServices[c.Service] {
		region = "" // one bucket per account for a global service, whatever region is signed
	}
	return q.take(bucketKey{c.Account, region, name}, rate)
}

func (q *quotas) take(k bucketKey, rate float64) bool {
	burst := max(1, rate)
	now := q.now()
	q.mu.Lock()
	defer q.mu.Unlock()
	b := q.buckets[k]
	if b == nil {
		b = &bucket{tokens: burst, last: now}
		q.buckets[k] = b
	}
	if el := now.Sub(b.last); el > 0 {
		b.tokens = min(burst, b.tokens+el.Seconds()*rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true
	}
	return false
}

func sortCounts(cs []Count) {
	sort.Slice(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if a.Account != b.Account {
			return a.Account < b.Account
		}
		if a.Region != b.Region {
			return a.Region < b.Region
		}
		if a.Service != b.Service {
			return a.Service < b.Service
		}
		if a.Operation != b.Operation {
			return a.Operation < b.Operation
		}
		return a.Outcome < b.Outcome
	})
}
