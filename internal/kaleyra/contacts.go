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
	"time"
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
// once each, in batches of at most MaxMobilesPerRequest; the whole list and
// each batch is paged to its end by offset, with at most the client's
// MaxParallel requests of the read in flight (see contacts_paging.go). The
// rows are merged, unique by (mobile, channel_type) and sorted. Any failing
// batch, or a page that repeats an earlier one, fails the whole read.
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

	lists, stats, err := c.readContacts(ctx, req.Channel, batches, pageSize)
	stats.Elapsed = time.Since(start)
	if err != nil {
		return nil, stats, err
	}
	rows := []BlocklistedContact{}
	switch len(lists) {
	case 0:
	case 1:
		rows = lists[0]
	default:
		rows = slices.Concat(lists...)
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

func uniqueSorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}
