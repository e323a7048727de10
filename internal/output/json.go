package output

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/trustaudit/trustaudit/internal/finding"
)

func init() { Register("json", JSON) }

// JSON writes the scan document itself, indented: the canonical form that --from-scan, diff
// and every other renderer read back. Options do not apply: a machine-readable document
// always carries every finding, suppressed or not, with its flag.
func JSON(w io.Writer, s *finding.Scan, _ Options) error {
	return JSONStream(w, s, Lists{
		Findings: each(s.Findings),
		Gaps:     each(s.Gaps),
		Skipped:  each(s.Skipped),
	})
}

// Lists are a scan document's long lists, given one item at a time in the document's
// order, so that a document too large for memory (an organization's) can be written from
// disk.
type Lists struct {
	Findings func(func(*finding.Finding) error) error
	Gaps     func(func(*finding.Gap) error) error
	Skipped  func(func(*finding.Skip) error) error
}

func each[T any](list []T) func(func(*T) error) error {
	return func(fn func(*T) error) error {
		for i := range list {
			if err := fn(&list[i]); err != nil {
				return err
			}
		}
		return nil
	}
}

// JSONStream writes the document head with its findings, gaps and skips taken from l (the
// head's own lists are ignored), byte for byte as JSON writes the whole document. Fields are
// found by reflection so that a field added to finding.Scan cannot be forgotten here.
func JSONStream(w io.Writer, head *finding.Scan, l Lists) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	jw := &jsonWriter{w: bw}
	doc := *head
	// Empty lists are written as [] rather than null so that consumers (jq, other languages)
	// can iterate without a null check.
	doc.Boundary.TrustedAccounts = nonNil(doc.Boundary.TrustedAccounts)
	doc.Boundary.TrustedOrgs = nonNil(doc.Boundary.TrustedOrgs)
	if doc.Resources == nil {
		doc.Resources = map[string]int{}
	}
	jw.raw("{")
	v := reflect.ValueOf(doc)
	t := v.Type()
	first := true
	for i := 0; i < t.NumField(); i++ {
		name, opts, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		omitEmpty := strings.Contains(opts, "omitempty")
		key := func() {
			if !first {
				jw.raw(",")
			}
			first = false
			jw.raw("\n  ")
			jw.value(name, "")
			jw.raw(": ")
		}
		switch name {
		case "findings":
			streamList(jw, l.Findings, omitEmpty, key)
		case "gaps":
			streamList(jw, l.Gaps, omitEmpty, key)
		case "skipped":
			streamList(jw, l.Skipped, omitEmpty, key)
		default:
			f := v.Field(i)
			if f.Kind() == reflect.Slice && f.IsNil() && !omitEmpty {
				f = reflect.MakeSlice(f.Type(), 0, 0)
			}
			if omitEmpty && isEmpty(f) {
				continue
			}
			key()
			jw.value(f.Interface(), "  ")
		}
		if jw.err != nil {
			return fmt.Errorf("write json: %w", jw.err)
		}
	}
	jw.raw("\n}\n")
	if jw.err == nil {
		jw.err = bw.Flush()
	}
	if jw.err != nil {
		return fmt.Errorf("write json: %w", jw.err)
	}
	return nil
}

// streamList writes one list field; an omitempty list's key is written only once its first
// item has been read.
func streamList[T any](jw *jsonWriter, items func(func(*T) error) error, omitEmpty bool, key func()) {
	n := 0
	if !omitEmpty {
		key()
		jw.raw("[")
	}
	var err error
	if items != nil {
		err = items(func(it *T) error {
			switch {
			case n == 0 && omitEmpty:
				key()
				jw.raw("[\n    ")
			case n == 0:
				jw.raw("\n    ")
			default:
				jw.raw(",\n    ")
			}
			n++
			jw.value(it, "    ")
			return jw.err
		})
	}
	if jw.err == nil && err != nil {
		jw.err = err
	}
	switch {
	case n > 0:
		jw.raw("\n  ]")
	case !omitEmpty:
		jw.raw("]")
	}
}

// jsonWriter keeps the first error so that the writing code reads straight through.
type jsonWriter struct {
	w   *bufio.Writer
	buf bytes.Buffer
	err error
}

func (j *jsonWriter) raw(s string) {
	if j.err == nil {
		_, j.err = j.w.WriteString(s)
	}
}

// value writes v indented as a member at prefix. Policies and ARNs are evidence; keep them
// readable rather than \u003c-escaped.
func (j *jsonWriter) value(v any, prefix string) {
	if j.err != nil {
		return
	}
	j.buf.Reset()
	enc := json.NewEncoder(&j.buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent(prefix, "  ")
	if j.err = enc.Encode(v); j.err != nil {
		return
	}
	_, j.err = j.w.Write(bytes.TrimSuffix(j.buf.Bytes(), []byte{'\n'}))
}

func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Slice, reflect.Map, reflect.String, reflect.Array:
		return v.Len() == 0
	case reflect.Pointer, reflect.Interface:
		return v.IsNil()
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int64, reflect.Int32:
		return v.Int() == 0
	case reflect.Float64:
		return v.Float() == 0
	}
	return false
}
