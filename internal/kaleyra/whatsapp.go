package kaleyra

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// WhatsApp API versions.
const (
	WhatsAppV2 = "v2"
	WhatsAppV1 = "v1"
)

// WhatsApp paging bounds and defaults.
const (
	WhatsAppMinPageSize     = 1
	WhatsAppMaxPageSize     = 1000
	WhatsAppDefaultPageSize = 100
	// MaxBlocklistRestarts bounds the restarts after Meta's 139102.
	MaxBlocklistRestarts = 3
)

// BlockedUser is one WhatsApp user a business number has blocked.
type BlockedUser struct {
	WAID             string `json:"wa_id"`
	MessagingProduct string `json:"messaging_product"`
}

// WhatsAppPageRequest asks for one page of blocked users.
type WhatsAppPageRequest struct {
	PhoneNumber string // the business number, E.164
	APIVersion  string // v2 (default) or v1
	Limit       int    // 0 leaves it to the API
	After       string
}

// WhatsAppPage is one page of blocked users.
type WhatsAppPage struct {
	Users  []BlockedUser
	Before string
	After  string
	// HasNext tells whether paging.next was present; Next is its value.
	HasNext bool
	Next    string
}

// WhatsAppBlockedUsersPage fetches one page of the users blocked by a
// business number.
func (c *Client) WhatsAppBlockedUsersPage(ctx context.Context, req WhatsAppPageRequest) (*WhatsAppPage, error) {
	version := req.APIVersion
	if version == "" {
		version = WhatsAppV2
	}
	if version != WhatsAppV1 && version != WhatsAppV2 {
		return nil, fmt.Errorf("kaleyra: unknown WhatsApp API version %q: expected v2 or v1", version)
	}
	q := url.Values{}
	if req.Limit > 0 {
		q.Set("limit", strconv.Itoa(req.Limit))
	}
	if req.After != "" {
		q.Set("after", req.After)
	}
	users, env, err := getRows[BlockedUser](ctx, c, APIWhatsApp, []string{version, c.sid, "whatsapp", req.PhoneNumber, "block_users"}, q)
	if err != nil {
		return nil, err
	}
	return whatsAppPage(users, env)
}

// whatsAppPage checks a page's users and takes its cursors.
func whatsAppPage(users []BlockedUser, env *envelope) (*WhatsAppPage, error) {
	page := &WhatsAppPage{Users: users}
	for i, u := range page.Users {
		if u.WAID == "" {
			return nil, fmt.Errorf("kaleyra: blocked user %d on the page has no wa_id", i)
		}
	}
	if p := env.Paging; p != nil {
		page.Before, page.After = p.Cursors.Before, p.Cursors.After
		if p.Next != nil {
			page.HasNext, page.Next = true, *p.Next
		}
	}
	return page, nil
}

// WhatsAppBlockedUserPages yields every page of the blocked users, following
// the after cursors to the end.
func (c *Client) WhatsAppBlockedUserPages(ctx context.Context, req WhatsAppPageRequest) iter.Seq2[*WhatsAppPage, error] {
	return cursorPages(ctx, c.redact, func(ctx context.Context, after string) (*WhatsAppPage, error) {
		r := req
		r.After = after
		return c.WhatsAppBlockedUsersPage(ctx, r)
	})
}

// WhatsAppListRequest asks for a whole blocked-users list.
type WhatsAppListRequest struct {
	PhoneNumber string
	APIVersion  string
	PageSize    int // default WhatsAppDefaultPageSize
}

// WhatsAppBlockedUsers reads every user blocked by a business number, sorted
// by wa_id and unique. When the API reports that the list changed while it
// was paged (139102), the read starts over, at most MaxBlocklistRestarts
// times. It never returns a partial list.
func (c *Client) WhatsAppBlockedUsers(ctx context.Context, req WhatsAppListRequest) ([]BlockedUser, ListStats, error) {
	start := time.Now()
	stats := ListStats{}
	pageReq := WhatsAppPageRequest{PhoneNumber: req.PhoneNumber, APIVersion: req.APIVersion, Limit: req.PageSize}
	if pageReq.Limit <= 0 {
		pageReq.Limit = WhatsAppDefaultPageSize
	}
	for {
		users, err := c.readBlockedUsers(ctx, pageReq, &stats)
		var apiErr *APIError
		if errors.As(err, &apiErr) && apiErr.IsBlocklistChanged() && stats.Restarts < MaxBlocklistRestarts {
			stats.Restarts++
			c.log.Info(ctx, "WhatsApp blocklist changed while it was read; starting again from the first page", map[string]any{
				"restart": stats.Restarts, "max_restarts": MaxBlocklistRestarts,
			})
			continue
		}
		stats.Elapsed = time.Since(start)
		if err != nil {
			if errors.As(err, &apiErr) && apiErr.IsBlocklistChanged() {
				return nil, stats, fmt.Errorf("kaleyra: gave up after %s from the first page: %w", plural(stats.Restarts, "restart"), err)
			}
			return nil, stats, err
		}
		return sortUniqueUsers(users), stats, nil
	}
}

func (c *Client) readBlockedUsers(ctx context.Context, req WhatsAppPageRequest, stats *ListStats) ([]BlockedUser, error) {
	var users []BlockedUser
	for page, err := range c.WhatsAppBlockedUserPages(ctx, req) {
		if err != nil {
			return nil, err
		}
		stats.Pages++
		stats.Rows += len(page.Users)
		if users == nil {
			users = make([]BlockedUser, 0, max(len(page.Users), 16))
		}
		users = append(users, page.Users...)
		c.log.Debug(ctx, "Read a page of WhatsApp blocked users", map[string]any{
			"page": stats.Pages, "rows": len(page.Users), "total_rows": len(users),
		})
	}
	return users, nil
}

func sortUniqueUsers(users []BlockedUser) []BlockedUser {
	slices.SortFunc(users, func(a, b BlockedUser) int { return strings.Compare(a.WAID, b.WAID) })
	return slices.CompactFunc(users, func(a, b BlockedUser) bool { return a.WAID == b.WAID })
}
