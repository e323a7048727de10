package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/trustaudit/trustaudit/internal/finding"
)

// Active reports whether the suppression still applies at now. An expiry date is the first
// day it no longer applies, in UTC, so "expires: 2026-10-01" suppresses through 30 September.
func (s Suppression) Active(now time.Time) bool {
	return s.Expires.IsZero() || now.UTC().Before(s.Expires)
}

// Matches reports whether the suppression covers the finding, ignoring expiry.
func (s Suppression) Matches(f finding.Finding) bool {
	if s.Kind != f.Kind || !Glob(s.Resource, f.ResourceARN) {
		return false
	}
	if s.Principal == "" {
		return true
	}
	// A suppression for one outsider must not hide a grant that also lets in another, so
	// every outsider the finding names has to match.
	if len(f.Accounts) > 0 {
		for _, a := range f.Accounts {
			if !s.matchesAccount(a) {
				return false
			}
		}
		return true
	}
	if f.Principal == "" {
		return false
	}
	if accountRE.MatchString(s.Principal) {
		return f.Principal == s.Principal || strings.Contains(f.Principal, "::"+s.Principal+":")
	}
	return Glob(s.Principal, f.Principal)
}

func (s Suppression) matchesAccount(acct string) bool {
	if accountRE.MatchString(s.Principal) {
		return acct == s.Principal
	}
	return Glob(s.Principal, "arn:aws:iam::"+acct+":root")
}

func (s Suppression) describe(n int) string {
	d := fmt.Sprintf("suppression #%d (%s %s", n, s.Kind, s.Resource)
	if s.Principal != "" {
		d += " for " + s.Principal
	}
	return d + ")"
}

// ApplySuppressions marks the findings that an active suppression covers, with the
// suppression's reason, and adds a notice for every expired suppression: an expired
// suppression stops suppressing and says so, so that the finding it hid is not a surprise.
func (c *Config) ApplySuppressions(s *finding.Scan, now time.Time) {
	s.Notices = append(s.Notices, c.ExpiredNotices(now)...)
	for i := range s.Findings {
		c.Suppress(&s.Findings[i], now)
	}
}

// ExpiredNotices tells the user which suppressions have expired, so that a finding coming
// back is not a surprise.
func (c *Config) ExpiredNotices(now time.Time) []string {
	var out []string
	for i, sup := range c.Suppressions {
		if !sup.Active(now) {
			out = append(out, fmt.Sprintf("%s expired on %s and no longer suppresses",
				sup.describe(i+1), sup.Expires.Format(time.DateOnly)))
		}
	}
	return out
}

// Suppress marks f suppressed by the first active suppression that matches it. An
// organization scan calls it as each account's findings arrive, a scan of one account
// through ApplySuppressions.
func (c *Config) Suppress(f *finding.Finding, now time.Time) {
	if f.Suppressed {
		return
	}
	for _, sup := range c.Suppressions {
		if sup.Active(now) && sup.Matches(*f) {
			f.Suppressed = true
			f.SuppressedBy = sup.Reason
			return
		}
	}
}

// Glob matches an ARN against a pattern where * matches any run of characters and ? exactly
// one, the way IAM matches resource ARNs. Matching is case-sensitive, like ARNs.
func Glob(pattern, s string) bool {
	// Iterative matcher with single-star backtracking: linear in practice, no regexp
	// compilation per finding.
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
