package kaleyra

import (
	"context"
	"fmt"
	"iter"
	"time"
)

// CursorLoopError is a cursor the API handed out a second time in one
// listing: following it would loop forever or return a shortened list.
type CursorLoopError struct {
	// Cursor is the cursor, redacted (see Redactor): a cursor can be a
	// wa_id.
	Cursor string
	Page   int
}

func (e *CursorLoopError) Error() string {
	return fmt.Sprintf("the API returned the cursor %q a second time (page %d); the list cannot be read completely", e.Cursor, e.Page)
}

// cursorPages yields the pages of a cursor listing to its end: a page with
// no users, or no after cursor, ends it; once the API has shown that it
// sends paging.next, a page without it ends it too. A short page is not the
// end. A cursor seen twice is a *CursorLoopError, its cursor redacted by r.
func cursorPages(ctx context.Context, r *Redactor, fetch func(ctx context.Context, after string) (*WhatsAppPage, error)) iter.Seq2[*WhatsAppPage, error] {
	return func(yield func(*WhatsAppPage, error) bool) {
		seen := make(map[string]struct{})
		after := ""
		sendsNext := false
		for n := 1; ; n++ {
			page, err := fetch(ctx, after)
			if err != nil {
				yield(nil, err)
				return
			}
			// Decided before the page is handed out, so nothing the
			// caller does to it changes where the listing goes.
			sendsNext = sendsNext || page.HasNext
			last := len(page.Users) == 0 || page.After == "" || (sendsNext && page.Next == "")
			next := page.After
			if !yield(page, nil) || last {
				return
			}
			if _, dup := seen[next]; dup {
				yield(nil, &CursorLoopError{Cursor: r.String(next), Page: n})
				return
			}
			seen[next] = struct{}{}
			after = next
		}
	}
}

// ListStats describes one complete read, for the provider's logs.
type ListStats struct {
	Pages    int // pages fetched, over all batches and restarts
	Rows     int // rows received, before de-duplication
	Restarts int // restarts from the first page
	Batches  int // contacts: batches of numbers
	Elapsed  time.Duration
}
