package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
func decodeJSON(data []byte) (jsonValue, *syntaxError) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	b := treeBuilder{dec: dec}
	v, err := b.value(0)
	if err != nil {
		return jsonValue{}, b.syntax(err, data)
	}
	// Anything after the document (a second object, stray text) makes the input ambiguous.
	off := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		return jsonValue{}, &syntaxError{offset: skipSpace(data, off), msg: "unexpected data after the end of the document"}
	}
	return v, nil
}

func skipSpace(data []byte, off int64) int64 {
	for off < int64(len(data)) {
		switch data[off] {
		case ' ', '\t', '\r', '\n':
			off++
		default:
			return off
		}
	}
	return off
}

type treeBuilder struct {
	dec *json.Decoder
}

// errTooDeep and errDelim are internal; syntax() turns every decoding failure into a
// positioned syntaxError.
var errTooDeep = errors.New("nesting too deep")

type delimError struct{ d json.Delim }

func (e delimError) Error() string { return fmt.Sprintf("unexpected %q", rune(e.d)) }

func (b *treeBuilder) value(depth int) (jsonValue, error) {
	tok, err := b.dec.Token()
	if err != nil {
		return jsonValue{}, err
	}
	return b.fromToken(tok, depth)
}

func (b *treeBuilder) fromToken(tok json.Token, depth int) (jsonValue, error) {
	switch t := tok.(type) {
	case nil:
		return jsonValue{kind: kindNull}, nil
	case bool:
		if t {
			return jsonValue{kind: kindBool, text: "true"}, nil
		}
		return jsonValue{kind: kindBool, text: "false"}, nil
	case json.Number:
		return jsonValue{kind: kindNumber, text: string(t)}, nil
	case string:
		return jsonValue{kind: kindString, text: t}, nil
	case json.Delim:
		if depth >= maxDepth {
			return jsonValue{}, errTooDeep
		}
		switch t {
		case '{':
			return b.object(depth)
		case '[':
			return b.array(depth)
		}
		return jsonValue{}, delimError{t}
	}
	return jsonValue{}, fmt.Errorf("unexpected token %v", tok)
}

func (b *treeBuilder) object(depth int) (jsonValue, error) {
	v := jsonValue{kind: kindObject}
	var seen map[string]struct{} // only for large objects; small ones are scanned
	for {
		tok, err := b.dec.Token()
		if err != nil {
			return jsonValue{}, err
		}
		if d, ok := tok.(json.Delim); ok && d == '}' {
			return v, nil
		}
		key, ok := tok.(string)
		if !ok {
			// json.Decoder already rejects non-string keys; keep the check for safety.
			return jsonValue{}, fmt.Errorf("object key is not a string")
		}
		if !v.hasDup {
			dup := false
			if seen != nil {
				_, dup = seen[key]
				seen[key] = struct{}{}
			} else {
				for i := range v.members {
					if v.members[i].key == key {
						dup = true
						break
					}
				}
				if len(v.members) >= 16 {
					seen = make(map[string]struct{}, 2*len(v.members))
					for i := range v.members {
						seen[v.members[i].key] = struct{}{}
					}
					seen[key] = struct{}{}
				}
			}
			if dup {
				v.hasDup, v.dup = true, key
			}
		}
		val, err := b.value(depth + 1)
		if err != nil {
			return jsonValue{}, err
		}
		v.members = append(v.members, jsonMember{key: key, val: val})
	}
}

func (b *treeBuilder) array(depth int) (jsonValue, error) {
	v := jsonValue{kind: kindArray}
	for {
		tok, err := b.dec.Token()
		if err != nil {
			return jsonValue{}, err
		}
		if d, ok := tok.(json.Delim); ok && d == ']' {
			if v.elems == nil {
				v.elems = []jsonValue{}
			}
			return v, nil
		}
		val, err := b.fromToken(tok, depth+1)
		if err != nil {
			return jsonValue{}, err
		}
		v.elems = append(v.elems, val)
	}
}

// syntax converts a decoder error into a positioned message. The streaming decoder's
// offsets are relative to its buffer, so the position comes from a whole-input check,
// which runs only on this failure path.
func (b *treeBuilder) syntax(err error, data []byte) *syntaxError {
	if errors.Is(err, errTooDeep) {
		return &syntaxError{offset: b.dec.InputOffset(), msg: fmt.Sprintf("nesting deeper than %d levels", maxDepth)}
	}
	var raw json.RawMessage
	var se *json.SyntaxError
	if errors.As(json.Unmarshal(data, &raw), &se) {
		off := se.Offset - 1 // Offset counts the offending byte
		if off < 0 || off >= int64(len(data)) || se.Error() == "unexpected end of JSON input" {
			return &syntaxError{offset: int64(len(data)), msg: "unexpected end of input"}
		}
		return &syntaxError{offset: off, msg: se.Error()}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &syntaxError{offset: int64(len(data)), msg: "unexpected end of input"}
	}
	return &syntaxError{offset: b.dec.InputOffset(), msg: err.Error()}
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
