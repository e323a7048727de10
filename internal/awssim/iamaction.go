package awssim

import "strings"

// IAMAction names the IAM action that authorizes a call the simulator counted (Count.Service
// and Count.Operation), so that tests can check a scan against the least-privilege policy
// `trustaudit permissions` prints. Most services name their actions after their operations;
// the exceptions below are AWS's own (Service Authorization Reference).
func IAMAction(service, operation string) string {
	if a, ok := iamActionExceptions[service+":"+operation]; ok {
		return a
	}
	switch service {
	case "s3control":
		return "s3:" + operation
	case "apigateway":
		// API Gateway's management API is authorized by HTTP method, not by operation.
		for _, m := range []struct{ prefix, method string }{
			{"Get", "GET"}, {"Create", "POST"}, {"Put", "PUT"}, {"Update", "PATCH"}, {"Delete", "DELETE"},
		} {
			if strings.HasPrefix(operation, m.prefix) {
				return "apigateway:" + m.method
			}
		}
	}
	return service + ":" + operation
}

var iamActionExceptions = map[string]string{
	"s3:ListBuckets":                 "s3:ListAllMyBuckets",
	"s3:GetPublicAccessBlock":        "s3:GetBucketPublicAccessBlock",
	"s3:PutPublicAccessBlock":        "s3:PutBucketPublicAccessBlock",
	"s3control:GetPublicAccessBlock": "s3:GetAccountPublicAccessBlock",
	"s3control:PutPublicAccessBlock": "s3:PutAccountPublicAccessBlock",
	"s3:HeadObject":                  "s3:GetObject",
	"s3:ListObjectsV2":               "s3:ListBucket",
}
