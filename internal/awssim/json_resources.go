package awssim

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/trustaudit/trustaudit/internal/world"
)

// Helpers shared by the handlers of the services whose resources live in the generic
// world.Region.Resources (SQS, SNS, KMS, Secrets Manager, ECR, EventBridge, CloudWatch Logs).
// Handlers run with s.mu held, so they read and write the world directly.

// arnPartition is the ARN partition of a region.
func arnPartition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// resourceARN is the resource's recorded ARN, or the one format (partition, region, account,
// name) makes for it.
func resourceARN(c *Call, x *world.Resource, format string) string {
	if x.ARN != "" {
		return x.ARN
	}
	return fmt.Sprintf(format, arnPartition(c.Region), c.Region, c.Account, x.Name)
}

// kindResources returns the region's resources of one kind, in world order.
func kindResources(r *world.Region, kind string) []*world.Resource {
	var out []*world.Resource
	for i := range r.Resources {
		if r.Resources[i].Kind == kind {
			out = append(out, &r.Resources[i])
		}
	}
	return out
}

// findKindResource finds a resource of kind by name, or by ARN when arnOK.
func findKindResource(r *world.Region, kind, ref string, arnOf func(*world.Resource) string) *world.Resource {
	for _, x := range kindResources(r, kind) {
		if x.Name == ref || (arnOf != nil && arnOf(x) == ref) {
			return x
		}
	}
	return nil
}

// addKindResource appends a resource and returns it.
func addKindResource(r *world.Region, x world.Resource) *world.Resource {
	r.Resources = append(r.Resources, x)
	return &r.Resources[len(r.Resources)-1]
}

// pageOf cuts a page of at most max items (max <= 0: all) at an opaque position token; ok is
// false for a token the simulator did not issue.
func pageOf[T any](items []T, token string, max int) (page []T, next string, ok bool) {
	start := 0
	if token != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(token, "p"))
		if err != nil || !strings.HasPrefix(token, "p") || n < 0 || n > len(items) {
			return nil, "", false
		}
		start = n
	}
	end := len(items)
	if max > 0 && start+max < end {
		end = start + max
		next = "p" + strconv.Itoa(end)
	}
	return items[start:end], next, true
}

// suffixOf is a stable six-character suffix, as Secrets Manager appends to secret ARNs.
func suffixOf(s string) string {
	h := sha256.Sum256([]byte(s))
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	out := make([]byte, 6)
	for i := range out {
		out[i] = letters[int(h[i])%len(letters)]
	}
	return string(out)
}

// uuidOf is a stable UUID-shaped id (KMS key ids, grant ids) derived from s.
func uuidOf(s string) string {
	h := sha256.Sum256([]byte(s))
	x := hex.EncodeToString(h[:16])
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

// badToken is the InvalidNextToken-style error of JSON services.
func badToken(code string) *APIError {
	return &APIError{Status: 400, Code: code, Message: "Invalid NextToken", Sender: true}
}

func invalidParam(code, msg string) *APIError {
	return &APIError{Status: 400, Code: code, Message: msg, Sender: true}
}
