package trail

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/trustaudit/trustaudit/internal/access"
)

// Event describes one CloudTrail event that changes a resource policy: which eventSource and
// eventName, which kind of resource, and how to rebuild what the call granted or removed from
// its requestParameters. A new kind adds its events to table and nothing else.
type Event struct {
	Source string // eventSource, e.g. "ses.amazonaws.com"
	Name   string // eventName, or its prefix when Prefix is set
	// Prefix matches versioned names: Lambda records AddPermission20150331v2 and older
	// AddPermission20150331 for the same API.
	Prefix bool
	Kind   access.Kind // the kind the rebuilt policy is judged as
	// Removal marks calls that take access away (delete a policy, remove a permission).
	Removal bool
	Rebuild func(r *Record, p params) (*Change, error)
}

// Change is what one event did to one resource policy.
type Change struct {
	ResourceARN string
	// PolicyName names the policy (SES) or the statement id (Lambda) the call wrote or removed.
	PolicyName string
	// Policy is the policy document the call wrote (a whole document for SES and IAM, the one
	// statement Lambda adds, wrapped in a document); empty for removals.
	Policy string
	// Region is the finding's region: the record's awsRegion, or "global" for IAM.
	Region string
}

// table is the event table, keyed by eventSource. It also answers `trustaudit kinds`. Each
// service adds its events with register.
var table = map[string][]Event{}

// lookup says how LookupEvents asks for a service's events.
type lookup bool

const (
	// bySource asks once per eventSource and filters names locally.
	bySource lookup = false
	// byName asks once per event name: for services whose history is mostly calls the table
	// does not want, which paging by source would read at LookupRate for hours.
	byName lookup = true
)

// register adds a service's events to table.
func register(src string, how lookup, evs ...Event) {
	for i := range evs {
		evs[i].Source = src
	}
	table[src] = append(table[src], evs...)
	if how == byName {
		lookupByName[src] = true
	}
}

// rebuildFunc is an Event's Rebuild.
type rebuildFunc = func(*Record, params) (*Change, error)

// arnFunc derives the changed resource's ARN from a record.
type arnFunc = func(*Record, params) (string, error)

// putDocument rebuilds a call that writes a whole policy document, found in policyKey.
func putDocument(arnOf arnFunc, policyKey string) rebuildFunc {
	return func(r *Record, p params) (*Change, error) {
		arn, err := arnOf(r, p)
		if err != nil {
			return nil, err
		}
		doc, err := p.policyText(policyKey)
		if err != nil {
			return nil, err
		}
		return &Change{ResourceARN: arn, Policy: doc, Region: r.AWSRegion}, nil
	}
}

// putNamedDocument rebuilds a call that writes a whole policy document under a name the
// resource may hold several of (SES, CloudWatch Logs).
func putNamedDocument(arnOf arnFunc, nameKey, policyKey string) rebuildFunc {
	return func(r *Record, p params) (*Change, error) {
		arn, err := arnOf(r, p)
		if err != nil {
			return nil, err
		}
		name, err := p.required(nameKey)
		if err != nil {
			return nil, err
		}
		doc, err := p.policyText(policyKey)
		if err != nil {
			return nil, err
		}
		return &Change{ResourceARN: arn, PolicyName: name, Policy: doc, Region: r.AWSRegion}, nil
	}
}

// deleteDocument rebuilds a call that deletes a resource's whole policy.
func deleteDocument(arnOf arnFunc) rebuildFunc {
	return func(r *Record, p params) (*Change, error) {
		arn, err := arnOf(r, p)
		if err != nil {
			return nil, err
		}
		return &Change{ResourceARN: arn, Region: r.AWSRegion}, nil
	}
}

// removeNamed rebuilds a call that removes one named policy or statement, named in nameKey.
func removeNamed(arnOf arnFunc, nameKey string) rebuildFunc {
	return func(r *Record, p params) (*Change, error) {
		arn, err := arnOf(r, p)
		if err != nil {
			return nil, err
		}
		name, err := p.str(nameKey)
		if err != nil {
			return nil, err
		}
		return &Change{ResourceARN: arn, PolicyName: name, Region: r.AWSRegion}, nil
	}
}

// paramARN is the ARN a call names in key.
func paramARN(key string) arnFunc {
	return func(_ *Record, p params) (string, error) { return p.required(key) }
}

func init() {
	register("ses.amazonaws.com", bySource,
		Event{Name: "PutIdentityPolicy", Kind: kindSES, Rebuild: putNamedDocument(sesIdentityARN("identity"), "policyName", "policy")},
		Event{Name: "DeleteIdentityPolicy", Kind: kindSES, Removal: true, Rebuild: removeNamed(sesIdentityARN("identity"), "policyName")},
		Event{Name: "CreateEmailIdentityPolicy", Kind: kindSES, Rebuild: putNamedDocument(sesIdentityARN("emailIdentity"), "policyName", "policy")},
		Event{Name: "UpdateEmailIdentityPolicy", Kind: kindSES, Rebuild: putNamedDocument(sesIdentityARN("emailIdentity"), "policyName", "policy")},
		Event{Name: "DeleteEmailIdentityPolicy", Kind: kindSES, Removal: true, Rebuild: removeNamed(sesIdentityARN("emailIdentity"), "policyName")},
	)
	register("iam.amazonaws.com", bySource,
		Event{Name: "UpdateAssumeRolePolicy", Kind: kindRole, Rebuild: iamTrust("policyDocument")},
		Event{Name: "CreateRole", Kind: kindRole, Rebuild: iamTrust("assumeRolePolicyDocument")},
	)
	register("lambda.amazonaws.com", bySource,
		Event{Name: "AddPermission", Prefix: true, Kind: kindFunction, Rebuild: lambdaAdd},
		Event{Name: "RemovePermission", Prefix: true, Kind: kindFunction, Removal: true, Rebuild: removeNamed(functionARN, "statementId")},
		Event{Name: "AddLayerVersionPermission", Prefix: true, Kind: kindLayer, Rebuild: layerAdd},
		Event{Name: "RemoveLayerVersionPermission", Prefix: true, Kind: kindLayer, Removal: true, Rebuild: removeNamed(layerVersionARN, "statementId")},
	)
}

// Match finds the table entry for an event; exact names win over prefixes.
func Match(source, name string) (Event, bool) {
	evs, ok := table[source]
	if !ok {
		return Event{}, false
	}
	for _, e := range evs {
		if !e.Prefix && e.Name == name {
			return e, true
		}
	}
	for _, e := range evs {
		if e.Prefix && versioned(name, e.Name) {
			return e, true
		}
	}
	return Event{}, false
}

// versioned reports whether name is base or base followed by an API version
// (AddPermission20150331v2), but not a different API sharing the prefix
// (AddPermissionBoundary would not match).
func versioned(name, base string) bool {
	rest, ok := strings.CutPrefix(name, base)
	if !ok {
		return false
	}
	return rest == "" || versionSuffix.MatchString(rest)
}

var versionSuffix = regexp.MustCompile(`^\d{8}(v\d+)?$`)

// Events lists the table in a stable order (by source, then name).
func Events() []Event {
	var out []Event
	for _, evs := range table {
		out = append(out, evs...)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Source != out[j].Source {
			return out[i].Source < out[j].Source
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Sources lists the eventSources in the table, sorted: LookupEvents asks for each.
func Sources() []string {
	out := make([]string, 0, len(table))
	for s := range table {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// params is a record's requestParameters, decoded. CloudTrail writes them as the API received
// them, with the API's own member names in lower camel case.
type params map[string]any

func parseParams(raw json.RawMessage) (params, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, fmt.Errorf("requestParameters: missing")
	}
	var p params
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("requestParameters: expected an object: %w", err)
	}
	return p, nil
}

// str returns a string parameter ("" when absent); numbers are rendered as written.
func (p params) str(key string) (string, error) {
	switch v := p[key].(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case json.Number:
		return v.String(), nil
	default:
		return "", fmt.Errorf("requestParameters.%s: expected a string, found %T", key, v)
	}
}

func (p params) required(key string) (string, error) {
	v, err := p.str(key)
	if err != nil {
		return "", err
	}
	if v == "" {
		return "", fmt.Errorf("requestParameters.%s: missing", key)
	}
	return v, nil
}

// policyText returns a policy parameter as text for policy.Parse. CloudTrail logs it as the
// string the API received (the query-protocol APIs, IAM and SES v1, log it form-decoded; a
// client that encoded it twice leaves it percent-encoded, which policy.Parse peels off). An
// object is accepted too, re-encoded, as some CloudTrail consumers rewrite the string.
func (p params) policyText(key string) (string, error) {
	switch v := p[key].(type) {
	case nil:
		return "", fmt.Errorf("requestParameters.%s: missing", key)
	case string:
		return v, nil
	case map[string]any:
		b, err := json.Marshal(v)
		if err != nil {
			return "", fmt.Errorf("requestParameters.%s: %w", key, err)
		}
		return string(b), nil
	default:
		return "", fmt.Errorf("requestParameters.%s: expected a policy document, found %T", key, v)
	}
}

// partition returns the ARN partition of a region.
func partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	default:
		return "aws"
	}
}

// sesIdentityARN returns the ARN of the identity in idKey; the API accepts a name or an ARN.
func sesIdentityARN(idKey string) arnFunc {
	return func(r *Record, p params) (string, error) {
		id, err := p.required(idKey)
		if err != nil || strings.HasPrefix(id, "arn:") {
			return id, err
		}
		return fmt.Sprintf("arn:%s:ses:%s:%s:identity/%s", partition(r.AWSRegion), r.AWSRegion, r.Account(), id), nil
	}
}

func iamTrust(docKey string) func(*Record, params) (*Change, error) {
	return func(r *Record, p params) (*Change, error) {
		role, err := p.required("roleName")
		if err != nil {
			return nil, err
		}
		doc, err := p.policyText(docKey)
		if err != nil {
			return nil, err
		}
		path, err := p.str("path")
		if err != nil {
			return nil, err
		}
		if path == "" {
			path = "/"
		}
		arn := fmt.Sprintf("arn:%s:iam::%s:role%s%s", partition(r.AWSRegion), r.Account(), path, role)
		// CreateRole answers with the role, whose ARN is authoritative.
		var resp struct {
			Role struct {
				ARN string `json:"arn"`
			} `json:"role"`
		}
		if len(r.ResponseElements) > 0 && json.Unmarshal(r.ResponseElements, &resp) == nil && resp.Role.ARN != "" {
			arn = resp.Role.ARN
		}
		return &Change{ResourceARN: arn, Policy: doc, Region: "global"}, nil
	}
}

// lambdaARN returns the ARN Lambda puts in the statement's Resource: functionName may be a
// name, a partial ARN (123456789012:function:name) or a full ARN, each optionally with
// ":qualifier"; the qualifier parameter adds one.
func lambdaARN(r *Record, fn, qualifier string) string {
	var arn string
	switch {
	case strings.HasPrefix(fn, "arn:"):
		arn = fn
	case strings.Contains(fn, ":function:"):
		arn = fmt.Sprintf("arn:%s:lambda:%s:%s", partition(r.AWSRegion), r.AWSRegion, fn)
	default:
		arn = fmt.Sprintf("arn:%s:lambda:%s:%s:function:%s", partition(r.AWSRegion), r.AWSRegion, r.Account(), fn)
	}
	if qualifier != "" && strings.Count(arn, ":") == 6 {
		arn += ":" + qualifier
	}
	return arn
}

// lambdaPrincipal renders the principal parameter as Lambda writes it into the policy.
func lambdaPrincipal(p string) any {
	switch {
	case p == "*":
		return "*"
	case isAccountID(p):
		return map[string]any{"AWS": "arn:aws:iam::" + p + ":root"}
	case strings.HasPrefix(p, "arn:"):
		return map[string]any{"AWS": p}
	default:
		return map[string]any{"Service": p}
	}
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	_, err := strconv.ParseUint(s, 10, 64)
	return err == nil
}

// statementDoc wraps one statement in a policy document.
func statementDoc(stmt map[string]any) (string, error) {
	b, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{stmt}})
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// addCond adds Condition[op][key] = value when value is set.
func addCond(stmt map[string]any, op, key, value string) {
	if value == "" {
		return
	}
	conds, _ := stmt["Condition"].(map[string]any)
	if conds == nil {
		conds = map[string]any{}
		stmt["Condition"] = conds
	}
	m, _ := conds[op].(map[string]any)
	if m == nil {
		m = map[string]any{}
		conds[op] = m
	}
	m[key] = value
}

// statementChange is the change of a call that adds one statement, named by its Sid.
func statementChange(r *Record, arn string, stmt map[string]any) (*Change, error) {
	doc, err := statementDoc(stmt)
	if err != nil {
		return nil, err
	}
	sid, _ := stmt["Sid"].(string)
	return &Change{ResourceARN: arn, PolicyName: sid, Policy: doc, Region: r.AWSRegion}, nil
}

// lambdaStatement is the statement Lambda writes for an AddPermission or
// AddLayerVersionPermission.
func lambdaStatement(sid, principal, action, arn string) map[string]any {
	return map[string]any{
		"Sid":       sid,
		"Effect":    "Allow",
		"Principal": lambdaPrincipal(principal),
		"Action":    action,
		"Resource":  arn,
	}
}

// strings returns the string parameters keys, in order; the first bad one is the error.
func (p params) strings(keys ...string) ([]string, error) {
	out := make([]string, len(keys))
	for i, k := range keys {
		v, err := p.str(k)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// lambdaAdd rebuilds the statement AddPermission adds, the way Lambda writes it.
func lambdaAdd(r *Record, p params) (*Change, error) {
	arn, err := functionARN(r, p)
	if err != nil {
		return nil, err
	}
	v, err := p.strings("statementId", "action", "principal", "sourceAccount", "sourceArn", "principalOrgID",
		"functionUrlAuthType", "eventSourceToken", "invokedViaFunctionUrl")
	if err != nil {
		return nil, err
	}
	sid, action, principal := v[0], v[1], v[2]
	if principal == "" {
		return nil, fmt.Errorf("requestParameters.principal: missing")
	}
	stmt := lambdaStatement(sid, principal, action, arn)
	addCond(stmt, "StringEquals", "AWS:SourceAccount", v[3])
	addCond(stmt, "ArnLike", "AWS:SourceArn", v[4])
	addCond(stmt, "StringEquals", "aws:PrincipalOrgID", v[5])
	addCond(stmt, "StringEquals", "lambda:FunctionUrlAuthType", v[6])
	addCond(stmt, "StringEquals", "lambda:EventSourceToken", v[7])
	if v[8] == "true" {
		addCond(stmt, "Bool", "lambda:InvokedViaFunctionUrl", "true")
	}
	return statementChange(r, arn, stmt)
}

// functionARN is the ARN of the function (and qualifier) a call names.
func functionARN(r *Record, p params) (string, error) {
	fn, err := p.required("functionName")
	if err != nil {
		return "", err
	}
	qualifier, err := p.str("qualifier")
	if err != nil {
		return "", err
	}
	return lambdaARN(r, fn, qualifier), nil
}

// layerARN returns the layer version ARN; layerName may be a name or a layer ARN.
func layerARN(r *Record, layer, version string) string {
	if !strings.HasPrefix(layer, "arn:") {
		layer = fmt.Sprintf("arn:%s:lambda:%s:%s:layer:%s", partition(r.AWSRegion), r.AWSRegion, r.Account(), layer)
	}
	if version != "" {
		layer += ":" + version
	}
	return layer
}

// layerAdd rebuilds the statement AddLayerVersionPermission adds: the principal is "*" or an
// account id, optionally narrowed to an organization.
func layerAdd(r *Record, p params) (*Change, error) {
	arn, err := layerVersionARN(r, p)
	if err != nil {
		return nil, err
	}
	v, err := p.strings("statementId", "action")
	if err != nil {
		return nil, err
	}
	principal, err := p.required("principal")
	if err != nil {
		return nil, err
	}
	org, err := p.str("organizationId")
	if err != nil {
		return nil, err
	}
	stmt := lambdaStatement(v[0], principal, v[1], arn)
	addCond(stmt, "StringEquals", "aws:PrincipalOrgID", org)
	return statementChange(r, arn, stmt)
}

// layerVersionARN is the ARN of the layer version a call names.
func layerVersionARN(r *Record, p params) (string, error) {
	layer, err := p.required("layerName")
	if err != nil {
		return "", err
	}
	version, err := p.str("versionNumber")
	if err != nil {
		return "", err
	}
	return layerARN(r, layer, version), nil
}

const (
	kindSES      = access.KindSESIdentity
	kindRole     = access.KindIAMRole
	kindFunction = access.KindLambdaFunction
	kindLayer    = access.KindLambdaLayer
)
