package kinds

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"

	"github.com/trustaudit/trustaudit/internal/world"
)

// fakeEnv records what a kind reports while it collects.
type fakeEnv struct {
	mu           sync.Mutex
	gaps         []string
	listed, done int
}

func (e *fakeEnv) Account() string          { return "111122223333" }
func (e *fakeEnv) Region() string           { return "us-east-1" }
func (e *fakeEnv) Partition() string        { return "aws" }
func (e *fakeEnv) Config(string) aws.Config { return aws.Config{} }
func (e *fakeEnv) Workers(string) int       { return 1 }
func (e *fakeEnv) Listed(n int)             { e.mu.Lock(); e.listed += n; e.mu.Unlock() }
func (e *fakeEnv) Done(n int)               { e.mu.Lock(); e.done += n; e.mu.Unlock() }
func (e *fakeEnv) Gap(op, res string, _ error) {
	e.mu.Lock()
	e.gaps = append(e.gaps, op+" "+res)
	e.mu.Unlock()
}

// testPolicyKind lists a..g in pages of 3 and reads them in batches of batch: a batch
// holding "c" fails, one holding "e" was deleted since it was listed, and every other
// resource's policy is its batch.
func testPolicyKind(batch int, dropUnread bool, calls *[]string) *policyKind {
	names := []string{"a", "b", "c", "d", "e", "f", "g"}
	return &policyKind{
		name: "test-kind", listLane: "l", listOp: "svc:List", listCall: "service:List", page: 3,
		list: func(_ context.Context, _ aws.Config, _ Env, token string) ([]listed, string, error) {
			start := 0
			if token != "" {
				fmt.Sscan(token, &start)
			}
			end := min(start+3, len(names))
			var items []listed
			for _, n := range names[start:end] {
				items = append(items, listed{id: n, res: world.Resource{Kind: "test-kind", Name: n, ARN: "arn:" + n}})
			}
			if end == len(names) {
				return items, "", nil
			}
			return items, fmt.Sprint(end), nil
		},
		dropUnread: dropUnread,
		reads: []policyRead{{lane: "l", op: "svc:Read", call: "service:Read", batch: batch,
			read: func(_ context.Context, _ aws.Config, ids []string) (func([]*world.Resource), error) {
				joined := strings.Join(ids, "")
				*calls = append(*calls, joined)
				switch {
				case strings.Contains(joined, "c"):
					return nil, errors.New("throttled")
				case strings.Contains(joined, "e"):
					return nil, errGone
				}
				return func(rs []*world.Resource) {
					for _, r := range rs {
						r.Policy = world.Policy(joined)
					}
				}, nil
			}}},
	}
}

// The one list-then-read shape serves per-resource and batched reads alike: what is
// read, left out, recorded as a gap and counted follows the batches.
func TestPolicyKindCollect(t *testing.T) {
	tests := []struct {
		name       string
		batch      int
		dropUnread bool
		calls      []string
		policies   map[string]string // collected resources and their policies
		gaps       []string
		minimal    map[string]int64
	}{
		{
			name: "one resource a call", batch: 0,
			calls:    []string{"a", "b", "c", "d", "e", "f", "g"},
			policies: map[string]string{"a": "a", "b": "b", "c": "", "d": "d", "f": "f", "g": "g"},
			gaps:     []string{"svc:Read arn:c"},
			minimal:  map[string]int64{"service:List": 3, "service:Read": 7},
		},
		{
			name: "unread resources left out", batch: 0, dropUnread: true,
			calls:    []string{"a", "b", "c", "d", "e", "f", "g"},
			policies: map[string]string{"a": "a", "b": "b", "d": "d", "f": "f", "g": "g"},
			gaps:     []string{"svc:Read arn:c"},
			minimal:  map[string]int64{"service:List": 3, "service:Read": 7},
		},
		{
			name: "batches of two", batch: 2, dropUnread: true,
			calls:    []string{"ab", "cd", "ef", "g"},
			policies: map[string]string{"a": "ab", "b": "ab", "g": "g"},
			gaps:     []string{"svc:Read arn:c", "svc:Read arn:d"},
			minimal:  map[string]int64{"service:List": 3, "service:Read": 4},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var calls []string
			k := testPolicyKind(tc.batch, tc.dropUnread, &calls)
			env := &fakeEnv{}
			acct := &world.Account{ID: "111122223333", Regions: []world.Region{{Name: "us-east-1"}}}
			if err := k.Collect(context.Background(), env, acct, &acct.Regions[0]); err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, r := range acct.Regions[0].Resources {
				got[r.Name] = string(r.Policy)
			}
			if diff := cmp.Diff(tc.calls, calls); diff != "" {
				t.Errorf("read calls (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.policies, got); diff != "" {
				t.Errorf("collected (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.gaps, env.gaps); diff != "" {
				t.Errorf("gaps (-want +got):\n%s", diff)
			}
			if env.listed != 7 || env.done != 7 {
				t.Errorf("listed %d, done %d; want 7 and 7", env.listed, env.done)
			}
			// Minimal calls and demand are those of the world as the scan saw it, before
			// anything was deleted: count them over all seven.
			full := &world.Account{ID: "111122223333", Regions: []world.Region{{Name: "us-east-1"}}}
			for _, n := range []string{"a", "b", "c", "d", "e", "f", "g"} {
				full.Regions[0].Resources = append(full.Regions[0].Resources, world.Resource{Kind: "test-kind", Name: n})
			}
			if diff := cmp.Diff(tc.minimal, k.MinimalCalls(full)); diff != "" {
				t.Errorf("minimal calls (-want +got):\n%s", diff)
			}
			if got, want := k.Demand(full, &full.Regions[0]), tc.minimal["service:List"]+tc.minimal["service:Read"]; got["l"] != want {
				t.Errorf("demand on the lane %d, want %d", got["l"], want)
			}
		})
	}
}
