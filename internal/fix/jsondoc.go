package fix

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// node is a JSON value that keeps object members in document order, so that a rewritten
// policy reads like the one its owner wrote, with only the removed parts missing.
type node struct {
	kind  byte // 'o' object, 'a' array, 's' string, 'n' number, 'b' bool, 'z' null
	text  string
	keys  []string
	vals  []*node
	elems []*node
}

func parseNode(data []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	n, err := decodeNode(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the JSON document")
	}
	return n, nil
}

func decodeNode(dec *json.Decoder) (*node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := &node{kind: 'o'}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := decodeNode(dec)
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, k)
				n.vals = append(n.vals, v)
			}
			_, err := dec.Token()
			return n, err
		case '[':
			n := &node{kind: 'a'}
			for dec.More() {
				v, err := decodeNode(dec)
				if err != nil {
					return nil, err
				}
				n.elems = append(n.elems, v)
			}
			_, err := dec.Token()
			return n, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	case string:
		return &node{kind: 's', text: t}, nil
	case json.Number:
		return &node{kind: 'n', text: t.String()}, nil
	case bool:
		if t {
			return &node{kind: 'b', text: "true"}, nil
		}
		return &node{kind: 'b', text: "false"}, nil
	case nil:
		return &node{kind: 'z'}, nil
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

func (n *node) get(key string) *node {
	for i, k := range n.keys {
		if k == key {
			return n.vals[i]
		}
	}
	return nil
}

func (n *node) del(key string) {
	for i, k := range n.keys {
		if k == key {
			n.keys = append(n.keys[:i], n.keys[i+1:]...)
			n.vals = append(n.vals[:i], n.vals[i+1:]...)
			return
		}
	}
}

// encode writes n compactly, without HTML escaping (AWS writes "&", "<", ">" as they are).
func (n *node) encode(buf *bytes.Buffer) {
	switch n.kind {
	case 'o':
		buf.WriteByte('{')
		for i, k := range n.keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeString(buf, k)
			buf.WriteByte(':')
			n.vals[i].encode(buf)
		}
		buf.WriteByte('}')
	case 'a':
		buf.WriteByte('[')
		for i, e := range n.elems {
			if i > 0 {
				buf.WriteByte(',')
			}
			e.encode(buf)
		}
		buf.WriteByte(']')
	case 's':
		writeString(buf, n.text)
	case 'n', 'b':
		buf.WriteString(n.text)
	default:
		buf.WriteString("null")
	}
}

func (n *node) String() string {
	var buf bytes.Buffer
	n.encode(&buf)
	return buf.String()
}

func writeString(buf *bytes.Buffer, s string) {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string cannot fail to encode
	buf.Truncate(buf.Len() - 1)
}

// parseDocument reads a policy document as a tree. A document delivered as a JSON string
// holding the JSON (as some SES answers are) is unwrapped once.
func parseDocument(doc string) (*node, error) {
	n, err := parseNode([]byte(doc))
	if err != nil {
		return nil, fmt.Errorf("policy is not valid JSON: %w", err)
	}
	if n.kind == 's' && strings.HasPrefix(strings.TrimSpace(n.text), "{") {
		if n, err = parseNode([]byte(n.text)); err != nil {
			return nil, fmt.Errorf("policy is a JSON string that does not hold valid JSON: %w", err)
		}
	}
	if n.kind != 'o' {
		return nil, errors.New("policy is not a JSON object")
	}
	return n, nil
}

// statements returns the document's statements and whether they were a list (a single
// statement may be written as an object).
func statements(doc *node) ([]*node, bool) {
	st := doc.get("Statement")
	switch {
	case st == nil:
		return nil, true
	case st.kind == 'a':
		return st.elems, true
	}
	return []*node{st}, false
}

// Normalize returns a document in a canonical form (keys sorted, no insignificant white
// space, a string-wrapped document unwrapped) so that two reads of the same policy compare
// equal however the service spelled them. "" stays "".
func Normalize(doc string) (string, error) {
	if strings.TrimSpace(doc) == "" {
		return "", nil
	}
	v, err := decodeAny(doc)
	if err != nil {
		return "", err
	}
	return marshal(v, "")
}

// Pretty returns a document indented with sorted keys: both sides of a diff get the same
// layout, so the diff shows only what changed.
func Pretty(doc string) string {
	if strings.TrimSpace(doc) == "" {
		return ""
	}
	v, err := decodeAny(doc)
	if err != nil {
		return doc
	}
	s, err := marshal(v, "  ")
	if err != nil {
		return doc
	}
	return s
}

func decodeAny(doc string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("policy is not valid JSON: %w", err)
	}
	if s, ok := v.(string); ok && strings.HasPrefix(strings.TrimSpace(s), "{") {
		return decodeAny(s)
	}
	return v, nil
}

func marshal(v any, indent string) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if indent != "" {
		enc.SetIndent("", indent)
	}
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimRight(buf.String(), "\n"), nil
}

// sameDocument reports whether two documents are the same policy up to formatting.
func sameDocument(a, b string) bool {
	na, errA := Normalize(a)
	nb, errB := Normalize(b)
	if errA != nil || errB != nil {
		return a == b
	}
	return na == nb
}
