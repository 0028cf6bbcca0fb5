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
					return fmt.Errorf("batch %d of %d (%d numbers): %w", i+1, len(batches), len(batch), err)
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

// readContactsBatch pages one batch to its end: offset advances by the rows
// received and a page shorter than the limit is the last.
func (c *Client) readContactsBatch(ctx context.Context, channel string, mobiles []string, pageSize int) ([]BlocklistedContact, int, error) {
	var rows []BlocklistedContact
	pages := 0
	for offset := 0; ; {
		page, err := c.ContactsBlocklistedPage(ctx, ContactsPageRequest{
			Channel: channel, Mobiles: mobiles, Limit: pageSize, Offset: offset,
		})
		if err != nil {
			return nil, pages, err
		}
		pages++
		rows = append(rows, page...)
		offset += len(page)
		c.log.Debug(ctx, "Read a page of blocklisted contacts", map[string]any{
			"page": pages, "rows": len(page), "offset": offset, "numbers": len(mobiles),
		})
		if len(page) < pageSize {
			return rows, pages, nil
		}
	}
}

func uniqueSorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}
