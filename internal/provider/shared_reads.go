package provider

import (
	"context"
	"sync"
)

// sharedReadsDoc explains shared reads in the data sources' and ephemeral
// resources' docs.
const sharedReadsDoc = "Identical reads are made once: data sources and ephemeral resources of the same provider " +
	"configuration with the same query (the same arguments, `page_size` aside) share one read, in flight or " +
	"finished, for the life of the provider process (one plan or one apply). Those of different provider " +
	"configurations (an alias, other credentials or another host) never share. It matters in one case: a read " +
	"deferred to apply (because an argument is only known then) that repeats a query already read in the same " +
	"apply gets that earlier result, even if something else changed the list in between. To see such a change, " +
	"read through another provider configuration (an alias).\n\n"

// sharedReads lets the data sources and ephemeral resources of one
// provider configuration share identical reads: the same query (arguments
// other than `page_size`) is read from Kaleyra once, in flight or finished,
// for the life of the provider process, whichever kind asks. Terraform
// configures one provider instance per provider configuration (alias), and
// each Configure makes its own sharedReads, so different configurations
// (other credentials, hosts or aliases) never share. Results are immutable
// once stored: readers only read them. Failed reads are not kept.
//
// It is singleflight plus a map of finished reads, written out because the
// read that runs a query must wait for it (its cancellation comes back as
// the client's own error), while the others wait on their own context too.
type sharedReads struct {
	mu       sync.Mutex
	done     map[string]any
	inFlight map[string]*sharedCall
}

type sharedCall struct {
	finished chan struct{}
	val      any
	err      error
	ctxEnded bool // the reader's context ended during the read
}

func newSharedReads() *sharedReads {
	return &sharedReads{done: map[string]any{}, inFlight: map[string]*sharedCall{}}
}

// shareRead returns the result of the read with this key: a finished one,
// the one in flight, or read() run now with ctx. shared tells whether the
// result came from another data source's read. If the data source running
// the read in flight stops (its own timeout, or Terraform cancelling it)
// while this caller's context is still live, this caller reads again rather
// than take another's timeout as its own.
func shareRead[T any](ctx context.Context, s *sharedReads, key string, read func(context.Context) (T, error)) (result T, shared bool, err error) {
	var zero T
	for {
		s.mu.Lock()
		if v, ok := s.done[key]; ok {
			s.mu.Unlock()
			return v.(T), true, nil //nolint:forcetypeassert // stored under key only by a read of T
		}
		if c, ok := s.inFlight[key]; ok {
			s.mu.Unlock()
			select {
			case <-c.finished:
			case <-ctx.Done():
				return zero, false, ctx.Err()
			}
			if c.err == nil {
				return c.val.(T), true, nil //nolint:forcetypeassert // set by a read of T
			}
			if c.ctxEnded && ctx.Err() == nil {
				continue
			}
			return zero, true, c.err
		}
		c := &sharedCall{finished: make(chan struct{})}
		s.inFlight[key] = c
		s.mu.Unlock()

		v, err := read(ctx)
		c.val, c.err = v, err
		c.ctxEnded = err != nil && ctx.Err() != nil
		s.mu.Lock()
		delete(s.inFlight, key)
		if err == nil {
			s.done[key] = v
		}
		s.mu.Unlock()
		close(c.finished)
		return v, false, err
	}
}
