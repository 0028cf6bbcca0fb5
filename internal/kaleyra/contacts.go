package kaleyra

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// Contacts channels, paging bounds and the per-request number cap.
const (
	ChannelSMS      = "sms"
	ChannelWhatsApp = "whatsapp"
	ChannelVoice    = "voice"

	ContactsMinPageSize     = 1
	ContactsMaxPageSize     = 100
	ContactsDefaultPageSize = 100
	// MaxMobilesPerRequest is the API's cap on numbers in one `mobile`.
	MaxMobilesPerRequest = 100
)

// Channels lists the channels the contacts API filters on.
func Channels() []string { return []string{ChannelSMS, ChannelWhatsApp, ChannelVoice} }

// documentedChannelTypes holds the channel_type codes Kaleyra documents: the
// API page's sample answers a whatsapp query with "3". Other codes are not
// documented and are not guessed.
var documentedChannelTypes = map[string]string{"3": ChannelWhatsApp}

// ChannelForType names the channel of a documented channel_type code.
func ChannelForType(channelType string) (string, bool) {
	ch, ok := documentedChannelTypes[channelType]
	return ch, ok
}

// BlocklistedContact is one row of the contacts blocklist.
type BlocklistedContact struct {
	Mobile      string `json:"mobile"`
	ChannelType string `json:"channel_type"`
}

// contactRow is a row as sent: channel_type is documented as a string,
// but a number is accepted too.
type contactRow struct {
	Mobile      string   `json:"mobile"`
	ChannelType flexText `json:"channel_type"`
}

// flexText decodes a JSON string as itself and any other value (a number)
// as its text; null is empty.
type flexText string

func (f *flexText) UnmarshalJSON(data []byte) error {
	switch {
	case len(data) > 0 && data[0] == '"':
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		*f = flexText(s)
	case string(data) == "null":
		*f = ""
	default:
		*f = flexText(jsonText(data))
	}
	return nil
}

// ContactsPageRequest asks for one page of the blocklist.
type ContactsPageRequest struct {
	Channel string   // "" for every channel
	Mobiles []string // at most MaxMobilesPerRequest; none for the whole list
	Limit   int      // 0 leaves it to the API
	Offset  int
}

// ContactsBlocklistedPage fetches one page of blocklisted contacts.
func (c *Client) ContactsBlocklistedPage(ctx context.Context, req ContactsPageRequest) ([]BlocklistedContact, error) {
	if len(req.Mobiles) > MaxMobilesPerRequest {
		return nil, fmt.Errorf("kaleyra: %d numbers in one request; the API takes at most %d", len(req.Mobiles), MaxMobilesPerRequest)
	}
	q := url.Values{}
	if req.Limit > 0 {
		q.Set("limit", strconv.Itoa(req.Limit))
	}
	q.Set("offset", strconv.Itoa(req.Offset))
	if req.Channel != "" {
		q.Set("channel", req.Channel)
	}
	if len(req.Mobiles) > 0 {
		q.Set("mobile", strings.Join(req.Mobiles, ","))
	}
	rows, _, err := getRows[contactRow](ctx, c, APIContacts, []string{"v1", c.sid, "contacts", "blocklisted"}, q)
	if err != nil {
		return nil, err
	}
	return contactsPage(rows)
}

// contactsPage checks a page's rows: every row must have a mobile.
func contactsPage(rows []contactRow) ([]BlocklistedContact, error) {
	out := make([]BlocklistedContact, len(rows))
	for i, r := range rows {
		if r.Mobile == "" {
			return nil, fmt.Errorf("kaleyra: blocklisted contact %d on the page has no mobile", i)
		}
		out[i] = BlocklistedContact{Mobile: r.Mobile, ChannelType: string(r.ChannelType)}
	}
	return out, nil
}

// ContactsListRequest asks for a whole blocklist, or for the rows of any
// number of numbers.
type ContactsListRequest struct {
	Channel string
	// Mobiles, when not nil, are the numbers to look up, any count; nil
	// reads the whole blocklist.
	Mobiles  []string
	PageSize int // default ContactsDefaultPageSize
}

// ContactsBlocklisted reads the blocklist completely. Numbers are looked up
// once each, in batches of at most MaxMobilesPerRequest read in parallel
// (bounded by the client's MaxParallel); each batch is paged to its end. The
// rows are merged, unique by (mobile, channel_type) and sorted. Any failing
// batch fails the whole read.
func (c *Client) ContactsBlocklisted(ctx context.Context, req ContactsListRequest) ([]BlocklistedContact, ListStats, error) {
	start := time.Now()
	pageSize := req.PageSize
	if pageSize <= 0 {
		pageSize = ContactsDefaultPageSize
	}
	var batches [][]string
	if req.Mobiles == nil {
		batches = [][]string{nil}
	} else {
		batches = slices.Collect(slices.Chunk(uniqueSorted(req.Mobiles), MaxMobilesPerRequest))
	}

	var (
		mu    sync.Mutex
		rows  []BlocklistedContact
		stats = ListStats{Batches: len(batches)}
	)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.maxParallel)
	for i, batch := range batches {
		g.Go(func() error {
			got, pages, err := c.readContactsBatch(gctx, req.Channel, batch, pageSize)
			if err != nil {
				if len(batches) > 1 {
					return fmt.Errorf("batch %d of %d, %s: %w", i+1, len(batches), plural(len(batch), "number"), err)
				}
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			rows = append(rows, got...)
			stats.Pages += pages
			stats.Rows += len(got)
			return nil
		})
	}
	err := g.Wait()
	stats.Elapsed = time.Since(start)
	if err != nil {
		return nil, stats, err
	}
	slices.SortFunc(rows, func(a, b BlocklistedContact) int {
		return cmp.Or(strings.Compare(a.Mobile, b.Mobile), strings.Compare(a.ChannelType, b.ChannelType))
	})
	rows = slices.Compact(rows)
	if rows == nil {
		rows = []BlocklistedContact{}
	}
	return rows, stats, nil
}

// readContactsBatch reads one list (the whole blocklist, or one batch of
// numbers) to its end: offset advances by the rows received and a page
// shorter than the limit is the last. The first page is read alone, so a
// list that fits on it costs one request; after a full first page the
// offsets limit, 2·limit, … are independent requests and are read with up
// to the client's MaxParallel in flight, ahead of the first short page.
// The result is what a sequential read gives: the pages up to the first
// short one, in order. Requests past that page (at most MaxParallel-1,
// sent before it answered) are cancelled and their rows and errors
// ignored. Any other failing page fails the read and cancels the rest.
func (c *Client) readContactsBatch(ctx context.Context, channel string, mobiles []string, pageSize int) ([]BlocklistedContact, int, error) {
	fetch := func(ctx context.Context, index int) ([]BlocklistedContact, error) {
		page, err := c.ContactsBlocklistedPage(ctx, ContactsPageRequest{
			Channel: channel, Mobiles: mobiles, Limit: pageSize, Offset: index * pageSize,
		})
		if err != nil {
			return nil, err
		}
		if len(page) > pageSize {
			return nil, fmt.Errorf("kaleyra: the Contacts API answered %d rows for limit %d (page %d); the list cannot be paged reliably", len(page), pageSize, index+1)
		}
		c.log.Debug(ctx, "Read a page of blocklisted contacts", map[string]any{
			"page": index + 1, "rows": len(page), "offset": index * pageSize, "numbers": len(mobiles),
		})
		return page, nil
	}

	first, err := fetch(ctx, 0)
	if err != nil {
		return nil, 0, err
	}
	if len(first) < pageSize {
		return first, 1, nil
	}
	pages, err := c.readPagesAhead(ctx, fetch, pageSize)
	if err != nil {
		return nil, 0, err
	}
	rows := make([]BlocklistedContact, 0, len(first)+len(pages)*pageSize)
	rows = append(rows, first...)
	for _, p := range pages {
		rows = append(rows, p...)
	}
	return rows, 1 + len(pages), nil
}

// readPagesAhead reads pages 1, 2, … with up to MaxParallel workers until
// the first page shorter than pageSize, and returns pages 1 to that one in
// order. It decides as a sequential read would: a page past the first
// short one never counts, its rows nor its error; a failing page before it
// fails the read, and stops and cancels every request after it.
func (c *Client) readPagesAhead(ctx context.Context, fetch func(context.Context, int) ([]BlocklistedContact, error), pageSize int) ([][]BlocklistedContact, error) {
	var (
		mu      sync.Mutex
		pages   = map[int][]BlocklistedContact{}
		next    = 1
		last    = -1 // index of the first short page, once known
		failed  = -1 // index of the first failed page, once known
		failure error
		cancels = map[int]context.CancelFunc{}
		wg      sync.WaitGroup
	)
	// stop is the highest page that can still count, or -1 for no bound yet.
	stop := func() int {
		switch {
		case last < 0:
			return failed
		case failed < 0:
			return last
		}
		return min(last, failed)
	}
	// bound cancels the requests past the stop.
	bound := func() {
		for i, cancel := range cancels {
			if i > stop() {
				cancel()
			}
		}
	}
	for range max(c.maxParallel, 1) {
		wg.Go(func() {
			for {
				mu.Lock()
				if s := stop(); (s >= 0 && next > s) || ctx.Err() != nil {
					mu.Unlock()
					return
				}
				index := next
				next++
				pctx, cancel := context.WithCancel(ctx)
				cancels[index] = cancel
				mu.Unlock()

				page, err := fetch(pctx, index)
				cancel()

				mu.Lock()
				delete(cancels, index)
				if s := stop(); s >= 0 && index > s {
					// Past the end or a failure: a sequential read would
					// never have asked.
					mu.Unlock()
					continue
				}
				switch {
				case err != nil:
					failed, failure = index, err
					bound()
				case len(page) < pageSize:
					pages[index] = page
					last = index
					bound()
				default:
					pages[index] = page
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if failed >= 0 && (last < 0 || failed < last) {
		return nil, failure
	}
	out := make([][]BlocklistedContact, 0, last)
	for i := 1; i <= last; i++ {
		out = append(out, pages[i])
	}
	return out, nil
}

func uniqueSorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}
