package policy

import (
	"bytes"
	"fmt"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonKind is the JSON type of a value, used both for dispatch and for error messages.
type jsonKind uint8

const (
	kindNull jsonKind = iota
	kindBool
	kindNumber
	kindString
	kindArray
	kindObject
)

// describe names the kind as an error message would ("found a number").
func (k jsonKind) describe() string {
	switch k {
	case kindNull:
		return "null"
	case kindBool:
		return "a boolean"
	case kindNumber:
		return "a number"
	case kindString:
		return "a string"
	case kindArray:
		return "a list"
	case kindObject:
		return "an object"
	}
	return "an unknown value"
}

// jsonValue is a decoded JSON value that keeps object members in document order.
// encoding/json's maps lose both order (conditions must stay in document order) and
// duplicate keys (which this package reports rather than silently resolving).
type jsonValue struct {
	kind jsonKind
	// text is the string value, the number literal as written, or "true"/"false".
	text    string
	members []jsonMember // kindObject
	elems   []jsonValue  // kindArray
	// dup is the first key that occurs twice in this object ("" when none).
	dup    string
	hasDup bool
}

type jsonMember struct {
	key string
	val jsonValue
}

// get returns the member named key (exact, case-sensitive: policy element names are).
func (v *jsonValue) get(key string) (*jsonValue, bool) {
	for i := range v.members {
		if v.members[i].key == key {
			return &v.members[i].val, true
		}
	}
	return nil, false
}

// maxDepth bounds nesting. A policy needs at most 5 levels (document, Statement list,
// statement, Condition, operator, value list); the margin only keeps error messages
// meaningful for slightly wrong shapes while refusing pathological input early.
const maxDepth = 64

// syntaxError reports malformed JSON at a byte offset of the text being decoded.
type syntaxError struct {
	offset int64
	msg    string
}

// decodeJSON decodes exactly one JSON value from data, with nothing but whitespace after it.
//
// It is a small recursive-descent decoder rather than encoding/json because it must keep
// object member order and duplicates and report exact positions, and because the token
// API of encoding/json allocates for every token; FuzzDecodeJSON checks it against
// encoding/json.
func decodeJSON(data []byte) (jsonValue, *syntaxError) {
	d := decoder{data: data}
	d.skipSpace()
	v, err := d.value(0)
	if err != nil {
		return jsonValue{}, err
	}
	d.skipSpace()
	if d.pos < len(d.data) {
		return jsonValue{}, &syntaxError{offset: int64(d.pos), msg: "unexpected data after the end of the document"}
	}
	return v, nil
}

type decoder struct {
	data []byte
	pos  int
	buf  []byte // scratch for strings with escapes or non-ASCII bytes
	// Children of the containers being decoded; see object.
	members []jsonMember
	elems   []jsonValue
}

func (d *decoder) skipSpace() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\r', '\n':
			d.pos++
		default:
			return
		}
	}
}

func (d *decoder) fail(msg string) *syntaxError {
	return &syntaxError{offset: int64(d.pos), msg: msg}
}

// unexpected reports the byte at the current position, or the end of input.
func (d *decoder) unexpected(context string) *syntaxError {
	if d.pos >= len(d.data) {
		return d.fail("unexpected end of input")
	}
	return d.fail(fmt.Sprintf("invalid character %s %s", quoteByte(d.data[d.pos]), context))
}

func quoteByte(c byte) string {
	if c == '\'' {
		return `'\''`
	}
	if c == '"' {
		return `'"'`
	}
	if c < 0x20 || c >= 0x7f {
		return fmt.Sprintf("0x%02x", c)
	}
	return "'" + string(c) + "'"
}

// value decodes the value at d.pos, which the caller has moved past whitespace.
func (d *decoder) value(depth int) (jsonValue, *syntaxError) {
	if d.pos >= len(d.data) {
		return jsonValue{}, d.fail("unexpected end of input")
	}
	switch c := d.data[d.pos]; {
	case c == '{' || c == '[':
		if depth >= maxDepth {
			return jsonValue{}, d.fail(fmt.Sprintf("nesting deeper than %d levels", maxDepth))
		}
		if c == '{' {
			return d.object(depth)
		}
		return d.array(depth)
	case c == '"':
		s, err := d.str()
		return jsonValue{kind: kindString, text: s}, err
	case c == '-' || '0' <= c && c <= '9':
		return d.number()
	case c == 't':
		return jsonValue{kind: kindBool, text: "true"}, d.literal("true")
	case c == 'f':
		return jsonValue{kind: kindBool, text: "false"}, d.literal("false")
	case c == 'n':
		return jsonValue{kind: kindNull}, d.literal("null")
	}
	return jsonValue{}, d.unexpected("looking for beginning of value")
}

func (d *decoder) literal(word string) *syntaxError {
	for i := 0; i < len(word); i++ {
		if d.pos >= len(d.data) || d.data[d.pos] != word[i] {
			return d.unexpected(fmt.Sprintf("in literal %s (expecting %q)", word, word[i]))
		}
		d.pos++
	}
	return nil
}

func (d *decoder) number() (jsonValue, *syntaxError) {
	start := d.pos
	digits := func() int {
		n := 0
		for d.pos < len(d.data) && '0' <= d.data[d.pos] && d.data[d.pos] <= '9' {
			d.pos++
			n++
		}
		return n
	}
	if d.data[d.pos] == '-' {
		d.pos++
	}
	switch {
	case d.pos < len(d.data) && d.data[d.pos] == '0':
		d.pos++
	case digits() == 0:
		return jsonValue{}, d.unexpected("in numeric literal")
	}
	if d.pos < len(d.data) && d.data[d.pos] == '.' {
		d.pos++
		if digits() == 0 {
			return jsonValue{}, d.unexpected("after decimal point in numeric literal")
		}
	}
	if d.pos < len(d.data) && (d.data[d.pos] == 'e' || d.data[d.pos] == 'E') {
		d.pos++
		if d.pos < len(d.data) && (d.data[d.pos] == '+' || d.data[d.pos] == '-') {
			d.pos++
		}
		if digits() == 0 {
			return jsonValue{}, d.unexpected("in exponent of numeric literal")
		}
	}
	return jsonValue{kind: kindNumber, text: string(d.data[start:d.pos])}, nil
}

// str decodes the string starting at d.pos (a '"'). Like encoding/json it replaces
// invalid UTF-8 and unpaired UTF-16 surrogates with U+FFFD, so the model only ever holds
// valid text.
func (d *decoder) str() (string, *syntaxError) {
	d.pos++ // opening quote
	start := d.pos
	// Fast path: plain ASCII without escapes is the common case and needs one copy.
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		if c == '"' {
			s := intern(d.data[start:d.pos])
			d.pos++
			return s, nil
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			break
		}
		d.pos++
	}
	d.buf = append(d.buf[:0], d.data[start:d.pos]...)
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			d.pos++
			return string(d.buf), nil
		case c < 0x20:
			return "", d.unexpected("in string literal")
		case c == '\\':
			if err := d.escape(); err != nil {
				return "", err
			}
		case c < utf8.RuneSelf:
			d.buf = append(d.buf, c)
			d.pos++
		default:
			r, w := utf8.DecodeRune(d.data[d.pos:])
			d.buf = utf8.AppendRune(d.buf, r) // RuneError for an invalid byte
			d.pos += w
		}
	}
	return "", d.fail("unexpected end of input")
}

func (d *decoder) escape() *syntaxError {
	d.pos++ // backslash
	if d.pos >= len(d.data) {
		return d.fail("unexpected end of input")
	}
	c := d.data[d.pos]
	switch c {
	case '"', '\\', '/':
		d.buf = append(d.buf, c)
	case 'b':
		d.buf = append(d.buf, '\b')
	case 'f':
		d.buf = append(d.buf, '\f')
	case 'n':
		d.buf = append(d.buf, '\n')
	case 'r':
		d.buf = append(d.buf, '\r')
	case 't':
		d.buf = append(d.buf, '\t')
	case 'u':
		d.pos++
		r, err := d.hex4()
		if err != nil {
			return err
		}
		if utf16.IsSurrogate(r) {
			// A high surrogate pairs with an immediately following \uXXXX low surrogate;
			// otherwise it is unpaired and the next escape is read on its own.
			high := r
			r = unicode.ReplacementChar
			if d.pos+1 < len(d.data) && d.data[d.pos] == '\\' && d.data[d.pos+1] == 'u' {
				save := d.pos
				d.pos += 2
				low, err := d.hex4()
				if err != nil {
					return err
				}
				if dec := utf16.DecodeRune(high, low); dec != unicode.ReplacementChar {
					r = dec
				} else {
					d.pos = save
				}
			}
		}
		d.buf = utf8.AppendRune(d.buf, r)
		return nil
	default:
		return d.unexpected("in string escape code")
	}
	d.pos++
	return nil
}

// hex4 reads the four hex digits of a \u escape.
func (d *decoder) hex4() (rune, *syntaxError) {
	var r rune
	for i := 0; i < 4; i++ {
		if d.pos >= len(d.data) {
			return 0, d.fail("unexpected end of input")
		}
		c := d.data[d.pos]
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, d.unexpected("in \\u hexadecimal character escape")
		}
		r = r<<4 | rune(c)
		d.pos++
	}
	return r, nil
}

// intern returns the policy grammar's common words without allocating (the compiler
// does not allocate for a string conversion used only in a switch); they are most of the
// strings in a policy.
func intern(b []byte) string {
	switch string(b) {
	case "Version":
		return "Version"
	case "2012-10-17":
		return "2012-10-17"
	case "Id":
		return "Id"
	case "Statement":
		return "Statement"
	case "Sid":
		return "Sid"
	case "Effect":
		return "Effect"
	case "Allow":
		return "Allow"
	case "Deny":
		return "Deny"
	case "Principal":
		return "Principal"
	case "NotPrincipal":
		return "NotPrincipal"
	case "AWS":
		return "AWS"
	case "Service":
		return "Service"
	case "Federated":
		return "Federated"
	case "CanonicalUser":
		return "CanonicalUser"
	case "*":
		return "*"
	case "Action":
		return "Action"
	case "NotAction":
		return "NotAction"
	case "Resource":
		return "Resource"
	case "NotResource":
		return "NotResource"
	case "Condition":
		return "Condition"
	case "StringEquals":
		return "StringEquals"
	case "StringLike":
		return "StringLike"
	case "ArnLike":
		return "ArnLike"
	case "ArnEquals":
		return "ArnEquals"
	case "Bool":
		return "Bool"
	case "true":
		return "true"
	case "false":
		return "false"
	}
	return string(b)
}

// object and array collect children on shared stacks and copy them out once at the end,
// so each container costs one exactly-sized allocation instead of append's growth steps.
func (d *decoder) object(depth int) (jsonValue, *syntaxError) {
	v := jsonValue{kind: kindObject}
	var seen map[string]struct{} // only for large objects; small ones are scanned
	d.pos++                      // '{'
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return v, nil
	}
	base := len(d.members)
	defer func() { d.members = d.members[:base] }()
	for {
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return jsonValue{}, d.unexpected("looking for beginning of object key string")
		}
		key, err := d.str()
		if err != nil {
			return jsonValue{}, err
		}
		if !v.hasDup {
			mine := d.members[base:]
			dup := false
			if seen != nil {
				_, dup = seen[key]
				seen[key] = struct{}{}
			} else {
				for i := range mine {
					if mine[i].key == key {
						dup = true
						break
					}
				}
				if len(mine) >= 16 {
					seen = make(map[string]struct{}, 2*len(mine))
					for i := range mine {
						seen[mine[i].key] = struct{}{}
					}
					seen[key] = struct{}{}
				}
			}
			if dup {
				v.hasDup, v.dup = true, key
			}
		}
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return jsonValue{}, d.unexpected("after object key")
		}
		d.pos++
		d.skipSpace()
		val, err := d.value(depth + 1)
		if err != nil {
			return jsonValue{}, err
		}
		d.members = append(d.members, jsonMember{key: key, val: val})
		d.skipSpace()
		if d.pos < len(d.data) {
			switch d.data[d.pos] {
			case ',':
				d.pos++
				d.skipSpace()
				continue
			case '}':
				d.pos++
				v.members = append([]jsonMember(nil), d.members[base:]...)
				return v, nil
			}
		}
		return jsonValue{}, d.unexpected("after object key:value pair")
	}
}

func (d *decoder) array(depth int) (jsonValue, *syntaxError) {
	v := jsonValue{kind: kindArray, elems: []jsonValue{}}
	d.pos++ // '['
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		return v, nil
	}
	base := len(d.elems)
	defer func() { d.elems = d.elems[:base] }()
	for {
		val, err := d.value(depth + 1)
		if err != nil {
			return jsonValue{}, err
		}
		d.elems = append(d.elems, val)
		d.skipSpace()
		if d.pos < len(d.data) {
			switch d.data[d.pos] {
			case ',':
				d.pos++
				d.skipSpace()
				continue
			case ']':
				d.pos++
				v.elems = append([]jsonValue(nil), d.elems[base:]...)
				return v, nil
			}
		}
		return jsonValue{}, d.unexpected("after array element")
	}
}

// position turns a byte offset into a 1-based line and column (column counted in bytes).
func position(data []byte, off int64) (line, col int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line = 1 + bytes.Count(before, []byte{'\n'})
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}
