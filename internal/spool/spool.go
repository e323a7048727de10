// Package spool keeps long lists on disk instead of in memory: an organization scan writes
// each account's findings as a sorted run when the account finishes, and reads the runs
// back merged, in the document's order, only while it writes the report. Memory then grows
// with the accounts in flight, not with the size of the organization.
package spool

import (
	"bufio"
	"container/heap"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
)

// fanIn bounds the runs merged at once (one open file and one read buffer each); more runs
// are merged in passes through intermediate runs.
var fanIn = 256 // a variable so that tests can force several passes

// Spool is a directory of sorted runs of T, one JSON value per line. Runs may be added
// from many goroutines; reading happens after the last Add.
type Spool[T any] struct {
	dir string
	cmp func(a, b *T) int

	mu    sync.Mutex
	n     int
	runs  []string
	count int
}

// New makes a spool in dir (which must exist) whose runs are ordered by cmp.
func New[T any](dir string, cmp func(a, b *T) int) *Spool[T] {
	return &Spool[T]{dir: dir, cmp: cmp}
}

func (s *Spool[T]) newPath() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	return filepath.Join(s.dir, "run-"+strconv.Itoa(s.n)+".jsonl")
}

// Add sorts items and writes them as a new run. The caller may drop items afterwards.
func (s *Spool[T]) Add(items []T) error {
	if len(items) == 0 {
		return nil
	}
	slices.SortStableFunc(items, func(a, b T) int { return s.cmp(&a, &b) })
	path := s.newPath()
	w, err := createRun[T](path)
	if err != nil {
		return err
	}
	for i := range items {
		if err := w.put(&items[i]); err != nil {
			w.f.Close()
			return err
		}
	}
	if err := w.close(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.runs = append(s.runs, path)
	s.count += len(items)
	return nil
}

// Len is the number of items added.
func (s *Spool[T]) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

// Each calls fn with every item of every run, in cmp order (items that compare equal come
// in the order their runs were added). The item is valid only during the call. Each may be
// called more than once; an error from fn stops it and is returned.
func (s *Spool[T]) Each(fn func(*T) error) error {
	s.mu.Lock()
	paths := slices.Clone(s.runs)
	s.mu.Unlock()
	// Merge in passes until one pass can open every run at once; the intermediate runs
	// replace the ones they hold, so a later Each starts from fewer.
	for len(paths) > fanIn {
		var next []string
		for i := 0; i < len(paths); i += fanIn {
			group := paths[i:min(i+fanIn, len(paths))]
			out := s.newPath()
			w, err := createRun[T](out)
			if err != nil {
				return err
			}
			if err := merge(group, s.cmp, w.put); err != nil {
				w.f.Close()
				return err
			}
			if err := w.close(); err != nil {
				return err
			}
			for _, p := range group {
				os.Remove(p)
			}
			next = append(next, out)
		}
		paths = next
		s.mu.Lock()
		s.runs = slices.Clone(paths)
		s.mu.Unlock()
	}
	return merge(paths, s.cmp, fn)
}

type runWriter[T any] struct {
	f   *os.File
	w   *bufio.Writer
	enc *json.Encoder
}

func createRun[T any](path string) (*runWriter[T], error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	w := bufio.NewWriterSize(f, 64<<10)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &runWriter[T]{f: f, w: w, enc: enc}, nil
}

func (r *runWriter[T]) put(v *T) error {
	if err := r.enc.Encode(v); err != nil {
		return fmt.Errorf("spool %s: %w", r.f.Name(), err)
	}
	return nil
}

func (r *runWriter[T]) close() error {
	err := r.w.Flush()
	if cerr := r.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("spool %s: %w", r.f.Name(), err)
	}
	return nil
}

// cursor is the head of one run during a merge.
type cursor[T any] struct {
	f    *os.File
	dec  *json.Decoder
	head T
	ord  int // the run's position, which breaks ties so that the merge is stable
}

func (c *cursor[T]) advance() (bool, error) {
	var zero T
	c.head = zero
	if err := c.dec.Decode(&c.head); err != nil {
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		return false, fmt.Errorf("spool %s: %w", c.f.Name(), err)
	}
	return true, nil
}

type cursorHeap[T any] struct {
	c   []*cursor[T]
	cmp func(a, b *T) int
}

func (h *cursorHeap[T]) Len() int { return len(h.c) }
func (h *cursorHeap[T]) Less(i, j int) bool {
	if c := h.cmp(&h.c[i].head, &h.c[j].head); c != 0 {
		return c < 0
	}
	return h.c[i].ord < h.c[j].ord
}
func (h *cursorHeap[T]) Swap(i, j int) { h.c[i], h.c[j] = h.c[j], h.c[i] }
func (h *cursorHeap[T]) Push(x any)    { h.c = append(h.c, x.(*cursor[T])) }
func (h *cursorHeap[T]) Pop() any {
	x := h.c[len(h.c)-1]
	h.c = h.c[:len(h.c)-1]
	return x
}

func merge[T any](paths []string, cmp func(a, b *T) int, fn func(*T) error) error {
	h := &cursorHeap[T]{cmp: cmp}
	defer func() {
		for _, c := range h.c {
			c.f.Close()
		}
	}()
	for i, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return fmt.Errorf("spool: %w", err)
		}
		c := &cursor[T]{f: f, dec: json.NewDecoder(bufio.NewReaderSize(f, 16<<10)), ord: i}
		ok, err := c.advance()
		if err != nil {
			f.Close()
			return err
		}
		if !ok {
			f.Close()
			continue
		}
		h.c = append(h.c, c)
	}
	heap.Init(h)
	for h.Len() > 0 {
		c := h.c[0]
		if err := fn(&c.head); err != nil {
			return err
		}
		ok, err := c.advance()
		if err != nil {
			return err
		}
		if ok {
			heap.Fix(h, 0)
		} else {
			c.f.Close()
			heap.Pop(h)
		}
	}
	return nil
}

// runLen is the most items a Writer holds before it writes them as a run.
var runLen = 8192

// Writer adds items one at a time, in any order, holding at most runLen of them: they are
// sorted and written as a run whenever that many have come, so a list of any length is
// spooled in bounded memory.
type Writer[T any] struct {
	s   *Spool[T]
	buf []T
}

// Writer starts adding items one at a time; Close writes what is held.
func (s *Spool[T]) Writer() *Writer[T] { return &Writer[T]{s: s} }

// Put copies v into the spool.
func (w *Writer[T]) Put(v *T) error {
	w.buf = append(w.buf, *v)
	if len(w.buf) >= runLen {
		return w.flush()
	}
	return nil
}

// Close writes the items held as a last run.
func (w *Writer[T]) Close() error { return w.flush() }

func (w *Writer[T]) flush() error {
	err := w.s.Add(w.buf)
	clear(w.buf)
	w.buf = w.buf[:0]
	return err
}
