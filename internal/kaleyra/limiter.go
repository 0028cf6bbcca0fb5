package kaleyra

import (
	"context"
	"sync"
)

// limiter bounds the requests in flight across a Client, and adapts the
// bound to rate limits: additive increase, multiplicative decrease. A 429
// halves the limit (not below 1), once per window: answers to requests sent
// before the last decrease do not halve it again, so one burst of 429s from
// a parallel read is one decrease, not a collapse to 1. After `limit`
// successes in a row the limit rises by one, up to the configured maximum.
// Waiters are served first come, first served.
type limiter struct {
	mu        sync.Mutex
	max       int // the configured bound, never exceeded
	limit     int // the bound in force now, 1..max
	inFlight  int
	peak      int // the highest inFlight seen
	epoch     int // incremented by every decrease
	successes int // in a row since the last change
	waiters   []*waiter
	// onChange, when set, is called (without the lock) after the limit
	// changes, with the new limit and whether it went down.
	onChange func(ctx context.Context, limit, maxLimit int, down bool)
}

type waiter struct {
	ready   chan struct{}
	granted bool
	epoch   int
}

// outcome is what one request's answer says about the server's load.
type outcome int

const (
	outcomeOther       outcome = iota // an error or a status that says nothing of load
	outcomeSuccess                    // 2xx
	outcomeRateLimited                // 429
)

func newLimiter(maxInFlight int) *limiter {
	maxInFlight = max(maxInFlight, 1)
	return &limiter{max: maxInFlight, limit: maxInFlight}
}

// acquire waits for a place in flight, or for ctx to end. It returns the
// epoch the request is sent in, to be handed back to release.
func (l *limiter) acquire(ctx context.Context) (int, error) {
	l.mu.Lock()
	if len(l.waiters) == 0 && l.inFlight < l.limit {
		epoch := l.takeLocked()
		l.mu.Unlock()
		return epoch, nil
	}
	w := &waiter{ready: make(chan struct{})}
	l.waiters = append(l.waiters, w)
	l.mu.Unlock()

	select {
	case <-w.ready:
		return w.epoch, nil
	case <-ctx.Done():
		l.mu.Lock()
		if w.granted {
			// Granted while ctx ended: hand the place on.
			l.inFlight--
			l.grantLocked()
		} else {
			for i, x := range l.waiters {
				if x == w {
					l.waiters = append(l.waiters[:i], l.waiters[i+1:]...)
					break
				}
			}
		}
		l.mu.Unlock()
		return 0, ctx.Err()
	}
}

func (l *limiter) takeLocked() int {
	l.inFlight++
	l.peak = max(l.peak, l.inFlight)
	return l.epoch
}

// grantLocked hands free places to waiters in arrival order.
func (l *limiter) grantLocked() {
	for len(l.waiters) > 0 && l.inFlight < l.limit {
		w := l.waiters[0]
		l.waiters = l.waiters[1:]
		w.granted = true
		w.epoch = l.takeLocked()
		close(w.ready)
	}
}

// release gives the place back and adapts the limit to the outcome of the
// request sent in epoch.
func (l *limiter) release(ctx context.Context, epoch int, o outcome) {
	l.mu.Lock()
	l.inFlight--
	changed, down := false, false
	switch o {
	case outcomeRateLimited:
		l.successes = 0
		if epoch == l.epoch && l.limit > 1 {
			l.limit = max(1, l.limit/2)
			l.epoch++
			changed, down = true, true
		}
	case outcomeSuccess:
		if l.limit < l.max {
			l.successes++
			if l.successes >= l.limit {
				l.limit++
				l.successes = 0
				changed = true
			}
		}
	}
	l.grantLocked()
	limit, maxLimit, notify := l.limit, l.max, l.onChange
	l.mu.Unlock()
	if changed && notify != nil {
		notify(ctx, limit, maxLimit, down)
	}
}

// state returns the limit in force, the requests in flight and the peak.
func (l *limiter) state() (limit, inFlight, peak int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.limit, l.inFlight, l.peak
}

// logLimit reports a change of the in-flight limit: a decrease is a
// warning, since it means Kaleyra is rate limiting the account.
func (c *Client) logLimit(ctx context.Context, limit, maxLimit int, down bool) {
	fields := map[string]any{"limit": limit, "max_parallel_requests": maxLimit}
	if down {
		c.log.Warn(ctx, "Kaleyra is rate limiting the account (HTTP 429): lowering the requests in flight", fields)
		return
	}
	c.log.Debug(ctx, "Raising the requests in flight again after successful requests", fields)
}

// InFlight reports the client's in-flight limit now, the requests in
// flight now and the most it has had in flight at once.
func (c *Client) InFlight() (limit, inFlight, peak int) { return c.limit.state() }
