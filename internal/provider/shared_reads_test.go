package provider

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestShareRead_oneReadInFlightOrFinished(t *testing.T) {
	s := newSharedReads()
	var reads atomic.Int32
	release := make(chan struct{})
	read := func(ctx context.Context) (int, error) {
		reads.Add(1)
		<-release
		return 42, ctx.Err()
	}
	var wg sync.WaitGroup
	results := make([]int, 5)
	shared := make([]bool, 5)
	for i := range 5 {
		wg.Go(func() {
			v, sh, err := shareRead(context.Background(), s, "k", read)
			if err != nil {
				t.Error(err)
			}
			results[i], shared[i] = v, sh
		})
	}
	time.Sleep(50 * time.Millisecond) // let all five wait on the one read
	close(release)
	wg.Wait()
	if got := reads.Load(); got != 1 {
		t.Fatalf("%d reads for five identical queries in flight, want 1", got)
	}
	readers := 0
	for i := range 5 {
		if results[i] != 42 {
			t.Errorf("caller %d got %d", i, results[i])
		}
		if !shared[i] {
			readers++
		}
	}
	if readers != 1 {
		t.Errorf("%d callers read themselves, want 1 (the others share)", readers)
	}
	// Finished: a later identical query reads nothing.
	if v, sh, err := shareRead(context.Background(), s, "k", read); v != 42 || !sh || err != nil || reads.Load() != 1 {
		t.Errorf("a finished read was not shared: %d %v %v, %d reads", v, sh, err, reads.Load())
	}
	// Another key is another read.
	if _, sh, _ := shareRead(context.Background(), s, "other", func(context.Context) (int, error) { return 1, nil }); sh {
		t.Error("a different query shared a read")
	}
}

func TestShareRead_failuresAreNotKept(t *testing.T) {
	s := newSharedReads()
	calls := 0
	read := func(context.Context) (int, error) {
		calls++
		if calls == 1 {
			return 0, errors.New("HTTP 503")
		}
		return 7, nil
	}
	if _, _, err := shareRead(context.Background(), s, "k", read); err == nil {
		t.Fatal("the failure was not returned")
	}
	if v, _, err := shareRead(context.Background(), s, "k", read); err != nil || v != 7 || calls != 2 {
		t.Fatalf("after a failure: %d, %v, %d calls; want a new read", v, err, calls)
	}
}

func TestShareRead_anotherReadersTimeoutIsNotThisOnes(t *testing.T) {
	// The data source running the read times out; one waiting on it, with
	// time left, reads again itself rather than fail with another's timeout.
	s := newSharedReads()
	leaderCtx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	started := make(chan struct{})
	slow := func(ctx context.Context) (int, error) {
		close(started)
		<-ctx.Done()
		return 0, ctx.Err()
	}
	leaderErr := make(chan error, 1)
	go func() {
		_, _, err := shareRead(leaderCtx, s, "k", slow)
		leaderErr <- err
	}()
	<-started
	v, _, err := shareRead(context.Background(), s, "k", func(context.Context) (int, error) { return 9, nil })
	if err != nil || v != 9 {
		t.Fatalf("the waiting reader got %d, %v; want its own read's 9", v, err)
	}
	if err := <-leaderErr; !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("the timed-out reader got %v, want its deadline", err)
	}
	// A waiter whose own context ends stops waiting at once.
	block := make(chan struct{})
	defer close(block)
	go func() {
		_, _, _ = shareRead(context.Background(), s, "held", func(context.Context) (int, error) { <-block; return 0, nil })
	}()
	time.Sleep(20 * time.Millisecond)
	ctx, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel2()
	if _, _, err := shareRead(ctx, s, "held", func(context.Context) (int, error) { return 0, nil }); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a waiter past its own deadline got %v", err)
	}
}
