package kinds

import (
	"errors"
	"sync"
)

// queue hands items to a fixed set of workers without ever blocking the producer: a listing
// chain must not stall behind the per-item calls it feeds (the chain is the one part of a
// lane that cannot be parallelised). Several worker sets with different handlers may drain
// one queue, which is how SES spreads identity reads over two quota buckets.
type queue[T any] struct {
	mu     sync.Mutex
	cond   *sync.Cond
	items  []T
	closed bool
	wg     sync.WaitGroup
}

func newQueue[T any]() *queue[T] {
	q := &queue[T]{}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// workers starts n workers (at least one) running fn on queued items.
func (q *queue[T]) workers(n int, fn func(T)) {
	if n < 1 {
		n = 1
	}
	for range n {
		q.wg.Add(1)
		go func() {
			defer q.wg.Done()
			for {
				item, ok := q.pop()
				if !ok {
					return
				}
				fn(item)
			}
		}()
	}
}

func (q *queue[T]) pop() (T, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.items) == 0 && !q.closed {
		q.cond.Wait()
	}
	var zero T
	if len(q.items) == 0 {
		return zero, false
	}
	item := q.items[0]
	q.items[0] = zero
	q.items = q.items[1:]
	return item, true
}

func (q *queue[T]) push(items ...T) {
	q.mu.Lock()
	q.items = append(q.items, items...)
	q.mu.Unlock()
	for range items {
		q.cond.Signal()
	}
}

// closeAndWait lets the workers drain what is queued and waits for them.
func (q *queue[T]) closeAndWait() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cond.Broadcast()
	q.wg.Wait()
}

// OpError is a failed listing: the operation (an IAM action) that could not be completed.
// The engine turns it into a gap naming that operation.
type OpError struct {
	Op  string
	Err error
}

func (e *OpError) Error() string { return e.Op + ": " + e.Err.Error() }
func (e *OpError) Unwrap() error { return e.Err }

// OpOf returns the operation an error names, or "".
func OpOf(err error) string {
	var oe *OpError
	if errors.As(err, &oe) {
		return oe.Op
	}
	return ""
}
