package awssim

import (
	"net/http"
	"net/url"
)

// This file is the seam between the protocol framework (server.go and friends: routing,
// SigV4 scope, quotas, faults, counters, error shapes) and the per-service handlers
// (sts.go, iam.go, lambda.go, ses.go, sesv2.go, ...). A handler only sees a Call and the
// shared state, and returns a result or an *APIError; the framework renders both in the
// service's own wire protocol.

// Call is one decoded request as a handler sees it.
type Call struct {
	Account   string // the caller's account, from the access key
	CallerARN string // the caller's ARN (GetCallerIdentity)
	AccessKey string
	Region    string // from the SigV4 credential scope
	Service   string // SigV4 signing name: sts, iam, lambda, ses, organizations, account, ec2
	Operation string // API operation name, e.g. "ListRoles", "GetPolicy"

	Header http.Header
	// Params holds the query-protocol form parameters (Action=...&...) for query services,
	// and the URL query string for REST services.
	Params url.Values
	// PathParams holds the REST path captures, e.g. {"FunctionName": "f", "StatementId": "s"}.
	PathParams map[string]string
	// Body is the raw request body (JSON for REST-JSON and JSON 1.x services).
	Body []byte
}

// APIError is an AWS error as the service would send it. Status is the HTTP status;
// Code the error code (query: <Code>; REST-JSON: X-Amzn-ErrorType; JSON 1.x: __type);
// Sender is true for client faults (query protocol <Type>Sender</Type>).
type APIError struct {
	Status  int
	Code    string
	Message string
	Sender  bool
	// Extra fields some services put beside the message in a JSON error body (Lambda's
	// "Type": "User").
	Extra map[string]any
}

func (e *APIError) Error() string { return e.Code + ": " + e.Message }

// QueryHandler answers a query-protocol (IAM, STS, SES v1, EC2) operation. The result is
// marshalled with encoding/xml as the content of <{Op}Result> (EC2: directly under
// <{Op}Response>), so it is a struct whose fields carry xml tags as AWS names them.
type QueryHandler func(s *Server, c *Call) (result any, err error)

// RESTHandler answers a REST-JSON (Lambda, SES v2) operation: the HTTP status of a success
// and a body marshalled with encoding/json (nil for an empty body).
type RESTHandler func(s *Server, c *Call) (status int, body any, err error)

// JSONHandler answers a JSON 1.0/1.1 (Organizations, Account via REST-JSON is separate)
// operation selected by X-Amz-Target; the body is marshalled with encoding/json.
type JSONHandler func(s *Server, c *Call) (body any, err error)
