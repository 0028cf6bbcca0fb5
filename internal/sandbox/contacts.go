package sandbox

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Contacts paging bounds and the per-request number cap (documented).
const (
	ContactsDefaultLimit = 100
	ContactsMaxLimit     = 100
	ContactsMaxMobiles   = 100
)

type contactRow struct {
	Mobile      string `json:"mobile"`
	ChannelType string `json:"channel_type"`
}

// blocklist is an account's contacts blocklist with its indexes. It is never
// changed once built; SetBlocklist swaps in a new one.
type blocklist struct {
	rows      []contactRow       // stored order, channel_type resolved
	channels  []string           // channel name per row
	byChannel map[string][]int32 // row indexes, ascending
	byMobile  map[string][]int32 // row indexes, ascending
}

func newBlocklist(entries []BlocklistEntry, channelTypes map[string]string) (*blocklist, error) {
	if len(entries) > math.MaxInt32 {
		return nil, fmt.Errorf("%d rows is too many", len(entries))
	}
	b := &blocklist{
		rows:      make([]contactRow, len(entries)),
		channels:  make([]string, len(entries)),
		byChannel: make(map[string][]int32, len(channelTypes)),
		byMobile:  make(map[string][]int32, len(entries)),
	}
	for i, e := range entries {
		ct, ok := channelTypes[e.Channel]
		switch {
		case !e164Pattern.MatchString(e.Mobile):
			return nil, fmt.Errorf("[%d] mobile %q is not E.164 (+ and 8 to 15 digits)", i, e.Mobile)
		case !ok:
			return nil, fmt.Errorf("[%d] channel %q must be one of %s", i, e.Channel, channelList(channelTypes))
		}
		b.rows[i] = contactRow{Mobile: e.Mobile, ChannelType: ct}
		b.channels[i] = e.Channel
		b.byChannel[e.Channel] = append(b.byChannel[e.Channel], int32(i))
		b.byMobile[e.Mobile] = append(b.byMobile[e.Mobile], int32(i))
	}
	return b, nil
}

func channelList(channelTypes map[string]string) string {
	names := make([]string, 0, len(channelTypes))
	for name := range channelTypes {
		names = append(names, name)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// page returns rows [offset, offset+limit) of the blocklist filtered by
// channel ("" for all) and mobiles (nil for all), in stored order. The work
// is proportional to the page, or to the rows of the queried mobiles.
func (b *blocklist) page(channel string, mobiles []string, offset, limit int) []contactRow {
	var idx []int32
	switch {
	case mobiles != nil:
		seen := make(map[string]struct{}, len(mobiles))
		for _, m := range mobiles {
			if _, dup := seen[m]; dup {
				continue
			}
			seen[m] = struct{}{}
			for _, i := range b.byMobile[m] {
				if channel == "" || b.channels[i] == channel {
					idx = append(idx, i)
				}
			}
		}
		slices.Sort(idx)
	case channel != "":
		idx = b.byChannel[channel]
	default:
		n := len(b.rows)
		if offset >= n {
			return []contactRow{}
		}
		return b.rows[offset : offset+min(limit, n-offset)]
	}
	n := len(idx)
	if offset >= n {
		return []contactRow{}
	}
	out := make([]contactRow, 0, min(limit, n-offset))
	for _, i := range idx[offset : offset+min(limit, n-offset)] {
		out = append(out, b.rows[i])
	}
	return out
}

// splitMobiles splits a mobile parameter at commas and trims the spaces
// around each item. A literal '+' in a query decodes to a space, so it is
// trimmed away here and the item then fails E.164: never repaired.
func splitMobiles(v string) []string {
	items := strings.Split(v, ",")
	for i, item := range items {
		items[i] = strings.Trim(item, " ")
	}
	return items
}

// contacts answers GET /v1/{sid}/contacts/blocklisted for an authenticated
// account. The request is validated first, then the account's state (API
// unavailable, low balance) is checked.
func (s *Server) contacts(acc *account, q url.Values) response {
	if !onlyParams(q, "limit", "offset", "channel", "mobile") {
		return badRequest()
	}
	limit, okLimit := intParam(q, "limit", 1, ContactsMaxLimit, ContactsDefaultLimit)
	offset, okOffset := intParam(q, "offset", 0, math.MaxInt32, 0)
	if !okLimit || !okOffset {
		return badRequest()
	}
	channel, hasChannel := param(q, "channel")
	if _, known := s.channelTypes[channel]; hasChannel && !known {
		return badRequest()
	}
	var mobiles []string
	if v, ok := param(q, "mobile"); ok {
		mobiles = splitMobiles(v)
		if len(mobiles) > ContactsMaxMobiles {
			return badRequest()
		}
		for _, m := range mobiles {
			if !e164Pattern.MatchString(m) {
				return badRequest()
			}
		}
	}
	switch {
	case acc.contactsUnavailable:
		return documented(codeUnavailable, "contacts")
	case acc.lowBalance:
		return documented(codeLowBalance, "contacts")
	}
	s.mu.RLock()
	bl := acc.blocklist
	s.mu.RUnlock()
	return jsonResponse(http.StatusOK, envelope{
		Code:    codeContactsOK,
		Message: msgContactsOK,
		Data:    bl.page(channel, mobiles, offset, limit),
		Error:   emptyObject,
	})
}
