package spool

import (
	"cmp"
	"errors"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
)

type item struct {
	Key  int    `json:"key"`
	Run  int    `json:"run"`
	Text string `json:"text"`
}

func byKey(a, b *item) int { return cmp.Compare(a.Key, b.Key) }

// TestEachMergesRunsInOrder checks the merge against an in-memory stable sort, with one
// pass and with several (fanIn lowered), and that Each can be repeated.
func TestEachMergesRunsInOrder(t *testing.T) {
	for _, fan := range []int{256, 3, 2} {
		old := fanIn
		fanIn = fan
		dir := t.TempDir()
		s := New(dir, byKey)
		rng := rand.New(rand.NewPCG(1, uint64(fan)))
		var all []item
		for run := 0; run < 40; run++ {
			var items []item
			for i := 0; i < rng.IntN(30); i++ {
				items = append(items, item{Key: rng.IntN(50), Run: run, Text: "<&> \"quoted\""})
			}
			all = append(all, items...)
			if err := s.Add(slices.Clone(items)); err != nil {
				t.Fatal(err)
			}
		}
		slices.SortStableFunc(all, func(a, b item) int { return byKey(&a, &b) })
		if s.Len() != len(all) {
			t.Fatalf("fan-in %d: Len %d, added %d", fan, s.Len(), len(all))
		}
		for pass := 0; pass < 2; pass++ {
			var got []item
			if err := s.Each(func(it *item) error { got = append(got, *it); return nil }); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, all) {
				t.Fatalf("fan-in %d pass %d: merged %d items out of order or lost (want %d)", fan, pass, len(got), len(all))
			}
		}
		fanIn = old
	}
}

func TestEachStopsOnError(t *testing.T) {
	s := New(t.TempDir(), byKey)
	if err := s.Add([]item{{Key: 2}, {Key: 1}}); err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	n := 0
	err := s.Each(func(*item) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("Each = %v after %d items, want the callback's error after 1", err, n)
	}
}

func TestCorruptRunNamesTheFile(t *testing.T) {
	dir := t.TempDir()
	s := New(dir, byKey)
	if err := s.Add([]item{{Key: 1}}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.runs[0], []byte("{\"key\":1}\n{not json\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := s.Each(func(*item) error { return nil })
	if err == nil || !strings.Contains(err.Error(), s.runs[0]) {
		t.Fatalf("Each over a corrupt run = %v, want an error naming %s", err, s.runs[0])
	}
}

// TestWriterRunsAreBounded checks that items put one at a time in any order come back
// sorted, in runs of at most runLen.
func TestWriterRunsAreBounded(t *testing.T) {
	old := runLen
	runLen = 7
	defer func() { runLen = old }()
	s := New(t.TempDir(), byKey)
	w := s.Writer()
	var all []item
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 50 {
		it := item{Key: rng.IntN(20), Run: i}
		all = append(all, it)
		if err := w.Put(&it); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(s.runs); n != 8 {
		t.Errorf("50 items in runs of 7 made %d runs, want 8", n)
	}
	slices.SortStableFunc(all, func(a, b item) int { return byKey(&a, &b) })
	var got []item
	if err := s.Each(func(it *item) error { got = append(got, *it); return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, all) {
		t.Errorf("items came back out of order or lost:\n got %v\nwant %v", got, all)
	}
}
