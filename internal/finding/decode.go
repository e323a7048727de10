package finding

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Sinks receive a scan document's long lists one item at a time as Decode reads them; a
// nil sink drops its list after checking it. The item is valid only during the call.
type Sinks struct {
	Finding func(*Finding) error
	Gap     func(*Gap) error
	Skip    func(*Skip) error
}

const notAScan = "expected a scan document (trustaudit scan --format json)"

// Decode reads a scan document from r with its findings, gaps and skips handed to sinks
// instead of kept, so that a document larger than memory (an organization's) can be read.
// It refuses a newer schema than this program writes and findings without the id every
// comparison relies on. The returned document has no findings, gaps or skips.
func Decode(r io.Reader, sinks Sinks) (*Scan, error) {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 64<<10))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		if err == nil {
			err = errors.New("not a JSON object")
		}
		return nil, fmt.Errorf("%s: %w", notAScan, err)
	}
	head := map[string]json.RawMessage{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", notAScan, err)
		}
		key, _ := t.(string)
		switch key {
		case "findings":
			keep := sink(sinks.Finding)
			err = eachItem(dec, key, func(i int, f *Finding) error {
				if f.ID == "" {
					return fmt.Errorf("findings[%d] (%s %s): missing id", i, f.Rule, f.ResourceARN)
				}
				return keep(f)
			})
		case "gaps":
			err = eachItem(dec, key, func(_ int, g *Gap) error { return sink(sinks.Gap)(g) })
		case "skipped":
			err = eachItem(dec, key, func(_ int, k *Skip) error { return sink(sinks.Skip)(k) })
		default:
			var raw json.RawMessage
			if err = dec.Decode(&raw); err != nil {
				err = fmt.Errorf("%s: %s: %w", notAScan, key, err)
			}
			head[key] = raw
		}
		if err != nil {
			return nil, err
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("%s: %w", notAScan, err)
	}
	data, err := json.Marshal(head)
	if err != nil {
		return nil, err
	}
	var s Scan
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", notAScan, err)
	}
	if s.SchemaVersion == 0 {
		return nil, errors.New(notAScan + ": no schema_version")
	}
	if s.SchemaVersion > SchemaVersion {
		return nil, fmt.Errorf("schema_version %d is newer than this trustaudit reads (%d): upgrade trustaudit", s.SchemaVersion, SchemaVersion)
	}
	return &s, nil
}

// sink is fn, or a sink that drops the item when fn is nil.
func sink[T any](fn func(*T) error) func(*T) error {
	if fn == nil {
		return func(*T) error { return nil }
	}
	return fn
}

// eachItem reads the list value of key (null is an empty list) one item at a time.
func eachItem[T any](dec *json.Decoder, key string, fn func(int, *T) error) error {
	t, err := dec.Token()
	if err != nil {
		return fmt.Errorf("%s: %s: %w", notAScan, key, err)
	}
	if t == nil {
		return nil
	}
	if t != json.Delim('[') {
		return fmt.Errorf("%s: %s: expected a list, found %v", notAScan, key, t)
	}
	for i := 0; dec.More(); i++ {
		var v T
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("%s: %s[%d]: %w", notAScan, key, i, err)
		}
		if err := fn(i, &v); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("%s: %s: %w", notAScan, key, err)
	}
	return nil
}
