package policy

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Match reports whether value matches the IAM wildcard pattern, case-sensitively: '*'
// matches any run of characters (including '/' and ':'), '?' exactly one character, and
// every other character itself. IAM has no escapes, so a literal '*' cannot be matched
// on its own.
//
// The classic two-pointer algorithm backtracks only to the most recent '*', so the cost
// is at most len(pattern)*len(value) steps whatever the input (no exponential blow-up on
// policies crafted to stall an audit), and it never allocates.
func Match(pattern, value string) bool {
	return match(pattern, value, false)
}

// MatchFold is Match with Unicode case folding, as IAM compares action names
// ("S3:GetObject" is "s3:getobject").
func MatchFold(pattern, value string) bool {
	return match(pattern, value, true)
}

// MatchARN matches as the ArnLike/ArnEquals operators do: each of the six colon-separated
// parts is matched on its own, so a '*' in the region cannot swallow the account; the
// final resource part takes the rest of the value, colons included.
//
// A pattern or value that is not six parts long is not an ARN and matches nothing, with
// one exception: the pattern "*" matches every value, as written in policies to mean
// "any source".
func MatchARN(pattern, value string) bool {
	if pattern == "*" {
		return true
	}
	for i := 0; i < 5; i++ {
		pi := strings.IndexByte(pattern, ':')
		vi := strings.IndexByte(value, ':')
		if pi < 0 || vi < 0 {
			return false
		}
		if !Match(pattern[:pi], value[:vi]) {
			return false
		}
		pattern, value = pattern[pi+1:], value[vi+1:]
	}
	return Match(pattern, value)
}

func match(pattern, value string, fold bool) bool {
	p, v := 0, 0
	// star is the pattern index just after the most recent '*'; starV the value index
	// that '*' has absorbed up to. Backtracking re-tries with the '*' taking one more
	// character, always a whole rune so that '?' never starts inside a character.
	star, starV := -1, 0
	for v < len(value) {
		if p < len(pattern) {
			switch c := pattern[p]; {
			case c == '*':
				p++
				star, starV = p, v
				continue
			case c == '?':
				_, w := utf8.DecodeRuneInString(value[v:])
				p++
				v += w
				continue
			case !fold && c == value[v]:
				p++
				v++
				continue
			case fold:
				if pw, vw, ok := foldEqualAt(pattern[p:], value[v:]); ok {
					p += pw
					v += vw
					continue
				}
			}
		}
		if star < 0 {
			return false
		}
		_, w := utf8.DecodeRuneInString(value[starV:])
		starV += w
		p, v = star, starV
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// foldEqualAt compares the first characters of p and v under simple case folding and
// returns their widths. Bytes that are not valid UTF-8 match only the identical byte.
func foldEqualAt(p, v string) (pw, vw int, ok bool) {
	if p[0] < utf8.RuneSelf && v[0] < utf8.RuneSelf {
		x, y := p[0], v[0]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		// ASCII letters also fold to non-ASCII runes ('k' and KELVIN SIGN), but both
		// sides are ASCII here, so byte folding is exact.
		return 1, 1, x == y
	}
	pr, pw := utf8.DecodeRuneInString(p)
	vr, vw := utf8.DecodeRuneInString(v)
	if pw == vw && p[:pw] == v[:vw] {
		return pw, vw, true
	}
	if pr == utf8.RuneError && pw == 1 || vr == utf8.RuneError && vw == 1 {
		return pw, vw, false
	}
	if pr == vr {
		return pw, vw, true
	}
	for r := unicode.SimpleFold(pr); r != pr; r = unicode.SimpleFold(r) {
		if r == vr {
			return pw, vw, true
		}
	}
	return pw, vw, false
}
