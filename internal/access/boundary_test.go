package access

import (
	"slices"
	"strings"
	"testing"
)

// An organization scan widens the configured boundary with the organization it lists.
func TestBoundaryWith(t *testing.T) {
	b, err := NewBoundary([]string{"111122223333"}, []string{"o-a1b2c3d4e5"})
	if err != nil {
		t.Fatal(err)
	}
	w, err := b.With([]string{"444455556666", "111122223333"}, []string{"o-org0000001"})
	if err != nil {
		t.Fatal(err)
	}
	if got := w.Accounts(); !slices.Equal(got, []string{"111122223333", "444455556666"}) {
		t.Errorf("accounts = %v", got)
	}
	if got := w.Orgs(); !slices.Equal(got, []string{"o-a1b2c3d4e5", "o-org0000001"}) {
		t.Errorf("orgs = %v", got)
	}
	if !w.trustsAccount("999988887777", "444455556666") || b.trustsAccount("999988887777", "444455556666") {
		t.Error("With must trust the added account and leave the original boundary unchanged")
	}
	if _, err := b.With(nil, []string{"org-1"}); err == nil || !strings.Contains(err.Error(), "org-1") {
		t.Errorf("a bad organization id: err = %v", err)
	}
}
