package awssim

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/trustaudit/trustaudit/internal/world"
)

// Lambda speaks REST-JSON. Only the policy surface and the listings a policy scan walks
// are simulated: functions (with versions and aliases) and layer versions, read and
// written through the same calls and with the same error codes, messages and statement
// shapes as AWS, so a scanner or a remediation can be tested against it unchanged.

func init() {
	// The Go SDK sends ListFunctions to /2015-03-31/functions and other clients (older
	// SDKs, the CLI v2) to /2015-03-31/functions/; AWS answers both.
	handleREST("lambda", http.MethodGet, "/2015-03-31/functions", "ListFunctions", lambdaListFunctions)
	handleREST("lambda", http.MethodGet, "/2015-03-31/functions/", "ListFunctions", lambdaListFunctions)
	handleREST("lambda", http.MethodGet, "/2015-03-31/functions/{FunctionName}/versions", "ListVersionsByFunction", lambdaListVersionsByFunction)
	handleREST("lambda", http.MethodGet, "/2015-03-31/functions/{FunctionName}/aliases", "ListAliases", lambdaListAliases)
	handleREST("lambda", http.MethodGet, "/2015-03-31/functions/{FunctionName}/policy", "GetPolicy", lambdaGetPolicy)
	handleREST("lambda", http.MethodPost, "/2015-03-31/functions/{FunctionName}/policy", "AddPermission", lambdaAddPermission)
	handleREST("lambda", http.MethodDelete, "/2015-03-31/functions/{FunctionName}/policy/{StatementId}", "RemovePermission", lambdaRemovePermission)
	handleREST("lambda", http.MethodGet, "/2018-10-31/layers", "ListLayers", lambdaListLayers)
	handleREST("lambda", http.MethodGet, "/2018-10-31/layers/{LayerName}/versions", "ListLayerVersions", lambdaListLayerVersions)
	handleREST("lambda", http.MethodGet, "/2018-10-31/layers/{LayerName}/versions/{VersionNumber}/policy", "GetLayerVersionPolicy", lambdaGetLayerVersionPolicy)
	handleREST("lambda", http.MethodPost, "/2018-10-31/layers/{LayerName}/versions/{VersionNumber}/policy", "AddLayerVersionPermission", lambdaAddLayerVersionPermission)
	handleREST("lambda", http.MethodDelete, "/2018-10-31/layers/{LayerName}/versions/{VersionNumber}/policy/{StatementId}", "RemoveLayerVersionPermission", lambdaRemoveLayerVersionPermission)
}

const (
	// lambdaPageCap is what ListFunctions and friends return at most per page, whatever
	// MaxItems asks for.
	lambdaPageCap = 50
	// lambdaPolicyLimit is the documented resource-policy size limit (20 KB).
	lambdaPolicyLimit = 20480
	// lambdaLastModified is a fixed timestamp: the simulator has no clock-driven state, and
	// fixed values keep answers byte-for-byte reproducible.
	lambdaLastModified = "2024-01-15T10:30:00.000+0000"
	lambdaCreatedDate  = "2024-01-15T10:30:00.000+0000"
)

// lambdaErr builds a Lambda error: every Lambda client fault carries "Type": "User".
func lambdaErr(status int, code, format string, args ...any) *APIError {
	return &APIError{Status: status, Code: code, Message: fmt.Sprintf(format, args...), Sender: status < 500,
		Extra: map[string]any{"Type": "User"}}
}

func lambdaInvalid(format string, args ...any) *APIError {
	return lambdaErr(http.StatusBadRequest, "InvalidParameterValueException", format, args...)
}

func lambdaNotFound(format string, args ...any) *APIError {
	return lambdaErr(http.StatusNotFound, "ResourceNotFoundException", format, args...)
}

// errNoPolicy is what GetPolicy and friends answer for a resource that exists but has no
// policy, as opposed to a resource that does not exist.
func errNoPolicy() *APIError {
	return lambdaNotFound("The resource you requested does not exist.")
}

func errStaleRevision() *APIError {
	return lambdaErr(http.StatusPreconditionFailed, "PreconditionFailedException",
		"The RevisionId provided does not match the latest RevisionId for the Lambda function or alias. Call the GetFunction or the GetAlias API to retrieve the latest RevisionId for your resource.")
}

// --- indexes ---------------------------------------------------------------------------

// lambdaIndex maps names to slice positions for one (account, region), so a region with
// thousands of functions answers each call in O(1). Entries are checked on every use and
// the index is rebuilt when the world changed under it, so it can never answer wrongly.
type lambdaIndex struct {
	fns    map[string]int
	layers map[string]int
}

func (s *Server) lambdaIndexFor(c *Call, r *world.Region) *lambdaIndex {
	all := extState(s, "lambda", func() map[string]*lambdaIndex { return map[string]*lambdaIndex{} })
	key := c.Account + "/" + r.Name
	idx := all[key]
	if idx == nil || len(idx.fns) != len(r.LambdaFunctions) || len(idx.layers) != len(r.LambdaLayers) {
		idx = &lambdaIndex{fns: make(map[string]int, len(r.LambdaFunctions)), layers: make(map[string]int, len(r.LambdaLayers))}
		for i, f := range r.LambdaFunctions {
			idx.fns[f.Name] = i
		}
		for i, l := range r.LambdaLayers {
			idx.layers[l.Name] = i
		}
		all[key] = idx
	}
	return idx
}

// findIndexed looks name up in the index map byName picks and checks the item found in items
// (the region's slice) still bears it; a stale index is dropped and rebuilt once.
func findIndexed[T any](s *Server, c *Call, r *world.Region, items []T, name string, byName func(*lambdaIndex) map[string]int, nameOf func(*T) string) *T {
	for attempt := 0; attempt < 2; attempt++ {
		i, ok := byName(s.lambdaIndexFor(c, r))[name]
		if !ok {
			return nil
		}
		if i < len(items) && nameOf(&items[i]) == name {
			return &items[i]
		}
		s.dropLambdaIndex(c, r)
	}
	return nil
}

func (s *Server) findFunction(c *Call, r *world.Region, name string) *world.LambdaFunction {
	return findIndexed(s, c, r, r.LambdaFunctions, name,
		func(x *lambdaIndex) map[string]int { return x.fns }, func(f *world.LambdaFunction) string { return f.Name })
}

func (s *Server) findLayer(c *Call, r *world.Region, name string) *world.LambdaLayer {
	return findIndexed(s, c, r, r.LambdaLayers, name,
		func(x *lambdaIndex) map[string]int { return x.layers }, func(l *world.LambdaLayer) string { return l.Name })
}

func (s *Server) dropLambdaIndex(c *Call, r *world.Region) {
	if all, ok := s.ext["lambda"].(map[string]*lambdaIndex); ok {
		delete(all, c.Account+"/"+r.Name)
	}
}

// --- names, ARNs, revisions -------------------------------------------------------------

func functionARN(c *Call, name, qualifier string) string {
	arn := "arn:aws:lambda:" + c.Region + ":" + c.Account + ":function:" + name
	if qualifier != "" {
		arn += ":" + qualifier
	}
	return arn
}

func layerARN(c *Call, name string) string {
	return "arn:aws:lambda:" + c.Region + ":" + c.Account + ":layer:" + name
}

func layerVersionARN(c *Call, name string, version int64) string {
	return layerARN(c, name) + ":" + strconv.FormatInt(version, 10)
}

var (
	lambdaNameRE      = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)
	lambdaQualifierRE = regexp.MustCompile(`^(\$LATEST|[a-zA-Z0-9_-]{1,128})$`)
	statementIDRE     = regexp.MustCompile(`^[a-zA-Z0-9-_.]{1,100}$`)
	lambdaActionRE    = regexp.MustCompile(`^(lambda:[*]|lambda:[a-zA-Z]+|[*])$`)
	accountIDRE       = regexp.MustCompile(`^[0-9]{12}$`)
	orgIDRE           = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	rootARNRE         = regexp.MustCompile(`^arn:aws[a-zA-Z-]*:iam::\d{12}:root$`)
)

// parseFunctionName accepts every form AWS accepts for FunctionName: a name, name:qualifier,
// a partial ARN (account:function:name[:qualifier]) and a full ARN.
func parseFunctionName(c *Call, ref string) (name, qualifier string, err *APIError) {
	parts := strings.Split(ref, ":")
	account, region := c.Account, c.Region
	switch {
	case len(parts) >= 7 && parts[0] == "arn" && parts[2] == "lambda" && parts[5] == "function" && len(parts) <= 8:
		region, account, parts = parts[3], parts[4], parts[6:]
	case len(parts) >= 3 && accountIDRE.MatchString(parts[0]) && parts[1] == "function" && len(parts) <= 4:
		account, parts = parts[0], parts[2:]
	case len(parts) <= 2:
	default:
		return "", "", lambdaInvalid("Invalid function name or ARN: %s", ref)
	}
	name = parts[0]
	if len(parts) == 2 {
		qualifier = parts[1]
	}
	if !lambdaNameRE.MatchString(name) || (len(parts) == 2 && !lambdaQualifierRE.MatchString(qualifier)) {
		return "", "", lambdaInvalid("1 validation error detected: Value '%s' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?", ref)
	}
	if account != c.Account {
		return "", "", &APIError{Status: http.StatusForbidden, Code: "AccessDeniedException", Sender: true,
			Message: fmt.Sprintf("User: %s is not authorized to perform: lambda:%s on resource: %s because no resource-based policy allows the lambda:%s action", c.CallerARN, c.Operation, ref, c.Operation)}
	}
	if region != c.Region {
		return "", "", lambdaNotFound("Functions from '%s' are not reachable in this region ('%s')", region, c.Region)
	}
	return name, qualifier, nil
}

// revisionID derives a UUID-shaped revision from everything a revision stands for, so it
// changes exactly when the policy changes and needs no state of its own.
func revisionID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	b := h.Sum(nil)[:16]
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// lambdaTarget is the function, version or alias a call names, with its policy slot.
type lambdaTarget struct {
	fn        *world.LambdaFunction
	qualifier string // "" for the unqualified function ($LATEST)
	policy    *world.Policy
	arn       string
}

func (t lambdaTarget) revision(c *Call) string {
	if t.qualifier == "" && t.fn.RevisionID != "" {
		// A snapshot keeps the revision AWS reported; it holds until the policy is written.
		return t.fn.RevisionID
	}
	return revisionID(c.Account, c.Region, "function", t.fn.Name, t.qualifier, string(*t.policy))
}

func (t lambdaTarget) current() world.Policy { return *t.policy }

// setPolicy writes the policy; a recorded revision no longer describes it.
func (t lambdaTarget) setPolicy(p string) {
	*t.policy = world.Policy(p)
	if t.qualifier == "" {
		t.fn.RevisionID = ""
	}
}

func (s *Server) lambdaTarget(c *Call) (lambdaTarget, *APIError) {
	r, err := s.region(c)
	if err != nil {
		return lambdaTarget{}, err
	}
	name, qual, err := parseFunctionName(c, c.PathParams["FunctionName"])
	if err != nil {
		return lambdaTarget{}, err
	}
	if q := c.Params.Get("Qualifier"); q != "" {
		if !lambdaQualifierRE.MatchString(q) {
			return lambdaTarget{}, lambdaInvalid("1 validation error detected: Value '%s' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)", q)
		}
		if qual != "" && qual != q {
			return lambdaTarget{}, lambdaInvalid("The derived qualifier from the function name does not match the specified qualifier.")
		}
		qual = q
	}
	fn := s.findFunction(c, r, name)
	if fn == nil {
		return lambdaTarget{}, lambdaNotFound("Function not found: %s", functionARN(c, name, qual))
	}
	t := lambdaTarget{fn: fn, arn: functionARN(c, name, "")}
	switch {
	case qual == "" || qual == "$LATEST":
		t.policy = &fn.Policy
	case isVersionNumber(qual):
		for i := range fn.Versions {
			if fn.Versions[i].Version == qual {
				t.policy, t.qualifier = &fn.Versions[i].Policy, qual
			}
		}
	default:
		for i := range fn.Aliases {
			if fn.Aliases[i].Name == qual {
				t.policy, t.qualifier = &fn.Aliases[i].Policy, qual
			}
		}
	}
	if t.policy == nil {
		return lambdaTarget{}, lambdaNotFound("Function not found: %s", functionARN(c, name, qual))
	}
	t.arn = functionARN(c, name, t.qualifier)
	return t, nil
}

// unqualifiedFunction is the function the path's FunctionName names, in the call's region, for
// the requests that take no qualifier.
func (s *Server) unqualifiedFunction(c *Call) (*world.LambdaFunction, *APIError) {
	r, err := s.region(c)
	if err != nil {
		return nil, err
	}
	name, qual, err := parseFunctionName(c, c.PathParams["FunctionName"])
	if err != nil {
		return nil, err
	}
	if qual != "" {
		return nil, lambdaInvalid("Unsupported function name format: a qualifier is not allowed in this request.")
	}
	f := s.findFunction(c, r, name)
	if f == nil {
		return nil, lambdaNotFound("Function not found: %s", functionARN(c, name, ""))
	}
	return f, nil
}

func isVersionNumber(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// --- JSON with AWS's key order ------------------------------------------------------------

// ordered is a JSON object that keeps its keys in the order AWS writes them, so a written
// statement is byte-for-byte what AWS would return.
type ordered []kv

type kv struct {
	k string
	v any
}

// appendJSON writes v compactly without HTML escaping (AWS writes "&", "<" and ">" as is).
func appendJSON(buf *bytes.Buffer, v any) {
	switch v := v.(type) {
	case ordered:
		buf.WriteByte('{')
		for i, e := range v {
			if i > 0 {
				buf.WriteByte(',')
			}
			appendJSON(buf, e.k)
			buf.WriteByte(':')
			appendJSON(buf, e.v)
		}
		buf.WriteByte('}')
	case []json.RawMessage:
		buf.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.Write(e)
		}
		buf.WriteByte(']')
	case json.RawMessage:
		buf.Write(v)
	default:
		enc := json.NewEncoder(buf)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(v) // strings and plain values only: cannot fail
		buf.Truncate(buf.Len() - 1)
	}
}

func jsonText(v any) string {
	var buf bytes.Buffer
	appendJSON(&buf, v)
	return buf.String()
}

// policyDoc is a resource policy split into its statements, each kept as the raw text it was
// written with so that adding or removing one statement leaves the others untouched.
type policyDoc struct {
	version, id string
	statements  []json.RawMessage
}

func parsePolicyDoc(p world.Policy) (policyDoc, error) {
	d := policyDoc{version: "2012-10-17", id: "default"}
	if p == "" {
		return d, nil
	}
	var raw struct {
		Version   string          `json:"Version"`
		ID        *string         `json:"Id"`
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal([]byte(p), &raw); err != nil {
		return d, fmt.Errorf("stored policy is not a JSON object: %w", err)
	}
	if raw.Version != "" {
		d.version = raw.Version
	}
	if raw.ID != nil {
		d.id = *raw.ID
	}
	st := bytes.TrimSpace(raw.Statement)
	switch {
	case len(st) == 0 || string(st) == "null":
	case st[0] == '[':
		if err := json.Unmarshal(st, &d.statements); err != nil {
			return d, fmt.Errorf("stored policy statements: %w", err)
		}
	default:
		d.statements = []json.RawMessage{st}
	}
	for i, s := range d.statements {
		var buf bytes.Buffer
		if err := json.Compact(&buf, s); err != nil {
			return d, fmt.Errorf("stored policy statement %d: %w", i, err)
		}
		d.statements[i] = buf.Bytes()
	}
	return d, nil
}

func (d policyDoc) text() string {
	if len(d.statements) == 0 {
		return ""
	}
	doc := ordered{{"Version", d.version}}
	if d.id != "" {
		doc = append(doc, kv{"Id", d.id})
	}
	doc = append(doc, kv{"Statement", d.statements})
	return jsonText(doc)
}

func statementSid(st json.RawMessage) string {
	var s struct {
		Sid string `json:"Sid"`
	}
	_ = json.Unmarshal(st, &s) // a statement without a Sid has none to match
	return s.Sid
}

func (d policyDoc) find(sid string) int {
	for i, st := range d.statements {
		if statementSid(st) == sid {
			return i
		}
	}
	return -1
}

// addStatement appends a statement, refusing a duplicate Sid and a policy over the limit.
func addStatement(p world.Policy, sid string, st ordered) (string, string, *APIError) {
	d, err := parsePolicyDoc(p)
	if err != nil {
		return "", "", lambdaErr(http.StatusInternalServerError, "ServiceException", "%v", err)
	}
	if d.find(sid) >= 0 {
		return "", "", lambdaErr(http.StatusConflict, "ResourceConflictException",
			"The statement id (%s) provided already exists. Please provide a new statement id, or remove the existing statement.", sid)
	}
	stText := jsonText(st)
	d.statements = append(d.statements, json.RawMessage(stText))
	text := d.text()
	if len(text) > lambdaPolicyLimit {
		return "", "", lambdaErr(http.StatusBadRequest, "PolicyLengthExceededException",
			"The final policy size (%d) is bigger than the limit (%d).", len(text), lambdaPolicyLimit)
	}
	return text, stText, nil
}

// removeStatement drops the statement with the given Sid; the last one takes the policy away.
func removeStatement(p world.Policy, sid string) (string, *APIError) {
	if p == "" {
		return "", lambdaNotFound("No policy is associated with the given resource.")
	}
	d, err := parsePolicyDoc(p)
	if err != nil {
		return "", lambdaErr(http.StatusInternalServerError, "ServiceException", "%v", err)
	}
	i := d.find(sid)
	if i < 0 {
		return "", lambdaNotFound("Statement %s is not found in resource policy.", sid)
	}
	d.statements = append(d.statements[:i], d.statements[i+1:]...)
	return d.text(), nil
}

// lambdaPrincipal renders Principal as AWS stores it: an account id becomes its root ARN,
// a service name a Service principal.
func lambdaPrincipal(p string) (any, *APIError) {
	switch {
	case p == "*":
		return "*", nil
	case accountIDRE.MatchString(p):
		return ordered{{"AWS", "arn:aws:iam::" + p + ":root"}}, nil
	case strings.HasPrefix(p, "arn:"):
		return ordered{{"AWS", p}}, nil
	case strings.Contains(p, ".") && !strings.ContainsAny(p, " /:"):
		return ordered{{"Service", p}}, nil
	}
	return nil, lambdaInvalid("The provided principal was invalid. Please check the principal and try again.")
}

// --- request helpers --------------------------------------------------------------------

func decodeLambdaBody(c *Call, v any) *APIError {
	if len(bytes.TrimSpace(c.Body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(c.Body, v); err != nil {
		return lambdaErr(http.StatusBadRequest, "InvalidRequestContentException", "Could not parse request body into json: %v", err)
	}
	return nil
}

// lambdaPage reads Marker/MaxItems. The marker is an opaque position; the page is capped at
// 50 whatever MaxItems says.
func lambdaPage(c *Call) (start, size int, err *APIError) {
	size = lambdaPageCap
	if m := c.Params.Get("MaxItems"); m != "" {
		n, convErr := strconv.Atoi(m)
		if convErr != nil || n < 1 || n > 10000 {
			return 0, 0, lambdaInvalid("1 validation error detected: Value '%s' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 10000", m)
		}
		size = min(n, lambdaPageCap)
	}
	if m := c.Params.Get("Marker"); m != "" {
		pos, ok := decodeMarker(m)
		if !ok {
			return 0, 0, lambdaInvalid("Invalid marker: %s", m)
		}
		start = pos
	}
	return start, size, nil
}

func encodeMarker(pos int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("p:" + strconv.Itoa(pos)))
}

func decodeMarker(m string) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(m)
	if err != nil || !strings.HasPrefix(string(b), "p:") {
		return 0, false
	}
	n, err := strconv.Atoi(string(b[2:]))
	return n, err == nil && n >= 0
}

// --- functions --------------------------------------------------------------------------

type functionConfiguration struct {
	FunctionName     string            `json:"FunctionName"`
	FunctionArn      string            `json:"FunctionArn"`
	Runtime          string            `json:"Runtime,omitempty"`
	Role             string            `json:"Role"`
	Handler          string            `json:"Handler"`
	CodeSize         int64             `json:"CodeSize"`
	Description      string            `json:"Description"`
	Timeout          int               `json:"Timeout"`
	MemorySize       int               `json:"MemorySize"`
	LastModified     string            `json:"LastModified"`
	CodeSha256       string            `json:"CodeSha256"`
	Version          string            `json:"Version"`
	TracingConfig    map[string]string `json:"TracingConfig"`
	RevisionID       string            `json:"RevisionId"`
	PackageType      string            `json:"PackageType"`
	Architectures    []string          `json:"Architectures"`
	EphemeralStorage map[string]int    `json:"EphemeralStorage"`
	SnapStart        map[string]string `json:"SnapStart"`
	LoggingConfig    map[string]string `json:"LoggingConfig"`
}

// functionConfig describes $LATEST (version "") or a published version.
func functionConfig(c *Call, f *world.LambdaFunction, version string, arnQualifier string) functionConfiguration {
	t := lambdaTarget{fn: f, qualifier: version, policy: &f.Policy}
	for i := range f.Versions {
		if version != "" && f.Versions[i].Version == version {
			t.policy = &f.Versions[i].Policy
		}
	}
	v := version
	if v == "" {
		v = "$LATEST"
	}
	sum := sha256.Sum256([]byte(c.Account + "/" + f.Name + "/" + v))
	return functionConfiguration{
		FunctionName:     f.Name,
		FunctionArn:      functionARN(c, f.Name, arnQualifier),
		Runtime:          f.Runtime,
		Role:             "arn:aws:iam::" + c.Account + ":role/service-role/" + f.Name + "-role",
		Handler:          "index.handler",
		CodeSize:         int64(300 + int(sum[0])*4),
		Timeout:          3,
		MemorySize:       128,
		LastModified:     lambdaLastModified,
		CodeSha256:       base64.StdEncoding.EncodeToString(sum[:]),
		Version:          v,
		TracingConfig:    map[string]string{"Mode": "PassThrough"},
		RevisionID:       t.revision(c),
		PackageType:      "Zip",
		Architectures:    []string{"x86_64"},
		EphemeralStorage: map[string]int{"Size": 512},
		SnapStart:        map[string]string{"ApplyOn": "None", "OptimizationStatus": "Off"},
		LoggingConfig:    map[string]string{"LogFormat": "Text", "LogGroup": "/aws/lambda/" + f.Name},
	}
}

func lambdaListFunctions(s *Server, c *Call) (int, any, error) {
	r, rerr := s.region(c)
	if rerr != nil {
		return 0, nil, rerr
	}
	all := false
	switch fv := c.Params.Get("FunctionVersion"); fv {
	case "":
	case "ALL":
		all = true
	default:
		return 0, nil, lambdaInvalid("1 validation error detected: Value '%s' at 'functionVersion' failed to satisfy constraint: Member must satisfy enum value set: [ALL]", fv)
	}
	start, size, perr := lambdaPage(c)
	if perr != nil {
		return 0, nil, perr
	}
	// The marker is a position in the flattened list ($LATEST, then each version, per
	// function); with versions it is encoded as function*stride+entry so that resuming is
	// O(page), not O(functions).
	const stride = 1 << 20
	out := struct {
		Functions  []functionConfiguration `json:"Functions"`
		NextMarker string                  `json:"NextMarker,omitempty"`
	}{Functions: []functionConfiguration{}}
	fi, vi := start, 0
	if all {
		fi, vi = start/stride, start%stride
	}
	for fi < len(r.LambdaFunctions) {
		f := &r.LambdaFunctions[fi]
		if len(out.Functions) == size {
			break
		}
		if vi == 0 {
			out.Functions = append(out.Functions, functionConfig(c, f, "", ""))
		} else if vi-1 < len(f.Versions) {
			v := f.Versions[vi-1].Version
			out.Functions = append(out.Functions, functionConfig(c, f, v, v))
		}
		vi++
		if !all || vi > len(f.Versions) {
			fi, vi = fi+1, 0
		}
	}
	if fi < len(r.LambdaFunctions) {
		if all {
			out.NextMarker = encodeMarker(fi*stride + vi)
		} else {
			out.NextMarker = encodeMarker(fi)
		}
	}
	return http.StatusOK, out, nil
}

func lambdaListVersionsByFunction(s *Server, c *Call) (int, any, error) {
	f, err := s.unqualifiedFunction(c)
	if err != nil {
		return 0, nil, err
	}
	start, size, perr := lambdaPage(c)
	if perr != nil {
		return 0, nil, perr
	}
	out := struct {
		Versions   []functionConfiguration `json:"Versions"`
		NextMarker string                  `json:"NextMarker,omitempty"`
	}{Versions: []functionConfiguration{}}
	i := start
	for ; i <= len(f.Versions) && len(out.Versions) < size; i++ {
		if i == 0 {
			out.Versions = append(out.Versions, functionConfig(c, f, "", "$LATEST"))
			continue
		}
		v := f.Versions[i-1].Version
		out.Versions = append(out.Versions, functionConfig(c, f, v, v))
	}
	if i <= len(f.Versions) {
		out.NextMarker = encodeMarker(i)
	}
	return http.StatusOK, out, nil
}

type aliasConfiguration struct {
	AliasArn        string `json:"AliasArn"`
	Name            string `json:"Name"`
	FunctionVersion string `json:"FunctionVersion"`
	Description     string `json:"Description"`
	RevisionID      string `json:"RevisionId"`
}

func lambdaListAliases(s *Server, c *Call) (int, any, error) {
	f, err := s.unqualifiedFunction(c)
	if err != nil {
		return 0, nil, err
	}
	start, size, perr := lambdaPage(c)
	if perr != nil {
		return 0, nil, perr
	}
	filter := c.Params.Get("FunctionVersion")
	out := struct {
		Aliases    []aliasConfiguration `json:"Aliases"`
		NextMarker string               `json:"NextMarker,omitempty"`
	}{Aliases: []aliasConfiguration{}}
	i := start
	for ; i < len(f.Aliases) && len(out.Aliases) < size; i++ {
		a := &f.Aliases[i]
		if filter != "" && a.FunctionVersion != filter {
			continue
		}
		t := lambdaTarget{fn: f, qualifier: a.Name, policy: &a.Policy}
		out.Aliases = append(out.Aliases, aliasConfiguration{
			AliasArn: functionARN(c, f.Name, a.Name), Name: a.Name, FunctionVersion: a.FunctionVersion,
			RevisionID: t.revision(c),
		})
	}
	if i < len(f.Aliases) {
		out.NextMarker = encodeMarker(i)
	}
	return http.StatusOK, out, nil
}

type policyOutput struct {
	Policy     string `json:"Policy"`
	RevisionID string `json:"RevisionId"`
}

// policySlot is the policy of a function, version, alias or layer version, as the policy
// calls read and write it.
type policySlot interface {
	current() world.Policy
	revision(c *Call) string
	setPolicy(p string)
}

// getPolicy answers GetPolicy and GetLayerVersionPolicy.
func getPolicy(c *Call, t policySlot) (int, any, error) {
	if t.current() == "" {
		return 0, nil, errNoPolicy()
	}
	return http.StatusOK, policyOutput{Policy: string(t.current()), RevisionID: t.revision(c)}, nil
}

// removePermission answers RemovePermission and RemoveLayerVersionPermission.
func removePermission(c *Call, t policySlot) (int, any, error) {
	if rev := c.Params.Get("RevisionId"); rev != "" && rev != t.revision(c) {
		return 0, nil, errStaleRevision()
	}
	text, err := removeStatement(t.current(), c.PathParams["StatementId"])
	if err != nil {
		return 0, nil, err
	}
	t.setPolicy(text)
	return http.StatusNoContent, nil, nil
}

// decodedTarget reads the body of an AddPermission call into in and finds its target; a
// region the caller cannot use answers before the body is read.
func decodedTarget[T any](s *Server, c *Call, in any, target func(*Call) (T, *APIError)) (T, *APIError) {
	var none T
	if _, err := s.region(c); err != nil {
		return none, err
	}
	if err := decodeLambdaBody(c, in); err != nil {
		return none, err
	}
	return target(c)
}

func lambdaGetPolicy(s *Server, c *Call) (int, any, error) {
	t, err := s.lambdaTarget(c)
	if err != nil {
		return 0, nil, err
	}
	return getPolicy(c, t)
}

func lambdaAddPermission(s *Server, c *Call) (int, any, error) {
	var in struct {
		StatementID           string `json:"StatementId"`
		Action                string `json:"Action"`
		Principal             string `json:"Principal"`
		SourceArn             string `json:"SourceArn"`
		SourceAccount         string `json:"SourceAccount"`
		EventSourceToken      string `json:"EventSourceToken"`
		PrincipalOrgID        string `json:"PrincipalOrgID"`
		FunctionURLAuthType   string `json:"FunctionUrlAuthType"`
		InvokedViaFunctionURL *bool  `json:"InvokedViaFunctionUrl"`
		RevisionID            string `json:"RevisionId"`
	}
	t, err := decodedTarget(s, c, &in, s.lambdaTarget)
	if err != nil {
		return 0, nil, err
	}
	switch {
	case !statementIDRE.MatchString(in.StatementID):
		return 0, nil, lambdaInvalid("1 validation error detected: Value '%s' at 'statementId' failed to satisfy constraint: Member must satisfy regular expression pattern: ([a-zA-Z0-9-_.]+)", in.StatementID)
	case !lambdaActionRE.MatchString(in.Action):
		return 0, nil, lambdaInvalid("1 validation error detected: Value '%s' at 'action' failed to satisfy constraint: Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])", in.Action)
	case in.SourceAccount != "" && !accountIDRE.MatchString(in.SourceAccount):
		return 0, nil, lambdaInvalid("1 validation error detected: Value '%s' at 'sourceAccount' failed to satisfy constraint: Member must satisfy regular expression pattern: \\d{12}", in.SourceAccount)
	case in.PrincipalOrgID != "" && !orgIDRE.MatchString(in.PrincipalOrgID):
		return 0, nil, lambdaInvalid("1 validation error detected: Value '%s' at 'principalOrgID' failed to satisfy constraint: Member must satisfy regular expression pattern: ^o-[a-z0-9]{10,32}$", in.PrincipalOrgID)
	case in.FunctionURLAuthType != "" && in.FunctionURLAuthType != "NONE" && in.FunctionURLAuthType != "AWS_IAM":
		return 0, nil, lambdaInvalid("1 validation error detected: Value '%s' at 'functionUrlAuthType' failed to satisfy constraint: Member must satisfy enum value set: [NONE, AWS_IAM]", in.FunctionURLAuthType)
	}
	principal, err := lambdaPrincipal(in.Principal)
	if err != nil {
		return 0, nil, err
	}
	if in.RevisionID != "" && in.RevisionID != t.revision(c) {
		return 0, nil, errStaleRevision()
	}
	var stringEquals, arnLike, boolCond ordered
	if in.SourceAccount != "" {
		stringEquals = append(stringEquals, kv{"AWS:SourceAccount", in.SourceAccount})
	}
	if in.PrincipalOrgID != "" {
		stringEquals = append(stringEquals, kv{"aws:PrincipalOrgID", in.PrincipalOrgID})
	}
	if in.FunctionURLAuthType != "" {
		stringEquals = append(stringEquals, kv{"lambda:FunctionUrlAuthType", in.FunctionURLAuthType})
	}
	if in.EventSourceToken != "" {
		stringEquals = append(stringEquals, kv{"lambda:EventSourceToken", in.EventSourceToken})
	}
	if in.SourceArn != "" {
		arnLike = append(arnLike, kv{"AWS:SourceArn", in.SourceArn})
	}
	if in.InvokedViaFunctionURL != nil && *in.InvokedViaFunctionURL {
		boolCond = append(boolCond, kv{"lambda:InvokedViaFunctionUrl", "true"})
	}
	st := ordered{
		{"Sid", in.StatementID},
		{"Effect", "Allow"},
		{"Principal", principal},
		{"Action", in.Action},
		{"Resource", t.arn},
	}
	var cond ordered
	if len(stringEquals) > 0 {
		cond = append(cond, kv{"StringEquals", stringEquals})
	}
	if len(arnLike) > 0 {
		cond = append(cond, kv{"ArnLike", arnLike})
	}
	if len(boolCond) > 0 {
		cond = append(cond, kv{"Bool", boolCond})
	}
	if len(cond) > 0 {
		st = append(st, kv{"Condition", cond})
	}
	text, stText, err := addStatement(*t.policy, in.StatementID, st)
	if err != nil {
		return 0, nil, err
	}
	t.setPolicy(text)
	return http.StatusCreated, map[string]string{"Statement": stText}, nil
}

func lambdaRemovePermission(s *Server, c *Call) (int, any, error) {
	t, err := s.lambdaTarget(c)
	if err != nil {
		return 0, nil, err
	}
	return removePermission(c, t)
}

// --- layers -----------------------------------------------------------------------------

type layerVersionItem struct {
	LayerVersionArn         string   `json:"LayerVersionArn"`
	Version                 int64    `json:"Version"`
	Description             string   `json:"Description"`
	CreatedDate             string   `json:"CreatedDate"`
	CompatibleRuntimes      []string `json:"CompatibleRuntimes"`
	CompatibleArchitectures []string `json:"CompatibleArchitectures"`
}

func layerItem(c *Call, l *world.LambdaLayer, v world.LayerVersion) layerVersionItem {
	return layerVersionItem{
		LayerVersionArn: layerVersionARN(c, l.Name, v.Version), Version: v.Version, CreatedDate: lambdaCreatedDate,
		CompatibleRuntimes: []string{}, CompatibleArchitectures: []string{"x86_64"},
	}
}

// latestLayerVersion is the highest version number: AWS lists layers with their latest.
func latestLayerVersion(l *world.LambdaLayer) world.LayerVersion {
	best := l.Versions[0]
	for _, v := range l.Versions[1:] {
		if v.Version > best.Version {
			best = v
		}
	}
	return best
}

func lambdaListLayers(s *Server, c *Call) (int, any, error) {
	r, rerr := s.region(c)
	if rerr != nil {
		return 0, nil, rerr
	}
	start, size, perr := lambdaPage(c)
	if perr != nil {
		return 0, nil, perr
	}
	type layersListItem struct {
		LayerName             string           `json:"LayerName"`
		LayerArn              string           `json:"LayerArn"`
		LatestMatchingVersion layerVersionItem `json:"LatestMatchingVersion"`
	}
	out := struct {
		Layers     []layersListItem `json:"Layers"`
		NextMarker string           `json:"NextMarker,omitempty"`
	}{Layers: []layersListItem{}}
	i := start
	for ; i < len(r.LambdaLayers) && len(out.Layers) < size; i++ {
		l := &r.LambdaLayers[i]
		if len(l.Versions) == 0 {
			continue
		}
		out.Layers = append(out.Layers, layersListItem{LayerName: l.Name, LayerArn: layerARN(c, l.Name),
			LatestMatchingVersion: layerItem(c, l, latestLayerVersion(l))})
	}
	if i < len(r.LambdaLayers) {
		out.NextMarker = encodeMarker(i)
	}
	return http.StatusOK, out, nil
}

// parseLayerName accepts a layer name or its ARN.
func parseLayerName(c *Call, ref string) (string, *APIError) {
	name := ref
	if strings.HasPrefix(ref, "arn:") {
		parts := strings.Split(ref, ":")
		if len(parts) != 7 || parts[2] != "lambda" || parts[5] != "layer" {
			return "", lambdaInvalid("Invalid layer name or ARN: %s", ref)
		}
		if parts[4] != c.Account || parts[3] != c.Region {
			return "", lambdaNotFound("Layer not found: %s", ref)
		}
		name = parts[6]
	}
	if !lambdaNameRE.MatchString(name) {
		return "", lambdaInvalid("1 validation error detected: Value '%s' at 'layerName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+", ref)
	}
	return name, nil
}

func lambdaListLayerVersions(s *Server, c *Call) (int, any, error) {
	r, rerr := s.region(c)
	if rerr != nil {
		return 0, nil, rerr
	}
	name, err := parseLayerName(c, c.PathParams["LayerName"])
	if err != nil {
		return 0, nil, err
	}
	start, size, perr := lambdaPage(c)
	if perr != nil {
		return 0, nil, perr
	}
	out := struct {
		LayerVersions []layerVersionItem `json:"LayerVersions"`
		NextMarker    string             `json:"NextMarker,omitempty"`
	}{LayerVersions: []layerVersionItem{}}
	// An unknown layer lists no versions, as in AWS.
	l := s.findLayer(c, r, name)
	if l == nil {
		return http.StatusOK, out, nil
	}
	// Newest first, as AWS lists them.
	vs := append([]world.LayerVersion(nil), l.Versions...)
	for i := 1; i < len(vs); i++ {
		for j := i; j > 0 && vs[j].Version > vs[j-1].Version; j-- {
			vs[j], vs[j-1] = vs[j-1], vs[j]
		}
	}
	i := start
	for ; i < len(vs) && len(out.LayerVersions) < size; i++ {
		out.LayerVersions = append(out.LayerVersions, layerItem(c, l, vs[i]))
	}
	if i < len(vs) {
		out.NextMarker = encodeMarker(i)
	}
	return http.StatusOK, out, nil
}

// layerTarget is one layer version and its policy slot.
type layerTarget struct {
	layer   *world.LambdaLayer
	version *world.LayerVersion
	arn     string
}

func (t layerTarget) revision(c *Call) string {
	return revisionID(c.Account, c.Region, "layer", t.layer.Name, strconv.FormatInt(t.version.Version, 10), string(t.version.Policy))
}

func (t layerTarget) current() world.Policy { return t.version.Policy }

func (t layerTarget) setPolicy(p string) { t.version.Policy = world.Policy(p) }

func (s *Server) layerTarget(c *Call) (layerTarget, *APIError) {
	r, err := s.region(c)
	if err != nil {
		return layerTarget{}, err
	}
	name, err := parseLayerName(c, c.PathParams["LayerName"])
	if err != nil {
		return layerTarget{}, err
	}
	raw := c.PathParams["VersionNumber"]
	num, convErr := strconv.ParseInt(raw, 10, 64)
	if convErr != nil {
		return layerTarget{}, lambdaInvalid("1 validation error detected: Value '%s' at 'versionNumber' failed to satisfy constraint: Member must be a number", raw)
	}
	arn := layerVersionARN(c, name, num)
	l := s.findLayer(c, r, name)
	if l == nil {
		return layerTarget{}, lambdaNotFound("Layer version %s does not exist.", arn)
	}
	for i := range l.Versions {
		if l.Versions[i].Version == num {
			return layerTarget{layer: l, version: &l.Versions[i], arn: arn}, nil
		}
	}
	return layerTarget{}, lambdaNotFound("Layer version %s does not exist.", arn)
}

func lambdaGetLayerVersionPolicy(s *Server, c *Call) (int, any, error) {
	t, err := s.layerTarget(c)
	if err != nil {
		return 0, nil, err
	}
	return getPolicy(c, t)
}

func lambdaAddLayerVersionPermission(s *Server, c *Call) (int, any, error) {
	var in struct {
		StatementID    string `json:"StatementId"`
		Action         string `json:"Action"`
		Principal      string `json:"Principal"`
		OrganizationID string `json:"OrganizationId"`
	}
	t, err := decodedTarget(s, c, &in, s.layerTarget)
	if err != nil {
		return 0, nil, err
	}
	switch {
	case !statementIDRE.MatchString(in.StatementID):
		return 0, nil, lambdaInvalid("1 validation error detected: Value '%s' at 'statementId' failed to satisfy constraint: Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)", in.StatementID)
	case in.Action != "lambda:GetLayerVersion":
		return 0, nil, lambdaInvalid("1 validation error detected: Value '%s' at 'action' failed to satisfy constraint: Member must satisfy regular expression pattern: lambda:GetLayerVersion", in.Action)
	case in.OrganizationID != "" && !orgIDRE.MatchString(in.OrganizationID):
		return 0, nil, lambdaInvalid("1 validation error detected: Value '%s' at 'organizationId' failed to satisfy constraint: Member must satisfy regular expression pattern: o-[a-z0-9]{10,32}", in.OrganizationID)
	case in.OrganizationID != "" && in.Principal != "*":
		return 0, nil, lambdaInvalid("The principal must be '*' when an organization id is given.")
	}
	var principal any
	switch {
	case in.Principal == "*":
		principal = "*"
	case accountIDRE.MatchString(in.Principal):
		principal = ordered{{"AWS", "arn:aws:iam::" + in.Principal + ":root"}}
	case rootARNRE.MatchString(in.Principal):
		principal = ordered{{"AWS", in.Principal}}
	default:
		return 0, nil, lambdaInvalid("1 validation error detected: Value '%s' at 'principal' failed to satisfy constraint: Member must satisfy regular expression pattern: \\d{12}|\\*|arn:(aws[a-zA-Z-]*):iam::\\d{12}:root", in.Principal)
	}
	if rev := c.Params.Get("RevisionId"); rev != "" && rev != t.revision(c) {
		return 0, nil, errStaleRevision()
	}
	st := ordered{
		{"Sid", in.StatementID},
		{"Effect", "Allow"},
		{"Principal", principal},
		{"Action", in.Action},
		{"Resource", t.arn},
	}
	if in.OrganizationID != "" {
		st = append(st, kv{"Condition", ordered{{"StringEquals", ordered{{"aws:PrincipalOrgID", in.OrganizationID}}}}})
	}
	text, stText, err := addStatement(t.version.Policy, in.StatementID, st)
	if err != nil {
		return 0, nil, err
	}
	t.version.Policy = world.Policy(text)
	return http.StatusCreated, map[string]string{"Statement": stText, "RevisionId": t.revision(c)}, nil
}

func lambdaRemoveLayerVersionPermission(s *Server, c *Call) (int, any, error) {
	t, err := s.layerTarget(c)
	if err != nil {
		return 0, nil, err
	}
	return removePermission(c, t)
}
