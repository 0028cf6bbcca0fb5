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
	Cursor string
	Page   int
}

func (e *CursorLoopError) Error() string {
	return fmt.Sprintf("the API returned the cursor %q a second time (page %d); the list cannot be read completely", e.Cursor, e.Page)
}

// cursorPage is one page of a cursor-paged listing.
type cursorPage[T any] struct {
	Items  []T
	Before string
	After  string
	// HasNext tells whether the page carried paging.next at all, and Next
	// its value.
	HasNext bool
	Next    string
}

// cursorPages yields the pages of a cursor listing to its end: a page with
// no data, or no after cursor, ends it; once the API has shown that it sends
// paging.next, a page without it ends it too. A short page is not the end.
// A cursor seen twice is a *CursorLoopError.
func cursorPages[T any](ctx context.Context, fetch func(ctx context.Context, after string) (cursorPage[T], error)) iter.Seq2[cursorPage[T], error] {
	return func(yield func(cursorPage[T], error) bool) {
		seen := make(map[string]struct{})
		after := ""
		sendsNext := false
		for n := 1; ; n++ {
			page, err := fetch(ctx, after)
			if err != nil {
				yield(page, err)
				return
			}
			if !yield(page, nil) {
				return
			}
			sendsNext = sendsNext || page.HasNext
			if len(page.Items) == 0 || page.After == "" || (sendsNext && page.Next == "") {
				return
			}
			if _, dup := seen[page.After]; dup {
				yield(cursorPage[T]{}, &CursorLoopError{Cursor: page.After, Page: n})
				return
			}
			seen[page.After] = struct{}{}
			after = page.After
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
