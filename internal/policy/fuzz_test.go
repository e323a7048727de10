package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// FuzzParse checks that Parse never panics, that every failure is a positioned *Error,
// and that a parsed document keeps the model's invariants, survives a round trip through
// JSON and reads the same in every encoding an API may return.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"ses_endgame_string.json", "lambda_add_permission.json", "iam_trust_urlencoded.txt", "confused_deputy_single_statement.json"} {
		f.Add(readPolicy(f, name))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := Parse(data)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is %T, not *Error", err, err)
			}
			if pe.Statement < -1 || pe.Msg == "" {
				t.Fatalf("malformed error %+v", pe)
			}
			return
		}
		checkInvariants(t, doc)

		again, err := Parse(marshalDocument(doc))
		if err != nil {
			t.Fatalf("re-parsing the re-encoded document: %v", err)
		}
		if diff := cmp.Diff(doc, again); diff != "" {
			t.Fatalf("round trip changed the document (-first +second):\n%s", diff)
		}

		// A plain JSON object reads the same once string- or URL-encoded.
		if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '{' {
			quoted, _ := json.Marshal(string(data))
			for form, in := range map[string][]byte{"JSON string": quoted, "URL-encoded": []byte(url.PathEscape(string(data)))} {
				other, err := Parse(in)
				if err != nil {
					t.Fatalf("%s form: %v", form, err)
				}
				if diff := cmp.Diff(doc, other); diff != "" {
					t.Fatalf("%s form differs (-plain +encoded):\n%s", form, diff)
				}
			}
		}
	})
}

func checkInvariants(t *testing.T, doc *Document) {
	t.Helper()
	for i, st := range doc.Statements {
		if st.Index != i {
			t.Fatalf("statement %d has Index %d", i, st.Index)
		}
		if st.Effect != Allow && st.Effect != Deny {
			t.Fatalf("statement %d: Effect %q", i, st.Effect)
		}
		if (st.Principal == nil) == (st.NotPrincipal == nil) {
			t.Fatalf("statement %d: Principal %v, NotPrincipal %v: want exactly one", i, st.Principal, st.NotPrincipal)
		}
		p := st.Principal
		if p == nil {
			p = st.NotPrincipal
		}
		if !p.Wildcard && len(p.AWS)+len(p.Service)+len(p.Federated)+len(p.CanonicalUser) == 0 {
			t.Fatalf("statement %d: principal names nobody: %+v", i, p)
		}
		if p.Wildcard && len(p.AWS)+len(p.Service)+len(p.Federated)+len(p.CanonicalUser) != 0 {
			t.Fatalf("statement %d: wildcard principal with values: %+v", i, p)
		}
		if st.HasAction == st.HasNotAction {
			t.Fatalf("statement %d: HasAction %v, HasNotAction %v", i, st.HasAction, st.HasNotAction)
		}
		if st.HasResource && st.HasNotResource {
			t.Fatalf("statement %d: both Resource and NotResource", i)
		}
		for _, c := range []struct {
			has  bool
			vals []string
		}{{st.HasAction, st.Action}, {st.HasNotAction, st.NotAction}, {st.HasResource, st.Resource}, {st.HasNotResource, st.NotResource}} {
			if c.has != (c.vals != nil) {
				t.Fatalf("statement %d: Has flag %v but values %#v", i, c.has, c.vals)
			}
		}
		for _, c := range st.Conditions {
			if c.KeyLower != strings.ToLower(c.Key) {
				t.Fatalf("statement %d: KeyLower %q for %q", i, c.KeyLower, c.Key)
			}
			if c.Known {
				if canonicalOperator(c.Base) != c.Base {
					t.Fatalf("statement %d: known operator %q has non-canonical Base %q", i, c.Operator, c.Base)
				}
			} else if c.Base != c.Operator || c.Set != SetNone || c.IfExists {
				t.Fatalf("statement %d: unknown operator %q parsed as %+v", i, c.Operator, c)
			}
		}
	}
}

// marshalDocument writes doc back as policy JSON, choosing the list form for every
// string-or-list field so the result exercises a different shape from most inputs.
func marshalDocument(doc *Document) []byte {
	top := []orderedMember{{"Statement", nil}}
	if doc.Version != "" {
		top = append(top, orderedMember{"Version", doc.Version})
	}
	if doc.ID != "" {
		top = append(top, orderedMember{"Id", doc.ID})
	}
	stmts := make([]any, len(doc.Statements))
	for i, st := range doc.Statements {
		o := ordered{{"Effect", string(st.Effect)}}
		if st.Sid != "" {
			o = append(o, orderedMember{"Sid", st.Sid})
		}
		for _, p := range []struct {
			name string
			p    *Principal
		}{{"Principal", st.Principal}, {"NotPrincipal", st.NotPrincipal}} {
			switch {
			case p.p == nil:
			case p.p.Wildcard:
				o = append(o, orderedMember{p.name, "*"})
			default:
				var po ordered
				for _, kv := range []struct {
					k string
					v []string
				}{{"AWS", p.p.AWS}, {"Service", p.p.Service}, {"Federated", p.p.Federated}, {"CanonicalUser", p.p.CanonicalUser}} {
					if kv.v != nil {
						po = append(po, orderedMember{kv.k, kv.v})
					}
				}
				o = append(o, orderedMember{p.name, po})
			}
		}
		for _, kv := range []struct {
			k   string
			has bool
			v   []string
		}{{"Action", st.HasAction, st.Action}, {"NotAction", st.HasNotAction, st.NotAction}, {"Resource", st.HasResource, st.Resource}, {"NotResource", st.HasNotResource, st.NotResource}} {
			if kv.has {
				o = append(o, orderedMember{kv.k, kv.v})
			}
		}
		if len(st.Conditions) > 0 {
			// Conditions of one operator are consecutive in document order.
			var co ordered
			for _, c := range st.Conditions {
				if len(co) == 0 || co[len(co)-1].key != c.Operator {
					co = append(co, orderedMember{c.Operator, ordered{}})
				}
				last := &co[len(co)-1]
				last.val = append(last.val.(ordered), orderedMember{c.Key, c.Values})
			}
			o = append(o, orderedMember{"Condition", co})
		}
		stmts[i] = o
	}
	top[0].val = stmts
	b, err := json.Marshal(ordered(top))
	if err != nil {
		panic(err)
	}
	return b
}

type orderedMember struct {
	key string
	val any
}

// ordered is a JSON object that keeps member order, as conditions need.
type ordered []orderedMember

func (o ordered) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(m.key)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(m.val)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

var arnOracle = regexp.MustCompile(`(?s)^arn:([^:]+):([^:]+):([^:]*):([^:]*):(.+)$`)

// FuzzParseARN checks ParseARN against a regular expression of the ARN shape and that
// String gives back the input.
func FuzzParseARN(f *testing.F) {
	for _, s := range []string{"arn:aws:iam::111122223333:root", "arn:aws:s3:::b/k", "arn:aws-cn:lambda:cn-north-1:1:function:f:1", "arn:aws:iam::1", "arn:::::", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseARN(s)
		m := arnOracle.FindStringSubmatch(s)
		if (err == nil) != (m != nil) {
			t.Fatalf("ParseARN(%q) error %v, oracle match %v", s, err, m != nil)
		}
		if err != nil {
			if !strings.Contains(err.Error(), "invalid ARN") {
				t.Fatalf("error %q does not say what failed", err)
			}
			return
		}
		if want := (ARN{m[1], m[2], m[3], m[4], m[5]}); a != want {
			t.Fatalf("ParseARN(%q) = %+v, want %+v", s, a, want)
		}
		if a.String() != s {
			t.Fatalf("String() = %q, want %q", a.String(), s)
		}
	})
}

// globRegexp translates an IAM wildcard pattern into an anchored regular expression:
// star and question mark become any run of characters and one character (inside ARN
// parts, any run of non-colons), everything else is literal.
func globRegexp(pattern, star, one string) string {
	var b strings.Builder
	for _, r := range pattern {
		switch r {
		case '*':
			b.WriteString(star)
		case '?':
			b.WriteString(one)
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	return b.String()
}

// FuzzMatch checks Match, MatchFold and MatchARN against regular expressions built from
// the pattern.
func FuzzMatch(f *testing.F) {
	seeds := [][2]string{
		{"s3:Get*", "s3:GetObject"},
		{"S3:GET*", "s3:getobject"},
		{"arn:aws:sns:*:111122223333:*", "arn:aws:sns:us-east-1:111122223333:topic"},
		{"arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a:b/c"},
		{"a*?bX", "a€bX"},
		{"*a*a*b", "aaaaaaaaaaaaaaaab"},
		{"?", "é"},
		{"k", "\u212a"},
		{"*", ""},
		{`.+\*[x]`, `.+\zz[x]`},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, value string) {
		got, gotFold, gotARN := Match(pattern, value), MatchFold(pattern, value), MatchARN(pattern, value)
		// regexp reads invalid UTF-8 differently (as U+FFFD); compare only valid text,
		// and keep the compiled expressions small.
		if !utf8.ValidString(pattern) || !utf8.ValidString(value) || len(pattern) > 256 {
			return
		}
		glob := globRegexp(pattern, `.*`, `.`)
		if want := regexp.MustCompile(`(?s)^` + glob + `$`).MatchString(value); got != want {
			t.Fatalf("Match(%q, %q) = %v, regexp says %v", pattern, value, got, want)
		}
		if want := regexp.MustCompile(`(?si)^` + glob + `$`).MatchString(value); gotFold != want {
			t.Fatalf("MatchFold(%q, %q) = %v, regexp says %v", pattern, value, gotFold, want)
		}
		wantARN := pattern == "*"
		if pp, vp := strings.SplitN(pattern, ":", 6), strings.SplitN(value, ":", 6); !wantARN && len(pp) == 6 && len(vp) == 6 {
			var re strings.Builder
			re.WriteString(`(?s)^`)
			for i, part := range pp {
				if i < 5 {
					re.WriteString(globRegexp(part, `[^:]*`, `[^:]`) + `:`)
				} else {
					re.WriteString(globRegexp(part, `.*`, `.`))
				}
			}
			re.WriteString(`$`)
			wantARN = regexp.MustCompile(re.String()).MatchString(value)
		}
		if gotARN != wantARN {
			t.Fatalf("MatchARN(%q, %q) = %v, oracle says %v", pattern, value, gotARN, wantARN)
		}
	})
}

// FuzzDecodeJSON checks the package's JSON decoder against encoding/json: the same
// inputs are valid and they decode to the same values (with encoding/json's last-wins
// reading of duplicate keys; Parse rejects those separately).
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{"a":[1,-0.5e+10,true,false,null,"x"],"b":{}}`, `[]`, `""`, ` 0 `, `01`, `1.`, `-`, `1e`, `{"a":1,}`, `[1,]`,
		`"\ud83d\ude00"`, `"\ud83d"`, `"\ud83dx"`, `"\ud83d\u0041"`, `"\ude00\ud83d"`, `"\ud83d\ud83d\ude00"`, `"\u00"`,
		"\"\xff\xfe\"", "\"\xed\xa0\x80\"", `"\/\b\f\n\r\t\\\""`, "\"\x01\"", `{"a" 1}`, `{1:2}`, `tru`, `nul`, `{"a":1}x`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, serr := decodeJSON(data)
		valid := json.Valid(data)
		if serr != nil {
			if serr.offset < 0 || serr.offset > int64(len(data)) || serr.msg == "" {
				t.Fatalf("bad error %+v for %d bytes", serr, len(data))
			}
			if valid && !strings.HasPrefix(serr.msg, "nesting deeper") {
				t.Fatalf("decodeJSON rejects valid JSON %q: %s at %d", data, serr.msg, serr.offset)
			}
			return
		}
		if !valid {
			t.Fatalf("decodeJSON accepts invalid JSON %q", data)
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var want any
		if err := dec.Decode(&want); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, toAny(got)); diff != "" {
			t.Fatalf("decodeJSON(%q) differs from encoding/json (-want +got):\n%s", data, diff)
		}
	})
}

func toAny(v jsonValue) any {
	switch v.kind {
	case kindBool:
		return v.text == "true"
	case kindNumber:
		return json.Number(v.text)
	case kindString:
		return v.text
	case kindArray:
		out := make([]any, len(v.elems))
		for i, e := range v.elems {
			out[i] = toAny(e)
		}
		return out
	case kindObject:
		out := make(map[string]any, len(v.members))
		for _, m := range v.members {
			out[m.key] = toAny(m.val)
		}
		return out
	}
	return nil
}
