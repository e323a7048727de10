// Package output renders the scan document for people and machines. Every format reads the
// same finding.Scan, so a saved scan can be rendered again in any format without touching
// AWS; a new format is one file that registers its Renderer.
package output

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/trustaudit/trustaudit/internal/finding"
)

// Options tune how a document is rendered; they never change what the document says.
type Options struct {
	// ShowSuppressed lists suppressed findings too (they are always counted).
	ShowSuppressed bool
	// Color allows ANSI colour codes: only when writing to a terminal that accepts them.
	Color bool
	// Stats shows the call accounting for people. The document always carries it when the
	// scan measured it; a table shows it only on request, as it matters to few readers.
	Stats bool
}

// Renderer writes a scan document in one format.
type Renderer func(w io.Writer, s *finding.Scan, opts Options) error

var renderers = map[string]Renderer{}

// Register adds a format. It is called from the init function of the format's file, so adding
// a format touches nothing else.
func Register(name string, r Renderer) {
	if _, dup := renderers[name]; dup {
		panic("output: format " + name + " registered twice")
	}
	renderers[name] = r
}

// Lookup returns the renderer for a format name.
func Lookup(name string) (Renderer, error) {
	if r, ok := renderers[name]; ok {
		return r, nil
	}
	return nil, fmt.Errorf("unknown format %q: expected one of %s", name, strings.Join(Formats(), ", "))
}

// Formats lists the registered format names, sorted.
func Formats() []string {
	names := make([]string, 0, len(renderers))
	for n := range renderers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// sortedKeys returns a map's keys in order so that every rendering is deterministic.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
