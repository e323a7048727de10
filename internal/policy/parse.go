package policy

import (
	"bytes"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Error is a malformed-policy error. It names the place so that a user can find the
// offending text in a policy that may hold dozens of statements.
//
// Statement is the 0-based index of the statement (-1 for document-level problems); the
// message counts statements from 1, as a person reading the policy does.
type Error struct {
	Statement int
	Sid       string
	Field     string // element path, for example "Principal.AWS[1]" or "Condition.StringEquals.aws:SourceAccount"
	Msg       string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Statement >= 0 {
		fmt.Fprintf(&b, "statement %d", e.Statement+1)
		if e.Sid != "" {
			fmt.Fprintf(&b, " (Sid %q)", e.Sid)
		}
	} else {
		b.WriteString("policy document")
	}
	if e.Field != "" {
		b.WriteString(": ")
		b.WriteString(e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// maxEncodingLayers bounds how many string or URL encodings Parse peels off. Real APIs
// add at most two (a JSON string holding a URL-encoded document has not been seen, but
// costs nothing to accept); the bound stops adversarial input from recursing forever.
const maxEncodingLayers = 4

// ParseString is Parse for the string form the AWS SDK hands out.
func ParseString(s string) (*Document, error) {
	return Parse([]byte(s))
}

// Parse reads a policy document in any form an AWS API returns it: a JSON object, a JSON
// string holding the document (double-encoded), or the RFC 3986 URL-encoded text IAM
// returns for trust policies, each possibly surrounded by whitespace.
//
// It is strict: anything AWS would refuse, or that could be read two ways, is an *Error
// rather than a guess, because a policy misread as harmless hides exactly the grants an
// audit exists to find. The two deliberate leniencies are a bare non-"*" string
// principal (read as {"AWS": value}) and case-insensitive condition operators.
//
// Duplicate object keys are rejected everywhere. JSON leaves them undefined, AWS rejects
// some and parsers disagree on which value wins, so any reading of such a policy could
// be the wrong one; the caller gets an error (a coverage gap) instead of a verdict.
//
// Unknown elements are rejected too, at the top level (only Version, Id, Statement) and in
// statements (only Sid, Effect, Principal, NotPrincipal, Action, NotAction, Resource,
// NotResource, Condition), as AWS does. Element names are case-sensitive.
func Parse(data []byte) (*Document, error) {
	return parseLayer(data, 0, "")
}

func parseLayer(data []byte, layer int, encoding string) (*Document, error) {
	data = bytes.TrimSpace(data)
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a UTF-8 byte-order mark from files
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		if encoding != "" {
			return nil, docErr("", "the "+encoding+" document is empty")
		}
		return nil, docErr("", "empty policy document")
	}
	switch data[0] {
	case '"':
		v, serr := decodeJSON(data)
		if serr != nil {
			return nil, jsonSyntaxErr(data, serr, encoding)
		}
		if layer >= maxEncodingLayers {
			return nil, docErr("", fmt.Sprintf("policy is encoded more than %d times", maxEncodingLayers))
		}
		return parseLayer([]byte(v.text), layer+1, "JSON-string-decoded")
	case '%':
		// IAM encodes with RFC 3986, where '+' is a literal plus; QueryUnescape would
		// turn it into a space and silently change principals and conditions.
		inner, err := url.PathUnescape(string(data))
		if err != nil {
			return nil, docErr("", fmt.Sprintf("policy looks URL-encoded (starts with %%) but does not decode: %v", err))
		}
		if layer >= maxEncodingLayers {
			return nil, docErr("", fmt.Sprintf("policy is encoded more than %d times", maxEncodingLayers))
		}
		return parseLayer([]byte(inner), layer+1, "URL-decoded")
	}
	root, serr := decodeJSON(data)
	if serr != nil {
		return nil, jsonSyntaxErr(data, serr, encoding)
	}
	return parseDocument(&root)
}

func docErr(field, msg string) *Error {
	return &Error{Statement: -1, Field: field, Msg: msg}
}

func jsonSyntaxErr(data []byte, se *syntaxError, encoding string) *Error {
	line, col := position(data, se.offset)
	where := "invalid JSON"
	if encoding != "" {
		where += " in the " + encoding + " document"
	}
	return docErr("", fmt.Sprintf("%s at line %d, column %d (offset %d): %s", where, line, col, se.offset, se.msg))
}

var (
	topLevelElements  = []string{"Version", "Id", "Statement"}
	statementElements = []string{"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}
)

func parseDocument(root *jsonValue) (*Document, error) {
	if root.kind != kindObject {
		return nil, docErr("", "expected a JSON object at the top level, found "+root.kind.describe())
	}
	if root.hasDup {
		return nil, docErr(root.dup, "element appears more than once")
	}
	if err := checkElements(root, topLevelElements, -1, ""); err != nil {
		return nil, err
	}
	doc := &Document{}
	if v, ok := root.get("Version"); ok {
		if v.kind != kindString {
			return nil, docErr("Version", "expected a string, found "+v.kind.describe())
		}
		doc.Version = v.text
	}
	if v, ok := root.get("Id"); ok {
		if v.kind != kindString {
			return nil, docErr("Id", "expected a string, found "+v.kind.describe())
		}
		doc.ID = v.text
	}
	st, ok := root.get("Statement")
	if !ok {
		return nil, docErr("Statement", "missing (every policy needs a Statement element)")
	}
	var list []jsonValue
	switch st.kind {
	case kindObject:
		list = []jsonValue{*st}
	case kindArray:
		list = st.elems
	default:
		return nil, docErr("Statement", "expected a statement object or a list of statements, found "+st.kind.describe())
	}
	doc.Statements = make([]Statement, len(list))
	for i := range list {
		if err := parseStatement(&list[i], i, &doc.Statements[i]); err != nil {
			return nil, err
		}
	}
	return doc, nil
}

// checkElements rejects keys outside allowed, suggesting the right spelling when only the
// case differs (a lower-case "effect" is the usual mistake).
func checkElements(obj *jsonValue, allowed []string, stmt int, sid string) error {
	for _, m := range obj.members {
		known := false
		for _, a := range allowed {
			if m.key == a {
				known = true
				break
			}
		}
		if known {
			continue
		}
		msg := "unknown element; expected one of " + strings.Join(allowed, ", ")
		for _, a := range allowed {
			if strings.EqualFold(m.key, a) {
				msg = fmt.Sprintf("unknown element (element names are case-sensitive: did you mean %q?)", a)
				break
			}
		}
		return &Error{Statement: stmt, Sid: sid, Field: m.key, Msg: msg}
	}
	return nil
}

// stmtParser carries the statement's identity into every error it reports.
type stmtParser struct {
	index int
	sid   string
}

func (p *stmtParser) err(field, format string, args ...any) *Error {
	return &Error{Statement: p.index, Sid: p.sid, Field: field, Msg: fmt.Sprintf(format, args...)}
}

func parseStatement(v *jsonValue, index int, out *Statement) error {
	p := stmtParser{index: index}
	if v.kind != kindObject {
		return p.err("", "expected a statement object, found %s", v.kind.describe())
	}
	// Read the Sid first so that every later error can name it.
	if sid, ok := v.get("Sid"); ok {
		if sid.kind != kindString {
			return p.err("Sid", "expected a string, found %s", sid.kind.describe())
		}
		p.sid = sid.text
	}
	if v.hasDup {
		return p.err(v.dup, "element appears more than once")
	}
	if err := checkElements(v, statementElements, index, p.sid); err != nil {
		return err
	}
	out.Index = index
	out.Sid = p.sid

	eff, ok := v.get("Effect")
	switch {
	case !ok:
		return p.err("Effect", `missing (expected "Allow" or "Deny")`)
	case eff.kind != kindString:
		return p.err("Effect", `expected "Allow" or "Deny", found %s`, eff.kind.describe())
	case eff.text == string(Allow):
		out.Effect = Allow
	case eff.text == string(Deny):
		out.Effect = Deny
	default:
		return p.err("Effect", `expected "Allow" or "Deny" (case-sensitive), found %q`, eff.text)
	}

	pr, hasP := v.get("Principal")
	npr, hasNP := v.get("NotPrincipal")
	switch {
	case hasP && hasNP:
		return p.err("Principal", "Principal and NotPrincipal are both present; a statement has exactly one")
	case !hasP && !hasNP:
		return p.err("Principal", "missing (a resource policy statement needs Principal or NotPrincipal)")
	case hasP:
		prin, err := p.principal("Principal", pr)
		if err != nil {
			return err
		}
		out.Principal = prin
	default:
		prin, err := p.principal("NotPrincipal", npr)
		if err != nil {
			return err
		}
		out.NotPrincipal = prin
	}

	var err error
	out.Action, out.NotAction, out.HasAction, out.HasNotAction, err = p.pair(v, "Action", "NotAction", true)
	if err != nil {
		return err
	}
	out.Resource, out.NotResource, out.HasResource, out.HasNotResource, err = p.pair(v, "Resource", "NotResource", false)
	if err != nil {
		return err
	}
	if c, ok := v.get("Condition"); ok {
		if out.Conditions, err = p.conditions(c); err != nil {
			return err
		}
	}
	return nil
}

// pair reads an element and its Not form, which exclude each other. When required, one
// of them must be present (every statement has Action or NotAction; Resource is optional
// in resource policies, ECR statements omit it).
func (p *stmtParser) pair(v *jsonValue, name, notName string, required bool) (vals, notVals []string, has, hasNot bool, err error) {
	a, has := v.get(name)
	n, hasNot := v.get(notName)
	switch {
	case has && hasNot:
		return nil, nil, false, false, p.err(name, "%s and %s are both present; a statement has at most one", name, notName)
	case required && !has && !hasNot:
		return nil, nil, false, false, p.err(name, "missing (a statement needs %s or %s)", name, notName)
	case has:
		vals, err = p.stringList(name, a, false)
	case hasNot:
		notVals, err = p.stringList(notName, n, false)
	}
	return vals, notVals, has, hasNot, err
}

// stringList reads a string or a list of strings. An empty list is kept (it matches
// nothing) unless nonEmpty is set.
func (p *stmtParser) stringList(field string, v *jsonValue, nonEmpty bool) ([]string, error) {
	switch v.kind {
	case kindString:
		return []string{v.text}, nil
	case kindArray:
		if nonEmpty && len(v.elems) == 0 {
			return nil, p.err(field, "empty list (expected at least one value)")
		}
		out := make([]string, len(v.elems))
		for i := range v.elems {
			if v.elems[i].kind != kindString {
				return nil, p.err(fmt.Sprintf("%s[%d]", field, i), "expected a string, found %s", v.elems[i].kind.describe())
			}
			out[i] = v.elems[i].text
		}
		return out, nil
	}
	return nil, p.err(field, "expected a string or a list of strings, found %s", v.kind.describe())
}

func (p *stmtParser) principal(field string, v *jsonValue) (*Principal, error) {
	const expected = `expected "*" or an object with AWS, Service, Federated or CanonicalUser`
	switch v.kind {
	case kindString:
		switch v.text {
		case "*":
			return &Principal{Wildcard: true}, nil
		case "":
			return nil, p.err(field, "%s, found an empty string", expected)
		}
		// Not AWS grammar, but peers' tests write it; read it as the account principal it names.
		return &Principal{AWS: []string{v.text}}, nil
	case kindObject:
	default:
		return nil, p.err(field, "%s, found %s", expected, v.kind.describe())
	}
	if v.hasDup {
		return nil, p.err(field+"."+v.dup, "key appears more than once")
	}
	if len(v.members) == 0 {
		return nil, p.err(field, "%s, found an empty object", expected)
	}
	out := &Principal{}
	for i := range v.members {
		m := &v.members[i]
		var dst *[]string
		switch m.key {
		case "AWS":
			dst = &out.AWS
		case "Service":
			dst = &out.Service
		case "Federated":
			dst = &out.Federated
		case "CanonicalUser":
			dst = &out.CanonicalUser
		default:
			msg := fmt.Sprintf("unknown principal type %q; expected AWS, Service, Federated or CanonicalUser", m.key)
			for _, k := range []string{"AWS", "Service", "Federated", "CanonicalUser"} {
				if strings.EqualFold(k, m.key) {
					msg = fmt.Sprintf("unknown principal type %q (principal types are case-sensitive: did you mean %q?)", m.key, k)
				}
			}
			return nil, p.err(field, "%s", msg)
		}
		vals, err := p.stringList(field+"."+m.key, &m.val, true)
		if err != nil {
			return nil, err
		}
		*dst = vals
	}
	return out, nil
}

func (p *stmtParser) conditions(v *jsonValue) ([]Condition, error) {
	if v.kind != kindObject {
		return nil, p.err("Condition", "expected an object of condition operators, found %s", v.kind.describe())
	}
	if v.hasDup {
		return nil, p.err("Condition."+v.dup, "condition operator appears more than once")
	}
	var out []Condition
	for i := range v.members {
		op := &v.members[i]
		field := "Condition." + op.key
		if op.val.kind != kindObject {
			return nil, p.err(field, "expected an object of condition keys, found %s", op.val.kind.describe())
		}
		if op.val.hasDup {
			return nil, p.err(field+"."+op.val.dup, "condition key appears more than once")
		}
		base, known, set, ifExists := parseOperator(op.key)
		for j := range op.val.members {
			k := &op.val.members[j]
			vals, err := p.conditionValues(field+"."+k.key, &k.val)
			if err != nil {
				return nil, err
			}
			out = append(out, Condition{
				Operator: op.key,
				Base:     base,
				Known:    known,
				Set:      set,
				IfExists: ifExists,
				Key:      k.key,
				KeyLower: strings.ToLower(k.key),
				Values:   vals,
			})
		}
	}
	return out, nil
}

// conditionValues accepts a scalar or a flat list of scalars. Booleans and numbers keep
// their JSON text ("true", "3600", "1e3"), which is what IAM compares against.
func (p *stmtParser) conditionValues(field string, v *jsonValue) ([]string, error) {
	const expected = "expected a string, boolean or number, or a list of them"
	switch v.kind {
	case kindString, kindBool, kindNumber:
		return []string{v.text}, nil
	case kindArray:
		out := make([]string, len(v.elems))
		for i := range v.elems {
			switch e := &v.elems[i]; e.kind {
			case kindString, kindBool, kindNumber:
				out[i] = e.text
			default:
				return nil, p.err(field+"["+strconv.Itoa(i)+"]", "expected a string, boolean or number, found %s", e.kind.describe())
			}
		}
		return out, nil
	}
	return nil, p.err(field, "%s, found %s", expected, v.kind.describe())
}

// knownOperators are the base condition operators of the IAM grammar, canonical spelling.
var knownOperators = []string{
	"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
	"StringLike", "StringNotLike",
	"NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
	"NumericGreaterThan", "NumericGreaterThanEquals",
	"DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals",
	"DateGreaterThan", "DateGreaterThanEquals",
	"Bool", "BinaryEquals", "IpAddress", "NotIpAddress",
	"ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike",
	"Null",
}

// parseOperator splits a condition operator into set qualifier, base and IfExists.
// Matching is case-insensitive, but the prefix must be exactly "ForAnyValue:" or
// "ForAllValues:": the look-alikes some tools accept ("ForAnyValues:", no colon) are
// not AWS grammar, and treating them as restricting would hide a grant. An unknown
// operator reports Known=false with Base as written and no qualifier or suffix, so the
// caller never acts on half-recognised syntax. Null takes no IfExists (IAM grammar).
func parseOperator(op string) (base string, known bool, set SetQualifier, ifExists bool) {
	rest := op
	switch {
	case hasPrefixFold(rest, "ForAnyValue:"):
		set, rest = ForAnyValue, rest[len("ForAnyValue:"):]
	case hasPrefixFold(rest, "ForAllValues:"):
		set, rest = ForAllValues, rest[len("ForAllValues:"):]
	}
	if c := canonicalOperator(rest); c != "" {
		return c, true, set, false
	}
	if len(rest) > len("IfExists") && asciiEqualFold(rest[len(rest)-len("IfExists"):], "IfExists") {
		if c := canonicalOperator(rest[:len(rest)-len("IfExists")]); c != "" && c != "Null" {
			return c, true, set, true
		}
	}
	return op, false, SetNone, false
}

func canonicalOperator(s string) string {
	for _, k := range knownOperators {
		if asciiEqualFold(s, k) {
			return k
		}
	}
	return ""
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && asciiEqualFold(s[:len(prefix)], prefix)
}

// asciiEqualFold folds ASCII letters only: operator names are ASCII, and Unicode folding
// would accept look-alikes such as "\u017ftringEquals" (long s) that IAM does not.
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
