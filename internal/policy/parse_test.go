package policy

import (
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func readPolicy(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "policies", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Real policies as the AWS APIs return them, parsed into the model.
func TestParseRealPolicies(t *testing.T) {
	sesResource := "arn:aws:ses:us-east-1:111122223333:identity/test-resource-exposure.com"
	lambdaFn := "arn:aws:lambda:us-east-1:111122223333:function:my-function"
	tests := []struct {
		file string
		want *Document
	}{
		{
			// SES GetIdentityPolicies as shown by Endgame: the document as a JSON string.
			file: "ses_endgame_string.json",
			want: &Document{Version: "2012-10-17", Statements: []Statement{
				{Index: 0, Sid: "AllowCurrentAccount", Effect: Allow,
					Principal: &Principal{AWS: []string{"arn:aws:iam::111122223333:root"}},
					Action:    []string{"ses:*"}, HasAction: true,
					Resource: []string{sesResource}, HasResource: true},
				{Index: 1, Sid: "Endgame", Effect: Allow,
					Principal: &Principal{AWS: []string{"arn:aws:iam::999988887777:user/evil"}},
					Action:    []string{"ses:*"}, HasAction: true,
					Resource: []string{sesResource}, HasResource: true},
			}},
		},
		{
			// lambda add-permission with --source-account/--source-arn, --principal <id>, and a public URL.
			file: "lambda_add_permission.json",
			want: &Document{Version: "2012-10-17", ID: "default", Statements: []Statement{
				{Index: 0, Sid: "s3-invoke", Effect: Allow,
					Principal: &Principal{Service: []string{"s3.amazonaws.com"}},
					Action:    []string{"lambda:InvokeFunction"}, HasAction: true,
					Resource: []string{lambdaFn}, HasResource: true,
					Conditions: []Condition{
						{Operator: "StringEquals", Base: "StringEquals", Known: true, Key: "AWS:SourceAccount", KeyLower: "aws:sourceaccount", Values: []string{"111122223333"}},
						{Operator: "ArnLike", Base: "ArnLike", Known: true, Key: "AWS:SourceArn", KeyLower: "aws:sourcearn", Values: []string{"arn:aws:s3:::my-bucket"}},
					}},
				{Index: 1, Sid: "xaccount", Effect: Allow,
					Principal: &Principal{AWS: []string{"arn:aws:iam::444455556666:root"}},
					Action:    []string{"lambda:InvokeFunction"}, HasAction: true,
					Resource: []string{lambdaFn}, HasResource: true},
				{Index: 2, Sid: "FunctionURLAllowPublicAccess", Effect: Allow,
					Principal: &Principal{Wildcard: true},
					Action:    []string{"lambda:InvokeFunctionUrl"}, HasAction: true,
					Resource: []string{lambdaFn}, HasResource: true,
					Conditions: []Condition{
						{Operator: "StringEquals", Base: "StringEquals", Known: true, Key: "lambda:FunctionUrlAuthType", KeyLower: "lambda:functionurlauthtype", Values: []string{"NONE"}},
					}},
			}},
		},
		{
			// IAM GetRole through the Go SDK: RFC 3986 URL-encoded. A literal '+' and %2B
			// both stay '+', %20 is a space.
			file: "iam_trust_urlencoded.txt",
			want: &Document{Version: "2012-10-17", Statements: []Statement{
				{Index: 0, Effect: Allow,
					Principal: &Principal{AWS: []string{"arn:aws:iam::444455556666:role/ci+deploy"}},
					Action:    []string{"sts:AssumeRole"}, HasAction: true,
					Conditions: []Condition{
						{Operator: "StringEquals", Base: "StringEquals", Known: true, Key: "sts:ExternalId", KeyLower: "sts:externalid", Values: []string{"shared secret+1"}},
					}},
				{Index: 1, Effect: Allow,
					Principal: &Principal{Federated: []string{"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"}},
					Action:    []string{"sts:AssumeRoleWithWebIdentity"}, HasAction: true,
					Conditions: []Condition{
						{Operator: "StringLike", Base: "StringLike", Known: true, Key: "token.actions.githubusercontent.com:sub", KeyLower: "token.actions.githubusercontent.com:sub", Values: []string{"repo:example/app:*"}},
					}},
			}},
		},
		{
			// AWS's confused-deputy example: Statement is one object, pretty-printed.
			file: "confused_deputy_single_statement.json",
			want: &Document{Version: "2012-10-17", Statements: []Statement{
				{Index: 0, Sid: "ConfusedDeputyPreventionExamplePolicy", Effect: Allow,
					Principal: &Principal{Service: []string{"servicename.amazonaws.com"}},
					Action:    []string{"servicename:ActionName"}, HasAction: true,
					Resource: []string{"arn:aws:servicename:region-name:your-account-id:ResourceName/*"}, HasResource: true,
					Conditions: []Condition{
						{Operator: "ArnLike", Base: "ArnLike", Known: true, Key: "aws:SourceArn", KeyLower: "aws:sourcearn", Values: []string{"arn:aws:servicename:*:123456789012:*"}},
						{Operator: "StringEquals", Base: "StringEquals", Known: true, Key: "aws:SourceAccount", KeyLower: "aws:sourceaccount", Values: []string{"123456789012"}},
					}},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := Parse(readPolicy(t, tt.file))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// The same document in every encoding an API may use parses to the same result.
func TestParseEncodings(t *testing.T) {
	const compact = `{"Version":"2012-10-17","Statement":[{"Sid":"A b+c","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/a+b c"},"Action":"ses:SendEmail"}]}`
	want, err := ParseString(compact)
	if err != nil {
		t.Fatal(err)
	}
	if got := want.Statements[0].Principal.AWS[0]; got != "arn:aws:iam::111122223333:user/a+b c" {
		t.Fatalf("principal = %q", got)
	}
	pretty := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Sid\": \"A b+c\",\n      \"Effect\": \"Allow\",\n      \"Principal\": {\"AWS\": \"arn:aws:iam::111122223333:user/a+b c\"},\n      \"Action\": \"ses:SendEmail\"\n    }\n  ]\n}\n"
	quoted := `"` + strings.NewReplacer(`"`, `\"`).Replace(compact) + `"`
	urlEnc := strings.NewReplacer("{", "%7B", "}", "%7D", `"`, "%22", ":", "%3A", ",", "%2C", "[", "%5B", "]", "%5D", "/", "%2F", " ", "%20").Replace(compact)
	urlEncPlus := strings.ReplaceAll(urlEnc, "+", "%2B")
	forms := map[string]string{
		"pretty":                    pretty,
		"surrounding whitespace":    " \t\r\n" + compact + "\n\n",
		"byte order mark":           "\xef\xbb\xbf" + compact,
		"JSON string":               quoted,
		"JSON string, whitespace":   "  " + quoted + "\n",
		"URL-encoded, literal +":    urlEnc,
		"URL-encoded, %2B":          urlEncPlus,
		"URL-encoded, whitespace":   "\n" + urlEnc + "  \n",
		"URL-encoded JSON string":   `"` + urlEnc + `"`,
		"JSON string twice":         `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(quoted) + `"`,
		"URL-encoded, lower-case %": strings.ToLower(urlEnc[:3]) + urlEnc[3:],
	}
	for name, in := range forms {
		t.Run(name, func(t *testing.T) {
			got, err := ParseString(in)
			if err != nil {
				t.Fatalf("ParseString(%q): %v", in, err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// Each accepted statement shape, reduced to the part of the model it sets.
func TestParseStatementForms(t *testing.T) {
	wrap := func(stmt string) string {
		return `{"Version":"2012-10-17","Statement":[` + stmt + `]}`
	}
	const base = `"Effect":"Allow","Action":"s3:GetObject"`
	tests := []struct {
		name string
		in   string
		want Statement
	}{
		{"principal star", wrap(`{` + base + `,"Principal":"*"}`),
			Statement{Effect: Allow, Principal: &Principal{Wildcard: true}, Action: []string{"s3:GetObject"}, HasAction: true}},
		{"principal AWS star", wrap(`{` + base + `,"Principal":{"AWS":"*"}}`),
			Statement{Effect: Allow, Principal: &Principal{AWS: []string{"*"}}, Action: []string{"s3:GetObject"}, HasAction: true}},
		{"bare account string is AWS", wrap(`{` + base + `,"Principal":"111122223333"}`),
			Statement{Effect: Allow, Principal: &Principal{AWS: []string{"111122223333"}}, Action: []string{"s3:GetObject"}, HasAction: true}},
		{"every principal type, lists and strings", wrap(`{` + base + `,"Principal":{"CanonicalUser":["c1","c2"],"Federated":"cognito-identity.amazonaws.com","Service":["s3.amazonaws.com"],"AWS":["111122223333","arn:aws:iam::444455556666:root"]}}`),
			Statement{Effect: Allow, Principal: &Principal{
				AWS: []string{"111122223333", "arn:aws:iam::444455556666:root"}, Service: []string{"s3.amazonaws.com"},
				Federated: []string{"cognito-identity.amazonaws.com"}, CanonicalUser: []string{"c1", "c2"},
			}, Action: []string{"s3:GetObject"}, HasAction: true}},
		{"NotPrincipal with Deny", wrap(`{"Effect":"Deny","Action":"*","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:root"]}}`),
			Statement{Effect: Deny, NotPrincipal: &Principal{AWS: []string{"arn:aws:iam::111122223333:root"}}, Action: []string{"*"}, HasAction: true}},
		{"NotPrincipal star", wrap(`{"Effect":"Allow","Action":"*","NotPrincipal":"*"}`),
			Statement{Effect: Allow, NotPrincipal: &Principal{Wildcard: true}, Action: []string{"*"}, HasAction: true}},
		{"NotAction, NotResource lists", wrap(`{"Effect":"Deny","Principal":"*","NotAction":["s3:Get*","s3:List*"],"NotResource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}`),
			Statement{Effect: Deny, Principal: &Principal{Wildcard: true}, NotAction: []string{"s3:Get*", "s3:List*"}, HasNotAction: true,
				NotResource: []string{"arn:aws:s3:::b", "arn:aws:s3:::b/*"}, HasNotResource: true}},
		{"empty Action and Resource lists are present but match nothing", wrap(`{"Effect":"Allow","Principal":"*","Action":[],"Resource":[]}`),
			Statement{Effect: Allow, Principal: &Principal{Wildcard: true}, Action: []string{}, HasAction: true, Resource: []string{}, HasResource: true}},
		{"Sid kept", wrap(`{"Sid":"",` + base + `,"Principal":"*"},{"Sid":"Two",` + base + `,"Principal":"*"}`),
			Statement{Effect: Allow, Principal: &Principal{Wildcard: true}, Action: []string{"s3:GetObject"}, HasAction: true}},
		{"empty Condition", wrap(`{` + base + `,"Principal":"*","Condition":{}}`),
			Statement{Effect: Allow, Principal: &Principal{Wildcard: true}, Action: []string{"s3:GetObject"}, HasAction: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := ParseString(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, doc.Statements[0]); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseStatementIndexAndSid(t *testing.T) {
	doc, err := ParseString(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"a"},{"Sid":"Two","Effect":"Deny","Principal":"*","Action":"b"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Statements) != 2 || doc.Statements[0].Index != 0 || doc.Statements[1].Index != 1 ||
		doc.Statements[0].Sid != "" || doc.Statements[1].Sid != "Two" || doc.Statements[1].Effect != Deny {
		t.Errorf("statements = %+v", doc.Statements)
	}
}

func TestParseEmptyStatementList(t *testing.T) {
	for _, in := range []string{`{"Statement":[]}`, `{"Version":"2008-10-17","Id":"x","Statement":[]}`} {
		doc, err := ParseString(in)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if len(doc.Statements) != 0 {
			t.Errorf("%s: %d statements", in, len(doc.Statements))
		}
	}
}

func TestParseConditions(t *testing.T) {
	in := `{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Condition":{
		"ForAnyValue:StringLikeIfExists":{"aws:PrincipalOrgPaths":["o-a/r-b/*","o-c/*"]},
		"forallvalues:stringequals":{"aws:TagKeys":"k"},
		"Bool":{"aws:SecureTransport":false, "aws:ViaAWSService":[true,"false"]},
		"NumericLessThanEquals":{"s3:max-keys":10, "x:y":[1.5e3,-0]},
		"ARNLike":{"AWS:SourceArn":"arn:aws:sns:*:111122223333:*"},
		"NullIfExists":{"aws:x":"true"},
		"Null":{"aws:TokenIssueTime":"true"},
		"ForAnyValues:StringLike":{"aws:SourceAccount":"1"},
		"ForAnyValuesStringLike":{"aws:SourceAccount":"2"},
		"ForAnyValue:StringLike":{},
		"StringEqualsIfExists":{"aws:SourceAccount":[]},
		"ForAnyValue:IfExists":{"k":"v"},
		"ForAnyValue:Nope":{"k":"v"},
		"ForAllValues:ArnNotLikeIFEXISTS":{"aws:SourceArn":"arn:aws:s3:::b"}
	}}}`
	doc, err := ParseString(in)
	if err != nil {
		t.Fatal(err)
	}
	want := []Condition{
		{Operator: "ForAnyValue:StringLikeIfExists", Base: "StringLike", Known: true, Set: ForAnyValue, IfExists: true, Key: "aws:PrincipalOrgPaths", KeyLower: "aws:principalorgpaths", Values: []string{"o-a/r-b/*", "o-c/*"}},
		{Operator: "forallvalues:stringequals", Base: "StringEquals", Known: true, Set: ForAllValues, Key: "aws:TagKeys", KeyLower: "aws:tagkeys", Values: []string{"k"}},
		{Operator: "Bool", Base: "Bool", Known: true, Key: "aws:SecureTransport", KeyLower: "aws:securetransport", Values: []string{"false"}},
		{Operator: "Bool", Base: "Bool", Known: true, Key: "aws:ViaAWSService", KeyLower: "aws:viaawsservice", Values: []string{"true", "false"}},
		{Operator: "NumericLessThanEquals", Base: "NumericLessThanEquals", Known: true, Key: "s3:max-keys", KeyLower: "s3:max-keys", Values: []string{"10"}},
		{Operator: "NumericLessThanEquals", Base: "NumericLessThanEquals", Known: true, Key: "x:y", KeyLower: "x:y", Values: []string{"1.5e3", "-0"}},
		{Operator: "ARNLike", Base: "ArnLike", Known: true, Key: "AWS:SourceArn", KeyLower: "aws:sourcearn", Values: []string{"arn:aws:sns:*:111122223333:*"}},
		// IAM allows IfExists on every operator except Null.
		{Operator: "NullIfExists", Base: "NullIfExists", Known: false, Key: "aws:x", KeyLower: "aws:x", Values: []string{"true"}},
		{Operator: "Null", Base: "Null", Known: true, Key: "aws:TokenIssueTime", KeyLower: "aws:tokenissuetime", Values: []string{"true"}},
		// Misspelt set prefixes are not AWS grammar: unknown, restricting nothing.
		{Operator: "ForAnyValues:StringLike", Base: "ForAnyValues:StringLike", Known: false, Key: "aws:SourceAccount", KeyLower: "aws:sourceaccount", Values: []string{"1"}},
		{Operator: "ForAnyValuesStringLike", Base: "ForAnyValuesStringLike", Known: false, Key: "aws:SourceAccount", KeyLower: "aws:sourceaccount", Values: []string{"2"}},
		{Operator: "StringEqualsIfExists", Base: "StringEquals", Known: true, IfExists: true, Key: "aws:SourceAccount", KeyLower: "aws:sourceaccount", Values: []string{}},
		{Operator: "ForAnyValue:IfExists", Base: "ForAnyValue:IfExists", Known: false, Key: "k", KeyLower: "k", Values: []string{"v"}},
		{Operator: "ForAnyValue:Nope", Base: "ForAnyValue:Nope", Known: false, Key: "k", KeyLower: "k", Values: []string{"v"}},
		{Operator: "ForAllValues:ArnNotLikeIFEXISTS", Base: "ArnNotLike", Known: true, Set: ForAllValues, IfExists: true, Key: "aws:SourceArn", KeyLower: "aws:sourcearn", Values: []string{"arn:aws:s3:::b"}},
	}
	if diff := cmp.Diff(want, doc.Statements[0].Conditions); diff != "" {
		t.Errorf("conditions mismatch (-want +got):\n%s", diff)
	}
}

// Every known operator is recognised in any letter case, with each prefix and suffix.
func TestParseOperatorAllKnown(t *testing.T) {
	for _, op := range knownOperators {
		for _, prefix := range []string{"", "ForAnyValue:", "ForAllValues:", "FORANYVALUE:"} {
			for _, suffix := range []string{"", "IfExists", "ifexists"} {
				written := prefix + strings.ToLower(op) + suffix
				base, known, set, ifExists := parseOperator(written)
				wantKnown := !(op == "Null" && suffix != "")
				if known != wantKnown {
					t.Errorf("parseOperator(%q) known = %v, want %v", written, known, wantKnown)
					continue
				}
				if !known {
					continue
				}
				wantSet := map[string]SetQualifier{"": SetNone, "ForAnyValue:": ForAnyValue, "FORANYVALUE:": ForAnyValue, "ForAllValues:": ForAllValues}[prefix]
				if base != op || set != wantSet || ifExists != (suffix != "") {
					t.Errorf("parseOperator(%q) = %q, %v, %v, want %q, %v, %v", written, base, set, ifExists, op, wantSet, suffix != "")
				}
			}
		}
	}
	// Unicode case folding would accept these look-alikes; IAM does not.
	for _, op := range []string{"\u017ftringEquals", "String\u212aquals", "Bool\u0130fExists", "StringEquals "} {
		if _, known, _, _ := parseOperator(op); known {
			t.Errorf("parseOperator(%q) known, want unknown", op)
		}
	}
}

func TestParseErrors(t *testing.T) {
	const ok = `"Effect":"Allow","Principal":"*","Action":"s3:GetObject"`
	stmts := func(s ...string) string { return `{"Version":"2012-10-17","Statement":[` + strings.Join(s, ",") + `]}` }
	tests := []struct {
		name      string
		in        string
		stmt      int
		sid       string
		field     string
		msgSubstr string
	}{
		// Document level.
		{"empty input", "  \n", -1, "", "", "empty policy document"},
		{"invalid JSON names line and column", "{\n  \"Statement\": [\n    {\"Effect\" \"Allow\"}\n  ]\n}", -1, "", "", "line 3, column 15 (offset 33)"},
		{"truncated", `{"Statement":[`, -1, "", "", "unexpected end of input"},
		{"trailing data", `{"Statement":[]} {"Statement":[]}`, -1, "", "", "column 18 (offset 17): unexpected data after the end"},
		{"invalid JSON in URL-decoded text", `%7B%22Statement%22%3A`, -1, "", "", "invalid JSON in the URL-decoded document"},
		{"bad URL escape", `%7B%ZZ`, -1, "", "", "does not decode"},
		{"invalid JSON string", `"{\"Statement\":[]}`, -1, "", "", "unexpected end of input"},
		{"JSON string holding garbage", `"not a policy"`, -1, "", "", "invalid JSON in the JSON-string-decoded document at line 1, column 2"},
		{"JSON string holding nothing", `"  "`, -1, "", "", "JSON-string-decoded document is empty"},
		{"too many encodings", encodeTimes(`{"Statement":[]}`, maxEncodingLayers+1), -1, "", "", "encoded more than 4 times"},
		{"as many encodings as allowed", encodeTimes(`{"Statement":{}}`, maxEncodingLayers), 0, "", "Effect", "missing"},
		{"top level list", `[{"Statement":[]}]`, -1, "", "", "expected a JSON object at the top level, found a list"},
		{"top level number", `42`, -1, "", "", "found a number"},
		{"no Statement", `{"Version":"2012-10-17"}`, -1, "", "Statement", "missing"},
		{"Statement string", `{"Statement":"x"}`, -1, "", "Statement", "found a string"},
		{"Statement null", `{"Statement":null}`, -1, "", "Statement", "found null"},
		{"Version number", `{"Version":2012,"Statement":[]}`, -1, "", "Version", "expected a string, found a number"},
		{"Id object", `{"Id":{},"Statement":[]}`, -1, "", "Id", "found an object"},
		{"unknown top-level element", `{"Statement":[],"Extra":1}`, -1, "", "Extra", "unknown element; expected one of Version, Id, Statement"},
		{"top-level wrong case", `{"statement":[]}`, -1, "", "statement", `did you mean "Statement"?`},
		{"duplicate top-level key", `{"Statement":[],"Statement":[{}]}`, -1, "", "Statement", "appears more than once"},
		{"nesting bomb", `{"Statement":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, -1, "", "", "nesting deeper than 64 levels"},

		// Statement shape.
		{"statement not an object", stmts(`{`+ok+`}`, `"x"`), 1, "", "", "expected a statement object, found a string"},
		{"single statement wrong", `{"Statement":{"Sid":"S","Effect":"Allow","Principal":"*"}}`, 0, "S", "Action", "missing (a statement needs Action or NotAction)"},
		{"Sid not a string", stmts(`{"Sid":7,` + ok + `}`), 0, "", "Sid", "expected a string, found a number"},
		{"unknown statement element", stmts(`{"Sid":"S",` + ok + `,"Resources":"*"}`), 0, "S", "Resources", "unknown element; expected one of Sid, Effect"},
		{"statement element wrong case", stmts(`{"Sid":"S",` + ok + `,"condition":{}}`), 0, "S", "condition", `did you mean "Condition"?`},
		{"duplicate statement key", stmts(`{"Sid":"S",` + ok + `,"Action":"*"}`), 0, "S", "Action", "appears more than once"},

		// Effect.
		{"Effect missing", stmts(`{"Sid":"S","Principal":"*","Action":"a"}`), 0, "S", "Effect", "missing"},
		{"Effect lower case", stmts(`{"Sid":"S","Effect":"allow","Principal":"*","Action":"a"}`), 0, "S", "Effect", `(case-sensitive), found "allow"`},
		{"Effect Permit", stmts(`{`+ok+`}`, `{"Sid":"P","Effect":"Permit","Principal":"*","Action":"a"}`), 1, "P", "Effect", `found "Permit"`},
		{"Effect bool", stmts(`{"Effect":true,"Principal":"*","Action":"a"}`), 0, "", "Effect", "found a boolean"},

		// Principal.
		{"no principal", stmts(`{"Sid":"S","Effect":"Allow","Action":"a"}`), 0, "S", "Principal", "missing"},
		{"both principals", stmts(`{"Sid":"S","Effect":"Allow","Action":"a","Principal":"*","NotPrincipal":"*"}`), 0, "S", "Principal", "both present"},
		{"principal number (the message check-policy users see)", stmts(`{`+ok+`}`, `{"Sid":"Endgame","Effect":"Allow","Action":"a","Principal":12}`), 1, "Endgame", "Principal",
			`expected "*" or an object with AWS, Service, Federated or CanonicalUser, found a number`},
		{"principal list", stmts(`{"Effect":"Allow","Action":"a","Principal":["*"]}`), 0, "", "Principal", "found a list"},
		{"principal empty string", stmts(`{"Effect":"Allow","Action":"a","Principal":""}`), 0, "", "Principal", "found an empty string"},
		{"principal empty object", stmts(`{"Sid":"E","Effect":"Allow","Action":"a","Principal":{}}`), 0, "E", "Principal", "found an empty object"},
		{"unknown principal key", stmts(`{"Effect":"Allow","Action":"a","Principal":{"User":"x"}}`), 0, "", "Principal", `unknown principal type "User"`},
		{"principal key wrong case", stmts(`{"Effect":"Allow","Action":"a","Principal":{"aws":"x"}}`), 0, "", "Principal", `did you mean "AWS"?`},
		{"principal value number", stmts(`{"Effect":"Allow","Action":"a","Principal":{"AWS":111122223333}}`), 0, "", "Principal.AWS", "expected a string or a list of strings, found a number"},
		{"principal list element number", stmts(`{"Effect":"Allow","Action":"a","NotPrincipal":{"Service":["s3.amazonaws.com",5]}}`), 0, "", "NotPrincipal.Service[1]", "expected a string, found a number"},
		{"principal empty list", stmts(`{"Effect":"Allow","Action":"a","Principal":{"AWS":[]}}`), 0, "", "Principal.AWS", "empty list"},
		{"principal nested object", stmts(`{"Effect":"Allow","Action":"a","Principal":{"Federated":{"x":"y"}}}`), 0, "", "Principal.Federated", "found an object"},
		{"principal duplicate key", stmts(`{"Effect":"Allow","Action":"a","Principal":{"AWS":"1","AWS":"*"}}`), 0, "", "Principal.AWS", "appears more than once"},

		// Action / Resource.
		{"no action", stmts(`{"Sid":"S","Effect":"Allow","Principal":"*"}`), 0, "S", "Action", "missing"},
		{"Action and NotAction", stmts(`{"Sid":"S",` + ok + `,"NotAction":"b"}`), 0, "S", "Action", "Action and NotAction are both present"},
		{"Resource and NotResource", stmts(`{"Sid":"S",` + ok + `,"Resource":"*","NotResource":"b"}`), 0, "S", "Resource", "Resource and NotResource are both present"},
		{"Action number", stmts(`{"Effect":"Allow","Principal":"*","Action":1}`), 0, "", "Action", "found a number"},
		{"NotAction element null", stmts(`{"Effect":"Allow","Principal":"*","NotAction":["a",null]}`), 0, "", "NotAction[1]", "found null"},
		{"Resource object", stmts(`{` + ok + `,"Resource":{"a":"b"}}`), 0, "", "Resource", "found an object"},
		{"NotResource nested list", stmts(`{` + ok + `,"NotResource":[["a"]]}`), 0, "", "NotResource[0]", "found a list"},

		// Condition.
		{"Condition list", stmts(`{"Sid":"C",` + ok + `,"Condition":[]}`), 0, "C", "Condition", "expected an object of condition operators, found a list"},
		{"Condition operator string", stmts(`{` + ok + `,"Condition":{"StringEquals":"x"}}`), 0, "", "Condition.StringEquals", "expected an object of condition keys, found a string"},
		{"Condition value object", stmts(`{"Sid":"C",` + ok + `,"Condition":{"StringEquals":{"aws:SourceAccount":{"x":1}}}}`), 0, "C", "Condition.StringEquals.aws:SourceAccount", "found an object"},
		{"Condition value null", stmts(`{` + ok + `,"Condition":{"Null":{"k":null}}}`), 0, "", "Condition.Null.k", "found null"},
		{"Condition list element object", stmts(`{` + ok + `,"Condition":{"StringLike":{"k":["a",{}]}}}`), 0, "", "Condition.StringLike.k[1]", "found an object"},
		{"Condition nested list", stmts(`{` + ok + `,"Condition":{"StringLike":{"k":[["a"]]}}}`), 0, "", "Condition.StringLike.k[0]", "found a list"},
		{"Condition duplicate operator", stmts(`{` + ok + `,"Condition":{"StringEquals":{"a":"1"},"StringEquals":{"b":"2"}}}`), 0, "", "Condition.StringEquals", "condition operator appears more than once"},
		{"Condition duplicate key", stmts(`{` + ok + `,"Condition":{"StringEquals":{"a":"1","a":"2"}}}`), 0, "", "Condition.StringEquals.a", "condition key appears more than once"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := ParseString(tt.in)
			if err == nil {
				t.Fatalf("ParseString(%s) = %+v, want error", tt.in, doc)
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T) is not *Error", err, err)
			}
			if pe.Statement != tt.stmt || pe.Sid != tt.sid || pe.Field != tt.field {
				t.Errorf("error at statement %d, Sid %q, field %q; want %d, %q, %q (%v)", pe.Statement, pe.Sid, pe.Field, tt.stmt, tt.sid, tt.field, err)
			}
			if !strings.Contains(pe.Msg, tt.msgSubstr) {
				t.Errorf("message %q does not contain %q", pe.Msg, tt.msgSubstr)
			}
		})
	}
}

// encodeTimes wraps doc in n layers, alternating JSON-string and URL encoding.
func encodeTimes(doc string, n int) string {
	for i := 0; i < n; i++ {
		if i%2 == 0 {
			b, _ := json.Marshal(doc)
			doc = string(b)
		} else {
			doc = url.PathEscape(doc)
		}
	}
	return doc
}

func TestErrorMessage(t *testing.T) {
	tests := []struct {
		err  Error
		want string
	}{
		{Error{Statement: 1, Sid: "Endgame", Field: "Principal", Msg: "bad"}, `statement 2 (Sid "Endgame"): Principal: bad`},
		{Error{Statement: 0, Field: "Effect", Msg: "bad"}, `statement 1: Effect: bad`},
		{Error{Statement: -1, Field: "Statement", Msg: "missing"}, `policy document: Statement: missing`},
		{Error{Statement: -1, Msg: "empty policy document"}, `policy document: empty policy document`},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
	_, err := ParseString(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"a"},{"Sid":"Endgame","Effect":"Allow","Action":"a","Principal":12}]}`)
	const want = `statement 2 (Sid "Endgame"): Principal: expected "*" or an object with AWS, Service, Federated or CanonicalUser, found a number`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
}

// A large object switches duplicate detection to a map; both paths must agree.
func TestParseDuplicateInLargeObject(t *testing.T) {
	var keys []string
	for i := 0; i < 40; i++ {
		keys = append(keys, `"k`+strings.Repeat("x", i)+`":"v"`)
	}
	keys = append(keys, `"kxxx":"dup"`)
	in := `{"Statement":{"Effect":"Allow","Principal":"*","Action":"a","Condition":{"StringEquals":{` + strings.Join(keys, ",") + `}}}}`
	_, err := ParseString(in)
	var pe *Error
	if !errors.As(err, &pe) || pe.Field != "Condition.StringEquals.kxxx" {
		t.Errorf("error = %v, want duplicate kxxx", err)
	}
}

func BenchmarkParse(b *testing.B) {
	data := readPolicy(b, "lambda_add_permission.json")
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}
