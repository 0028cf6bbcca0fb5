package kaleyra

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestLimiter_halvesOncePerWindowAndRisesSlowly(t *testing.T) {
	ctx := context.Background()
	l := newLimiter(8)
	var changes []int
	l.onChange = func(_ context.Context, limit, _ int, _ bool) { changes = append(changes, limit) }

	// Eight requests in flight, all sent in the same epoch, all answered
	// 429: one burst is one decrease, 8 -> 4, not a collapse to 1.
	epochs := make([]int, 8)
	for i := range epochs {
		e, err := l.acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		epochs[i] = e
	}
	for _, e := range epochs {
		l.release(ctx, e, outcomeRateLimited)
	}
	if limit, inFlight, peak := l.state(); limit != 4 || inFlight != 0 || peak != 8 {
		t.Fatalf("after a burst of 429s: limit %d, in flight %d, peak %d; want 4, 0, 8", limit, inFlight, peak)
	}

	// A 429 to a request sent after the decrease halves again: 4 -> 2 -> 1,
	// and never below 1.
	for _, want := range []int{2, 1, 1} {
		e, _ := l.acquire(ctx)
		l.release(ctx, e, outcomeRateLimited)
		if limit, _, _ := l.state(); limit != want {
			t.Fatalf("limit %d, want %d", limit, want)
		}
	}

	// Successes raise it by one after `limit` successes in a row.
	success := func(n int) {
		for range n {
			e, _ := l.acquire(ctx)
			l.release(ctx, e, outcomeSuccess)
		}
	}
	success(1) // 1 -> 2
	success(2) // 2 -> 3
	success(2)
	if limit, _, _ := l.state(); limit != 3 {
		t.Fatalf("limit %d after 5 successes from 1, want 3", limit)
	}
	success(1) // 3 -> 4
	success(4 + 5 + 6 + 7 + 100)
	if limit, _, _ := l.state(); limit != 8 {
		t.Fatalf("limit %d after many successes, want the configured 8", limit)
	}
	want := []int{4, 2, 1, 2, 3, 4, 5, 6, 7, 8}
	if len(changes) != len(want) {
		t.Fatalf("limit changes %v, want %v", changes, want)
	}
	for i := range want {
		if changes[i] != want[i] {
			t.Fatalf("limit changes %v, want %v", changes, want)
		}
	}
}

func TestLimiter_neverMoreInFlightThanTheLimit(t *testing.T) {
	ctx := context.Background()
	l := newLimiter(2)
	a, _ := l.acquire(ctx)
	_, _ = l.acquire(ctx)

	got := make(chan int)
	go func() {
		e, err := l.acquire(ctx)
		if err != nil {
			t.Error(err)
		}
		got <- e
	}()
	select {
	case <-got:
		t.Fatal("a third request went in flight with a limit of 2")
	case <-time.After(30 * time.Millisecond):
	}
	l.release(ctx, a, outcomeSuccess)
	select {
	case <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("a freed place was not handed to the waiting request")
	}
	if _, inFlight, peak := l.state(); inFlight != 2 || peak != 2 {
		t.Fatalf("in flight %d, peak %d; want 2, 2", inFlight, peak)
	}
}

func TestLimiter_waitingEndsWithTheContext(t *testing.T) {
	l := newLimiter(1)
	held, _ := l.acquire(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := l.acquire(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's deadline", err)
	}
	l.release(context.Background(), held, outcomeOther)
	if _, inFlight, _ := l.state(); inFlight != 0 {
		t.Fatalf("%d in flight after the waiter gave up and the holder released, want 0", inFlight)
	}
	// The place is free again.
	ctx2, cancel2 := context.WithTimeout(context.Background(), time.Second)
	defer cancel2()
	if _, err := l.acquire(ctx2); err != nil {
		t.Fatalf("acquire after release: %v", err)
	}
}
