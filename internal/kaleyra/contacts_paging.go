package kaleyra

import (
	"context"
	"fmt"
	"slices"
	"sync"
)

// A contacts read is one or more lists, each paged by offset: the whole
// blocklist, or one batch of at most MaxMobilesPerRequest numbers each.
// Offsets are independent requests, so the lists and their pages are read
// by one pool of workers per read, never more than the client's
// MaxParallel, each started only when there is a request for it to send:
// however many batches, a read has at most MaxParallel goroutines and
// MaxParallel requests of its own in flight.
//
// Each list is read as a sequential read would read it, and its result is
// exactly that read's: offset advances by the rows received, a page
// shorter than the limit is the last, and the pages up to it are the list.
// The first page is read alone, so a list that fits on it costs one
// request; after a full first page, the pages after it are read ahead, up
// to the workers free. A page past the first short page never counts, its
// rows nor its error; requests past it (at most MaxParallel-1, sent before
// it answered) are cancelled. A page that fails before it fails the list,
// and so does a full page with exactly the rows of an earlier full page
// (an API or gateway that ignores offset would otherwise be read forever):
// whichever comes first in page order, as a sequential read would meet
// them.
//
// Workers take the pages of the earliest list first, and start a new list
// only when no list has a failed page still to be decided. Once a list has
// failed, the read fails: every request in flight is cancelled and no list
// starts.

// contactsRead is one ContactsBlocklisted call.
type contactsRead struct {
	c        *Client
	ctx      context.Context // the read's: cancelled once it has failed
	cancel   context.CancelFunc
	channel  string
	pageSize int
	batches  [][]string // a nil batch is the whole blocklist

	mu         sync.Mutex
	wg         sync.WaitGroup
	workers    int // running
	maxWorkers int
	nextBatch  int           // the first batch not started
	active     []*offsetList // started and undecided, in batch order
	unsettled  int           // active lists with a failed page still to be decided
	results    [][]BlocklistedContact
	stats      ListStats
	err        error // the read's failure, once decided
}

// offsetList is one list being paged.
type offsetList struct {
	batch   int
	mobiles []string
	pages   [][]BlocklistedContact // by page index, as they arrive
	next    int                    // the next page index to ask for
	ahead   bool                   // the first page was full: read the others ahead
	last    int                    // the first short page, or -1
	failed  int                    // the first failing page, or -1
	failure error
	// inFlight cancels each page request in flight, by index.
	inFlight map[int]context.CancelFunc
	// seen holds, for the rows of each distinct full page, the lowest index
	// of a page with those rows, by their hash; pages whose hash another
	// content holds already are in collided (never, in practice).
	seen     map[uint64]int
	collided []int
}

// pageRequest is one page of one list for a worker to read.
type pageRequest struct {
	list  *offsetList
	index int
	ctx   context.Context
}

func (c *Client) readContacts(ctx context.Context, channel string, batches [][]string, pageSize int) ([][]BlocklistedContact, ListStats, error) {
	r := &contactsRead{
		c: c, channel: channel, pageSize: pageSize, batches: batches,
		maxWorkers: max(c.maxParallel, 1),
		results:    make([][]BlocklistedContact, 0, len(batches)),
		stats:      ListStats{Batches: len(batches)},
	}
	r.ctx, r.cancel = context.WithCancel(ctx)
	defer r.cancel()

	r.mu.Lock()
	r.spawnLocked()
	r.mu.Unlock()
	r.wg.Wait()

	switch {
	case r.err != nil:
		return nil, r.stats, r.err
	case len(r.results) < len(batches):
		// The caller's context ended between two requests.
		return nil, r.stats, fmt.Errorf("kaleyra: %s request cancelled: %w", APIContacts, ctx.Err())
	}
	return r.results, r.stats, nil
}

// spawnLocked starts a worker for each page there is to read, up to the
// bound.
func (r *contactsRead) spawnLocked() {
	for r.workers < r.maxWorkers {
		req, ok := r.takeLocked()
		if !ok {
			return
		}
		r.workers++
		r.wg.Go(func() { r.work(req) })
	}
}

// work reads pages until there is none left to read.
func (r *contactsRead) work(req pageRequest) {
	for {
		page, err := r.fetch(req)
		r.mu.Lock()
		r.recordLocked(req, page, err)
		next, ok := r.takeLocked()
		if !ok {
			r.workers--
			r.mu.Unlock()
			return
		}
		r.spawnLocked()
		r.mu.Unlock()
		req = next
	}
}

// takeLocked hands out the next page to read: a page read ahead of the
// earliest list that has one, else the first page of the next list.
func (r *contactsRead) takeLocked() (pageRequest, bool) {
	if r.err != nil || r.ctx.Err() != nil {
		return pageRequest{}, false
	}
	for _, l := range r.active {
		if s := l.stop(); l.ahead && (s < 0 || l.next <= s) {
			return r.startLocked(l), true
		}
	}
	if r.unsettled > 0 || r.nextBatch >= len(r.batches) {
		return pageRequest{}, false
	}
	l := &offsetList{
		batch: r.nextBatch, mobiles: r.batches[r.nextBatch], last: -1, failed: -1,
		inFlight: make(map[int]context.CancelFunc, r.maxWorkers),
	}
	r.nextBatch++
	r.active = append(r.active, l)
	return r.startLocked(l), true
}

func (r *contactsRead) startLocked(l *offsetList) pageRequest {
	ctx, cancel := context.WithCancel(r.ctx)
	req := pageRequest{list: l, index: l.next, ctx: ctx}
	l.inFlight[l.next] = cancel
	l.next++
	return req
}

// fetch reads one page.
func (r *contactsRead) fetch(req pageRequest) ([]BlocklistedContact, error) {
	offset := req.index * r.pageSize
	page, err := r.c.ContactsBlocklistedPage(req.ctx, ContactsPageRequest{
		Channel: r.channel, Mobiles: req.list.mobiles, Limit: r.pageSize, Offset: offset,
	})
	if err != nil {
		return nil, err
	}
	if len(page) > r.pageSize {
		return nil, fmt.Errorf("kaleyra: the Contacts API answered %d rows for limit %d (page %d); the list cannot be paged reliably", len(page), r.pageSize, req.index+1)
	}
	r.c.log.Debug(req.ctx, "Read a page of blocklisted contacts", map[string]any{
		"page": req.index + 1, "rows": len(page), "offset": offset, "numbers": len(req.list.mobiles),
	})
	return page, nil
}

// recordLocked takes in a page's answer, and decides its list once every
// page that can still count has answered.
func (r *contactsRead) recordLocked(req pageRequest, page []BlocklistedContact, err error) {
	l := req.list
	if cancel, ok := l.inFlight[req.index]; ok {
		cancel()
		delete(l.inFlight, req.index)
	}
	if !slices.Contains(r.active, l) {
		return // decided already: a request cancelled past its end
	}
	if s := l.stop(); s < 0 || req.index <= s {
		switch {
		case err != nil:
			r.failLocked(l, req.index, err)
		case len(page) < r.pageSize:
			l.store(req.index, page)
			l.last = req.index
			l.bound()
		default:
			l.store(req.index, page)
			if repeat, earlier := l.repeat(req.index); repeat >= 0 && (l.stop() < 0 || repeat <= l.stop()) {
				r.failLocked(l, repeat, &RepeatedPageError{
					API: APIContacts, Page: repeat + 1, Earlier: earlier + 1,
					Offset: repeat * r.pageSize, EarlierOffset: earlier * r.pageSize, Rows: r.pageSize,
				})
			}
			l.ahead = true
		}
	}
	r.settleLocked(l)
}

// failLocked records a failing page of l.
func (r *contactsRead) failLocked(l *offsetList, index int, err error) {
	switch {
	case l.failed < 0:
		r.unsettled++
	case index >= l.failed:
		return
	}
	l.failed, l.failure = index, err
	l.bound()
}

// settleLocked decides l once no page that can still count is in flight:
// its rows go to the results, or its failure fails the read.
func (r *contactsRead) settleLocked(l *offsetList) {
	s := l.stop()
	if s < 0 {
		return
	}
	for index := range l.inFlight {
		if index <= s {
			return
		}
	}
	l.bound()
	r.active = slices.DeleteFunc(r.active, func(x *offsetList) bool { return x == l })
	if l.failed >= 0 {
		r.unsettled--
	}
	if l.failed >= 0 && (l.last < 0 || l.failed < l.last) {
		if r.err == nil {
			r.err = l.failure
			if len(r.batches) > 1 {
				r.err = fmt.Errorf("batch %d of %d, %s: %w", l.batch+1, len(r.batches), plural(len(l.mobiles), "number"), l.failure)
			}
			r.cancel()
		}
		return
	}
	rows := l.pages[0]
	if l.last > 0 {
		rows = make([]BlocklistedContact, 0, l.last*r.pageSize+len(l.pages[l.last]))
		for _, p := range l.pages[:l.last+1] {
			rows = append(rows, p...)
		}
	}
	r.results = append(r.results, rows)
	r.stats.Pages += l.last + 1
	r.stats.Rows += len(rows)
	l.pages, l.seen = nil, nil
}

// stop is the highest page index that can still count, or -1 while there
// is no bound yet.
func (l *offsetList) stop() int {
	switch {
	case l.last < 0:
		return l.failed
	case l.failed < 0:
		return l.last
	}
	return min(l.last, l.failed)
}

// bound cancels the requests past the stop.
func (l *offsetList) bound() {
	s := l.stop()
	for index, cancel := range l.inFlight {
		if s >= 0 && index > s {
			cancel()
		}
	}
}

func (l *offsetList) store(index int, page []BlocklistedContact) {
	for len(l.pages) <= index {
		l.pages = append(l.pages, nil)
	}
	l.pages[index] = page
}

// repeat checks the full page just stored at index against the full pages
// stored before it (in any order). Pages with equal rows form a group, kept
// by its lowest index; when index joins a group, the later of index and
// that lowest one is a repeat of the earlier. Over all arrivals, the lowest
// repeat found is the second-lowest index of its group: the first page a
// sequential read would find repeating an earlier one. It returns the
// repeat and the page it repeats, or -1.
func (l *offsetList) repeat(index int) (repeat, earlier int) {
	page := l.pages[index]
	h := hashRows(page)
	if l.seen == nil {
		l.seen = make(map[uint64]int)
	}
	first, ok := l.seen[h]
	switch {
	case !ok:
		l.seen[h] = index
		return -1, -1
	case slices.Equal(l.pages[first], page):
		l.seen[h] = min(first, index)
		return max(first, index), min(first, index)
	}
	for i, first := range l.collided {
		if slices.Equal(l.pages[first], page) {
			l.collided[i] = min(first, index)
			return max(first, index), min(first, index)
		}
	}
	l.collided = append(l.collided, index)
	return -1, -1
}

// hashRows is the FNV-1a hash of a page's rows.
func hashRows(rows []BlocklistedContact) uint64 {
	const prime = 1099511628211
	h := uint64(14695981039346656037)
	add := func(s string) {
		for i := range len(s) {
			h = (h ^ uint64(s[i])) * prime
		}
		h = (h ^ 0xff) * prime // no string ends with 0xff: "ab","c" ≠ "a","bc"
	}
	for _, r := range rows {
		add(r.Mobile)
		add(r.ChannelType)
	}
	return h
}

// RepeatedPageError is a full page of a contacts list (the whole blocklist,
// or one batch of numbers) with exactly the rows of an earlier full page of
// the same list: the API, or a proxy or gateway in front of it, ignored the
// offset. Reading on would never end (every page full) or return rows
// twice. It never shows the rows.
type RepeatedPageError struct {
	API API
	// Page and Earlier are 1-based page numbers, Offset and EarlierOffset
	// the offsets asked for them.
	Page, Earlier         int
	Offset, EarlierOffset int
	Rows                  int // rows on each of the two pages
}

func (e *RepeatedPageError) Error() string {
	return fmt.Sprintf("the %s API returned the same page again: page %d (offset %d) has exactly the %d rows of page %d (offset %d); "+
		"it, or a proxy or gateway in front of it, is likely ignoring offset, so the list cannot be read completely",
		e.API, e.Page, e.Offset, e.Rows, e.Earlier, e.EarlierOffset)
}
