package fix

import (
	"fmt"
	"io"
	"strings"
)

// Diff writes a unified diff of two texts, line by line, with three lines of context.
// Policies are small, so the quadratic longest-common-subsequence table is cheap and gives
// the shortest diff.
func Diff(w io.Writer, fromName, toName, from, to string) {
	a, b := splitLines(from), splitLines(to)
	// lcs[i][j] is the LCS length of a[i:] and b[j:].
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var ops []op
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			ops = append(ops, op{kind: ' ', line: a[i]})
			i++
			j++
		case j < len(b) && (i == len(a) || lcs[i][j+1] > lcs[i+1][j]):
			ops = append(ops, op{kind: '+', line: b[j]})
			j++
		default:
			ops = append(ops, op{kind: '-', line: a[i]})
			i++
		}
	}
	slide(ops)
	for k, ai, bi := 0, 0, 0; k < len(ops); k++ {
		ops[k].ai, ops[k].bi = ai, bi
		if ops[k].kind != '+' {
			ai++
		}
		if ops[k].kind != '-' {
			bi++
		}
	}
	changed := false
	for _, o := range ops {
		if o.kind != ' ' {
			changed = true
			break
		}
	}
	if !changed {
		return
	}
	fmt.Fprintf(w, "--- %s\n+++ %s\n", fromName, toName)
	const ctx = 3
	for k := 0; k < len(ops); {
		if ops[k].kind == ' ' {
			k++
			continue
		}
		start := max(0, k-ctx)
		end := k
		// Extend the hunk while changes are within 2*ctx lines of each other.
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run == len(ops) || run-end > 2*ctx {
				end = min(end+ctx, len(ops))
				break
			}
			end = run
		}
		na, nb := 0, 0
		for _, o := range ops[start:end] {
			if o.kind != '+' {
				na++
			}
			if o.kind != '-' {
				nb++
			}
		}
		fmt.Fprintf(w, "@@ -%s +%s @@\n", hunkRange(ops[start].ai, na), hunkRange(ops[start].bi, nb))
		for _, o := range ops[start:end] {
			fmt.Fprintf(w, "%c%s\n", o.kind, o.line)
		}
		k = end
	}
}

type op struct {
	kind byte // ' ', '-', '+'
	line string
	ai   int // line numbers (0-based) in a and b before this op
	bi   int
}

// slide moves each run of only removed (or only added) lines to the equivalent position that
// reads best. Pretty-printed policies repeat the same lines in every statement, so the
// shortest diff often cuts a removed statement in the middle; among the positions the run can
// slide to (where the line entering it equals the line leaving it), the one starting at the
// least indented opening brace shows the statement whole.
func slide(ops []op) {
	score := func(line string) int {
		t := strings.TrimLeft(line, " \t")
		s := 2 * (len(line) - len(t))
		if !strings.HasPrefix(t, "{") && !strings.HasPrefix(t, "[") {
			s++
		}
		return s
	}
	for k := 0; k < len(ops); {
		if ops[k].kind == ' ' {
			k++
			continue
		}
		kind, end := ops[k].kind, k
		for end < len(ops) && ops[end].kind == kind {
			end++
		}
		if (k > 0 && ops[k-1].kind != ' ') || (end < len(ops) && ops[end].kind != ' ') {
			k = end
			continue
		}
		// Sliding relabels equal lines: the copy above the run joins it and its last line
		// becomes context (up), or the reverse (down).
		for k > 0 && ops[k-1].kind == ' ' && ops[k-1].line == ops[end-1].line {
			ops[k-1].kind, ops[end-1].kind = kind, ' '
			k, end = k-1, end-1
		}
		best, bestScore := k, score(ops[k].line)
		for end < len(ops) && ops[end].kind == ' ' && ops[end].line == ops[k].line {
			ops[k].kind, ops[end].kind = ' ', kind
			k, end = k+1, end+1
			if s := score(ops[k].line); s < bestScore {
				best, bestScore = k, s
			}
		}
		for k > best {
			ops[k-1].kind, ops[end-1].kind = kind, ' '
			k, end = k-1, end-1
		}
		k = end
	}
}

func hunkRange(start, n int) string {
	if n == 0 {
		return fmt.Sprintf("%d,0", start)
	}
	if n == 1 {
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}
