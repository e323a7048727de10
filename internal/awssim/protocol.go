package awssim

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// The three wire protocols (and EC2's variant of query) and the handler tables the service
// files fill in from their init functions.

type protocol int

const (
	protoQuery protocol = iota // awsQuery: IAM, STS, SES v1
	protoEC2                   // ec2Query: query requests, differently shaped responses
	protoREST                  // restJson1: Lambda, SES v2, Account
	protoJSON                  // awsJson1_0 / awsJson1_1: Organizations
)

// xmlNamespaces are the namespaces AWS puts on query responses, per signing name.
var xmlNamespaces = map[string]string{
	"iam": "https://iam.amazonaws.com/doc/2010-05-08/",
	"sts": "https://sts.amazonaws.com/doc/2011-06-15/",
	"ses": "http://ses.amazonaws.com/doc/2010-12-01/",
	"ec2": "http://ec2.amazonaws.com/doc/2016-11-15/",
}

// serviceProtocols says how a service answers a request no handler claims, so that an
// unknown operation gets the protocol's own error.
var serviceProtocols = map[string]protocol{
	"iam": protoQuery, "sts": protoQuery, "ses": protoQuery, "ec2": protoEC2,
	"lambda": protoREST, "account": protoREST,
	"organizations": protoJSON,
}

var (
	queryTable = map[string]map[string]QueryHandler{}
	jsonTable  = map[string]map[string]JSONHandler{}
	restTable  []restRoute
)

type restRoute struct {
	service, method, operation string
	segs                       []string // "/a/{B}/c" -> "", "a", "{B}", "c"
	literals                   int
	h                          RESTHandler
}

// handleQuery registers a query-protocol (IAM, STS, SES v1, EC2) action.
func handleQuery(service, action string, h QueryHandler) {
	m := queryTable[service]
	if m == nil {
		m = map[string]QueryHandler{}
		queryTable[service] = m
	}
	if _, dup := m[action]; dup {
		panic("awssim: query action registered twice: " + service + " " + action)
	}
	m[action] = h
}

// handleJSON registers a JSON 1.x operation by its X-Amz-Target, e.g.
// "AWSOrganizationsV20161128.ListAccounts".
func handleJSON(service, target string, h JSONHandler) {
	m := jsonTable[service]
	if m == nil {
		m = map[string]JSONHandler{}
		jsonTable[service] = m
	}
	if _, dup := m[target]; dup {
		panic("awssim: JSON target registered twice: " + service + " " + target)
	}
	m[target] = h
}

// handleREST registers a REST-JSON operation. pattern is the path as the service model
// writes it, e.g. "/2015-03-31/functions/{FunctionName}/policy"; each {Name} captures one
// non-empty path segment (URL-unescaped) into Call.PathParams. A trailing "/" is part of the
// path, as it is in AWS's own paths.
func handleREST(service, method, pattern, operation string, h RESTHandler) {
	if !strings.HasPrefix(pattern, "/") {
		panic("awssim: REST pattern must start with /: " + pattern)
	}
	segs := strings.Split(pattern, "/")
	lit := 0
	for _, s := range segs {
		if !isCapture(s) {
			lit++
		}
	}
	for _, r := range restTable {
		if r.service == service && r.method == method && strings.Join(r.segs, "/") == pattern {
			panic("awssim: REST route registered twice: " + service + " " + method + " " + pattern)
		}
	}
	restTable = append(restTable, restRoute{service: service, method: method, operation: operation, segs: segs, literals: lit, h: h})
}

func isCapture(seg string) bool {
	return len(seg) > 2 && seg[0] == '{' && seg[len(seg)-1] == '}'
}

// routed is the outcome of routing: the protocol (always set, for error rendering) and
// the handler.
type routed struct {
	proto protocol
	query QueryHandler
	rest  RESTHandler
	json  JSONHandler
}

// route decodes the request into c and finds its handler; an unknown operation is answered
// with the protocol's own error.
func route(r *http.Request, c *Call) (routed, *APIError) {
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		rt := routed{proto: protoJSON}
		c.Params = r.URL.Query()
		c.Operation = target[strings.LastIndexByte(target, '.')+1:]
		h := jsonTable[c.Service][target]
		if h == nil {
			return rt, &APIError{Status: 400, Code: "UnknownOperationException", Message: "Unknown operation " + target, Sender: true}
		}
		rt.json = h
		return rt, nil
	}

	if rr, params := matchREST(c.Service, r); rr != nil {
		c.Operation = rr.operation
		c.Params = r.URL.Query()
		c.PathParams = params
		return routed{proto: protoREST, rest: rr.h}, nil
	}

	proto, known := serviceProtocols[c.Service]
	if c.Service == "ses" && strings.HasPrefix(r.URL.Path, "/v2/") {
		proto = protoREST
	}
	if !known {
		c.PathParams = map[string]string{}
		return routed{proto: protoREST}, &APIError{Status: 400, Code: "UnknownOperationException", Message: fmt.Sprintf("The simulator does not serve the service %q", c.Service), Sender: true}
	}
	switch proto {
	case protoQuery, protoEC2:
		rt := routed{proto: proto}
		form, err := url.ParseQuery(string(c.Body))
		if err != nil {
			return rt, &APIError{Status: 400, Code: "MalformedQueryString", Message: "The request body is not a valid form: " + err.Error(), Sender: true}
		}
		for k, v := range r.URL.Query() {
			form[k] = append(form[k], v...)
		}
		c.Params = form
		c.Operation = form.Get("Action")
		h := queryTable[c.Service][c.Operation]
		if h == nil {
			if proto == protoEC2 {
				return rt, &APIError{Status: 400, Code: "InvalidAction", Message: fmt.Sprintf("The action %s is not valid for this web service.", c.Operation), Sender: true}
			}
			return rt, &APIError{Status: 400, Code: "InvalidAction", Message: fmt.Sprintf("Could not find operation %s for version %s", c.Operation, form.Get("Version")), Sender: true}
		}
		rt.query = h
		return rt, nil
	case protoJSON:
		return routed{proto: protoJSON}, &APIError{Status: 400, Code: "UnknownOperationException", Message: "Missing X-Amz-Target", Sender: true}
	default:
		c.Params = r.URL.Query()
		c.PathParams = map[string]string{}
		return routed{proto: protoREST}, &APIError{Status: 404, Code: "UnknownOperationException", Message: fmt.Sprintf("Unknown operation %s %s", r.Method, r.URL.Path), Sender: true}
	}
}

// matchREST finds the route with the most literal segments that matches the request.
func matchREST(service string, r *http.Request) (*restRoute, map[string]string) {
	path := r.URL.EscapedPath()
	segs := strings.Split(path, "/")
	var best *restRoute
	var bestParams map[string]string
	for i := range restTable {
		rr := &restTable[i]
		if rr.service != service || rr.method != r.Method || len(rr.segs) != len(segs) {
			continue
		}
		if best != nil && rr.literals <= best.literals {
			continue
		}
		params := map[string]string{}
		ok := true
		for j, p := range rr.segs {
			seg, err := url.PathUnescape(segs[j])
			if err != nil {
				ok = false
				break
			}
			if isCapture(p) {
				if seg == "" {
					ok = false
					break
				}
				params[p[1:len(p)-1]] = seg
			} else if p != seg {
				ok = false
				break
			}
		}
		if ok {
			best, bestParams = rr, params
		}
	}
	return best, bestParams
}

// protocolOf tells a handler-facing helper which protocol a call came in by.
func protocolOf(c *Call) protocol {
	switch {
	case c.Header != nil && c.Header.Get("X-Amz-Target") != "":
		return protoJSON
	case c.PathParams != nil:
		return protoREST
	case c.Service == "ec2":
		return protoEC2
	default:
		if p, ok := serviceProtocols[c.Service]; ok {
			return p
		}
		return protoQuery
	}
}

// renderSuccess renders a handler's result; reqContentType is echoed for JSON 1.x.
func renderSuccess(proto protocol, c *Call, rid string, result any, reqContentType string) ([]byte, string, error) {
	switch proto {
	case protoQuery:
		var buf bytes.Buffer
		fmt.Fprintf(&buf, `<%sResponse xmlns="%s">`, c.Operation, xmlNamespaces[c.Service])
		if result == nil {
			fmt.Fprintf(&buf, "<%sResult/>", c.Operation)
		} else {
			enc := xml.NewEncoder(&buf)
			if err := enc.EncodeElement(result, xml.StartElement{Name: xml.Name{Local: c.Operation + "Result"}}); err != nil {
				return nil, "", fmt.Errorf("encode %s result: %w", c.Operation, err)
			}
			if err := enc.Close(); err != nil {
				return nil, "", err
			}
		}
		fmt.Fprintf(&buf, "<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>", rid, c.Operation)
		return buf.Bytes(), "text/xml", nil
	case protoEC2:
		var buf bytes.Buffer
		fmt.Fprintf(&buf, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<%sResponse xmlns="%s"><requestId>%s</requestId>`, c.Operation, xmlNamespaces["ec2"], rid)
		if result != nil {
			inner, err := innerXML(result)
			if err != nil {
				return nil, "", fmt.Errorf("encode %s result: %w", c.Operation, err)
			}
			buf.Write(inner)
		}
		fmt.Fprintf(&buf, "</%sResponse>", c.Operation)
		return buf.Bytes(), "text/xml;charset=UTF-8", nil
	case protoREST:
		if result == nil {
			return nil, "", nil
		}
		b, err := compactJSON(result)
		return b, "application/json", err
	default:
		if result == nil {
			return []byte("{}"), jsonContentType(reqContentType), nil
		}
		b, err := compactJSON(result)
		return b, jsonContentType(reqContentType), err
	}
}

func jsonContentType(req string) string {
	if strings.HasPrefix(req, "application/x-amz-json-") {
		return req
	}
	return "application/x-amz-json-1.1"
}

// innerXML marshals v's fields without an enclosing element.
func innerXML(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := xml.NewEncoder(&buf)
	if err := enc.EncodeElement(v, xml.StartElement{Name: xml.Name{Local: "x"}}); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	b = bytes.TrimPrefix(b, []byte("<x>"))
	b = bytes.TrimSuffix(b, []byte("</x>"))
	return b, nil
}

// writeError renders e in the service's protocol.
func (s *Server) writeError(w http.ResponseWriter, rid string, proto protocol, c *Call, e *APIError) {
	switch proto {
	case protoQuery:
		typ := "Receiver"
		if e.Sender {
			typ = "Sender"
		}
		var buf bytes.Buffer
		fmt.Fprintf(&buf, `<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`,
			xmlNamespaces[c.Service], typ, xmlEscape(e.Code), xmlEscape(e.Message), rid)
		writeBody(w, e.Status, "text/xml", buf.Bytes())
	case protoEC2:
		var buf bytes.Buffer
		fmt.Fprintf(&buf, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>%s</RequestID></Response>`,
			xmlEscape(e.Code), xmlEscape(e.Message), rid)
		writeBody(w, e.Status, "text/xml;charset=UTF-8", buf.Bytes())
	case protoJSON:
		body := map[string]any{}
		for k, v := range e.Extra {
			body[k] = v
		}
		body["__type"] = e.Code
		body["message"] = e.Message
		b, _ := compactJSON(body)
		writeBody(w, e.Status, jsonContentType(c.Header.Get("Content-Type")), b)
	default:
		writeJSONError(w, rid, c.Service, e)
	}
}

// writeJSONError renders a REST-JSON error: the code in X-Amzn-ErrorType, the message (and
// Lambda's "Type") in the body.
func writeJSONError(w http.ResponseWriter, _ string, service string, e *APIError) {
	body := map[string]any{}
	for k, v := range e.Extra {
		body[k] = v
	}
	if service == "lambda" {
		if _, ok := body["Type"]; !ok {
			if e.Sender {
				body["Type"] = "User"
			} else {
				body["Type"] = "Service"
			}
		}
	}
	body["message"] = e.Message
	b, _ := compactJSON(body)
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	writeBody(w, e.Status, "application/json", b)
}

func writeBody(w http.ResponseWriter, status int, ctype string, b []byte) {
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Length", fmt.Sprint(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func xmlEscape(s string) string {
	var buf bytes.Buffer
	_ = xml.EscapeText(&buf, []byte(s))
	return buf.String()
}

// The errors the framework itself answers, each in the shape the service really uses.

func throttleError(proto protocol, c *Call) *APIError {
	switch {
	case c.Service == "lambda":
		return &APIError{Status: 429, Code: "TooManyRequestsException", Message: "Rate exceeded", Sender: true,
			Extra: map[string]any{"Reason": "CallerRateLimitExceeded", "Type": "User"}}
	case proto == protoEC2:
		return &APIError{Status: 503, Code: "RequestLimitExceeded", Message: "Request limit exceeded.", Sender: true}
	case proto == protoQuery:
		return &APIError{Status: 400, Code: "Throttling", Message: "Rate exceeded", Sender: true}
	case c.Service == "organizations":
		return &APIError{Status: 400, Code: "TooManyRequestsException", Sender: true,
			Message: "You have sent too many requests in too short a period of time. The quota helps protect against denial-of-service attacks. Try again later.",
			Extra:   map[string]any{"Type": "TooManyRequests"}}
	default: // SES v2, Account
		return &APIError{Status: 429, Code: "TooManyRequestsException", Message: "Rate exceeded", Sender: true}
	}
}

// serverFault is an injected 500 (internal) or 503 (unavailable).
func serverFault(proto protocol, internal bool) *APIError {
	switch {
	case proto == protoEC2 && internal:
		return &APIError{Status: 500, Code: "InternalError", Message: "An internal error has occurred"}
	case proto == protoEC2:
		return &APIError{Status: 503, Code: "Unavailable", Message: "The server is overloaded and can't handle the request."}
	case internal:
		return &APIError{Status: 500, Code: "InternalFailure", Message: "The request processing has failed because of an unknown error, exception or failure."}
	default:
		return &APIError{Status: 503, Code: "ServiceUnavailable", Message: "Service is unable to handle request."}
	}
}

func accessDenied(proto protocol, c *Call) *APIError {
	msg := fmt.Sprintf("User: %s is not authorized to perform: %s:%s", c.CallerARN, c.Service, c.Operation)
	switch proto {
	case protoQuery:
		return &APIError{Status: 403, Code: "AccessDenied", Message: msg, Sender: true}
	case protoEC2:
		return &APIError{Status: 403, Code: "UnauthorizedOperation", Message: "You are not authorized to perform this operation. " + msg, Sender: true}
	default:
		return &APIError{Status: 403, Code: "AccessDeniedException", Message: msg, Sender: true}
	}
}

// jsonUnmarshal decodes a JSON request body; an empty body is an empty object.
func jsonUnmarshal(body []byte, v any) *APIError {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return &APIError{Status: 400, Code: "SerializationException", Message: "The request body is not valid JSON: " + err.Error(), Sender: true}
	}
	return nil
}
