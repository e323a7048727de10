package trail

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Decode streams the records of one CloudTrail log file ({"Records":[...]}) to fn, one at a
// time: only the record being decoded is held in memory, so a file of any size costs the
// same. fn must not keep the *Record past its return. Other top-level keys (digest and
// insight files have no "Records") are skipped. A gzip stream is recognised by its magic
// bytes, whatever the file is called.
func Decode(r io.Reader, fn func(*Record) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read: %w", err)
	}
	var src io.Reader = br
	if bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("gzip: %w", err)
		}
		defer zr.Close()
		src = zr
	}
	return decodeRecords(json.NewDecoder(src), fn)
}

func decodeRecords(dec *json.Decoder, fn func(*Record) error) error {
	if err := expectDelim(dec, '{', "a JSON object {\"Records\": [...]}"); err != nil {
		return err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("top-level key: %w", err)
		}
		key, _ := tok.(string)
		if key != "Records" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return fmt.Errorf("value of %q: %w", key, err)
			}
			continue
		}
		if err := expectDelim(dec, '[', `"Records" to be an array`); err != nil {
			return err
		}
		for i := 0; dec.More(); i++ {
			var rec Record
			if err := dec.Decode(&rec); err != nil {
				return fmt.Errorf("at Records[%d]: %w", i, err)
			}
			if err := fn(&rec); err != nil {
				return err
			}
		}
		if err := expectDelim(dec, ']', `the end of "Records"`); err != nil {
			return err
		}
	}
	return expectDelim(dec, '}', "the end of the top-level object")
}

func expectDelim(dec *json.Decoder, want json.Delim, what string) error {
	tok, err := dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("unexpected end of input: expected %s", what)
		}
		return fmt.Errorf("expected %s: %w", what, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("expected %s, found %v", what, tok)
	}
	return nil
}
