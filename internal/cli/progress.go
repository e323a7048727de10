package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/trustaudit/trustaudit/internal/scan"
)

// progress draws one status line on a terminal's stderr, redrawn in place: what is done
// over what is known, then the kinds still being read, the ones with most left first. The
// line is cut to the terminal's width, because a wrapped line cannot be redrawn in place.
//
// An organization scan reports each account's end; its figures are then folded into
// totals, so the state held is that of the accounts in flight, not of the organization.
type progress struct {
	w     io.Writer
	width int

	mu       sync.Mutex
	state    map[progressKey]scan.Progress
	accounts map[string]bool // accounts in flight
	finished int             // accounts finished
	listed   int             // resources listed and read by finished accounts
	done     int
	last     time.Time
	drawn    bool
}

type progressKey struct{ account, kind, region string }

func newProgress(w io.Writer, width int) *progress {
	if width <= 0 {
		width = 80
	}
	return &progress{w: w, width: width, state: map[progressKey]scan.Progress{}, accounts: map[string]bool{}}
}

func (p *progress) update(ev scan.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ev.Kind == "" {
		if ev.Finished {
			p.endAccount(ev.Account)
		}
	} else {
		p.accounts[ev.Account] = true
		p.state[progressKey{ev.Account, ev.Kind, ev.Region}] = ev
	}
	if time.Since(p.last) < 200*time.Millisecond && !ev.Finished {
		return
	}
	p.last = time.Now()
	fmt.Fprintf(p.w, "\r\x1b[K%s", p.line())
	p.drawn = true
}

func (p *progress) endAccount(id string) {
	for k, s := range p.state {
		if k.account == id {
			p.listed += s.Listed
			p.done += s.Done
			delete(p.state, k)
		}
	}
	delete(p.accounts, id)
	p.finished++
}

// line is the status: "scanning: accounts 3 done, 2 in flight · 1,234/1,400 resources ·
// 40/50 kind-regions · left: ses-identity 2/6, lambda-function 3/8", cut to the width.
func (p *progress) line() string {
	type tally struct {
		kind                             string
		listed, done, regions, remaining int
	}
	byKind := map[string]*tally{}
	listed, done, parts, partsDone := p.listed, p.done, 0, 0
	for k, s := range p.state {
		t := byKind[k.kind]
		if t == nil {
			t = &tally{kind: k.kind}
			byKind[k.kind] = t
		}
		t.listed += s.Listed
		t.done += s.Done
		t.regions++
		listed += s.Listed
		done += s.Done
		parts++
		if s.Finished {
			partsDone++
		} else {
			t.remaining += max(s.Listed-s.Done, 1)
		}
	}
	var b strings.Builder
	b.WriteString("scanning: ")
	if p.finished > 0 || len(p.accounts) > 1 {
		fmt.Fprintf(&b, "accounts %d done, %d in flight · ", p.finished, len(p.accounts))
	}
	fmt.Fprintf(&b, "%s/%s resources · %d/%d kind-regions", count(done), count(listed), partsDone, parts)
	var open []*tally
	for _, t := range byKind {
		if t.remaining > 0 {
			open = append(open, t)
		}
	}
	slices.SortFunc(open, func(a, b *tally) int {
		if a.remaining != b.remaining {
			return b.remaining - a.remaining
		}
		return strings.Compare(a.kind, b.kind)
	})
	for i, t := range open {
		sep := ", "
		if i == 0 {
			sep = " · left: "
		}
		fmt.Fprintf(&b, "%s%s %s/%s", sep, t.kind, count(t.done), count(t.listed))
	}
	return cut(b.String(), p.width-1)
}

// count writes n with thousands separators: an organization reads hundreds of thousands.
func count(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// cut shortens s to at most n runes, ending in "…" when it had to cut.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:max(n-1, 0)]) + "…"
}

// finish clears the status line; it is safe on a nil progress (stderr not a terminal).
func (p *progress) finish() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
}
