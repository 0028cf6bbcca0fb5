package kaleyra_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/kaleyra"
	"github.com/kaleyra/terraform-provider-kaleyra/internal/sandbox"
)

func TestWhatsAppBlockedUsersPaging(t *testing.T) {
	// Paging ends on the empty page that follows the last after cursor:
	// ⌈n/limit⌉ pages with rows, plus that one. Where the API sends
	// paging.next, its absence on the last page with rows ends it instead.
	cases := []struct {
		users, pageSize, wantLimit int
		pagingNext                 bool
		wantRequests               int
	}{
		{users: 300, pageSize: 1, wantLimit: 1, wantRequests: 301},
		{users: 250, pageSize: 0, wantLimit: kaleyra.WhatsAppDefaultPageSize, wantRequests: 4},
		{users: 1000, pageSize: 100, wantLimit: 100, wantRequests: 11},
		{users: 1000, pageSize: 1000, wantLimit: 1000, wantRequests: 2},
		{users: 2345, pageSize: 7, wantLimit: 7, wantRequests: ceilDiv(2345, 7) + 1},
		{users: 2345, pageSize: 1000, wantLimit: 1000, wantRequests: 4},
		{users: 1000, pageSize: 100, wantLimit: 100, pagingNext: true, wantRequests: 10},
		{users: 2345, pageSize: 7, wantLimit: 7, pagingNext: true, wantRequests: ceilDiv(2345, 7)},
		{users: 2345, pageSize: 1000, wantLimit: 1000, pagingNext: true, wantRequests: 3},
		// A single page carries no paging.next, so nothing shows the API sends
		// it: the empty page after the cursor ends the list.
		{users: 1000, pageSize: 1000, wantLimit: 1000, pagingNext: true, wantRequests: 2},
		{users: 0, pageSize: 100, wantLimit: 100, wantRequests: 1},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("users=%d/page_size=%d/next=%t", tc.users, tc.pageSize, tc.pagingNext), func(t *testing.T) {
			t.Parallel()
			stored := waIDs(919000000000, tc.users)
			sb := startSandbox(t, testSeed(stored, nil), sandbox.Options{PagingNext: tc.pagingNext})
			c := newClient(t, sb.URL())

			users, stats, err := c.WhatsAppBlockedUsers(context.Background(), kaleyra.WhatsAppListRequest{
				PhoneNumber: v2Number, PageSize: tc.pageSize,
			})
			if err != nil {
				t.Fatalf("WhatsAppBlockedUsers: %v", err)
			}
			if got, want := userIDs(users), sortedUnique(stored); !slices.Equal(got, want) {
				t.Fatalf("got %d users, want %d sorted (first got %v)", len(got), len(want), got[:min(3, len(got))])
			}
			for _, u := range users {
				if u.MessagingProduct != "whatsapp" {
					t.Fatalf("user %s has messaging_product %q", u.WAID, u.MessagingProduct)
				}
			}

			reqs := sb.Requests()
			if len(reqs) != tc.wantRequests {
				t.Errorf("%d requests, want %d", len(reqs), tc.wantRequests)
			}
			for i, r := range reqs {
				if got := r.Query.Get("limit"); got != strconv.Itoa(tc.wantLimit) {
					t.Fatalf("request %d: limit=%q, want %d", i, got, tc.wantLimit)
				}
				if _, has := r.Query["after"]; has != (i > 0) {
					t.Fatalf("request %d: after present = %t (query %s)", i, has, r.RawQuery)
				}
			}
			if stats.Pages != len(reqs) || stats.Rows != tc.users || stats.Restarts != 0 {
				t.Errorf("stats = %+v; want %d pages, %d rows, 0 restarts", stats, len(reqs), tc.users)
			}
		})
	}
}

func TestWhatsAppBlockedUsersRaggedPages(t *testing.T) {
	// Middle pages shorter than the limit are not the end of the list.
	for _, next := range []bool{false, true} {
		t.Run(fmt.Sprintf("next=%t", next), func(t *testing.T) {
			t.Parallel()
			stored := waIDs(447700000000, 1500)
			sb := startSandbox(t, testSeed(stored, nil), sandbox.Options{RaggedPages: true, PagingNext: next})
			c := newClient(t, sb.URL())

			users, _, err := c.WhatsAppBlockedUsers(context.Background(), kaleyra.WhatsAppListRequest{
				PhoneNumber: v2Number, PageSize: 100,
			})
			if err != nil {
				t.Fatalf("WhatsAppBlockedUsers: %v", err)
			}
			if got, want := userIDs(users), sortedUnique(stored); !slices.Equal(got, want) {
				t.Fatalf("got %d users, want all %d", len(got), len(want))
			}
			// The pages really were ragged: more requests than full pages need.
			if n := len(sb.Requests()); n <= ceilDiv(len(stored), 100)+1 {
				t.Fatalf("%d requests: the pages were not ragged", n)
			}
		})
	}
}

func TestWhatsAppBlockedUsersDuplicatesComeOutOnce(t *testing.T) {
	ids := waIDs(919100000000, 200)
	again := slices.Clone(ids[:60])
	slices.Reverse(again)
	stored := slices.Concat(ids, again, []string{ids[7], ids[7]})
	sb := startSandbox(t, testSeed(stored, nil), sandbox.Options{})
	c := newClient(t, sb.URL())

	users, stats, err := c.WhatsAppBlockedUsers(context.Background(), kaleyra.WhatsAppListRequest{
		PhoneNumber: v2Number, PageSize: 50,
	})
	if err != nil {
		t.Fatalf("WhatsAppBlockedUsers: %v", err)
	}
	if got, want := userIDs(users), sortedUnique(ids); !slices.Equal(got, want) {
		t.Fatalf("got %d users %v..., want the %d unique ones sorted", len(got), got[:min(5, len(got))], len(want))
	}
	if stats.Rows != len(stored) {
		t.Errorf("stats.Rows = %d, want the %d rows received", stats.Rows, len(stored))
	}
}

func TestWhatsAppBlockedUserPagesIterator(t *testing.T) {
	stored := waIDs(919200000000, 95)
	sb := startSandbox(t, testSeed(stored, nil), sandbox.Options{})
	c := newClient(t, sb.URL())
	req := kaleyra.WhatsAppPageRequest{PhoneNumber: v2Number, Limit: 10}

	t.Run("every page in API order", func(t *testing.T) {
		sb.ResetRequests()
		var got [][]string
		for page, err := range c.WhatsAppBlockedUserPages(context.Background(), req) {
			if err != nil {
				t.Fatalf("page %d: %v", len(got)+1, err)
			}
			got = append(got, userIDs(page.Users))
		}
		want := slices.Collect(slices.Chunk(stored, 10))
		want = append(want, []string{}) // the empty page after the last cursor
		if len(got) != len(want) {
			t.Fatalf("%d pages, want %d", len(got), len(want))
		}
		for i := range want {
			if !slices.Equal(got[i], want[i]) {
				t.Fatalf("page %d = %v, want %v", i+1, got[i], want[i])
			}
		}
	})

	t.Run("breaking stops the requests", func(t *testing.T) {
		sb.ResetRequests()
		pages := 0
		for _, err := range c.WhatsAppBlockedUserPages(context.Background(), req) {
			if err != nil {
				t.Fatal(err)
			}
			pages++
			if pages == 2 {
				break
			}
		}
		if n := len(sb.Requests()); n != 2 {
			t.Fatalf("%d requests after reading 2 pages, want 2", n)
		}
	})
}

func TestWhatsAppBlocklistChangedRestartsFromPageOne(t *testing.T) {
	stored := waIDs(919300000000, 500)
	added := []string{"919399999991", "100000000001"} // one sorts first, one last
	sb := startSandbox(t, testSeed(stored, nil), sandbox.Options{})
	sb.AddFault(sandbox.Fault{API: "whatsapp", BlocklistChanged: true, AddBlocked: added, Skip: 3})
	log := &recordingLogger{}
	c := newClient(t, sb.URL(), func(cfg *kaleyra.Config) { cfg.Logger = log })

	users, stats, err := c.WhatsAppBlockedUsers(context.Background(), kaleyra.WhatsAppListRequest{
		PhoneNumber: v2Number, PageSize: 100,
	})
	if err != nil {
		t.Fatalf("WhatsAppBlockedUsers: %v", err)
	}
	if got, want := userIDs(users), sortedUnique(slices.Concat(stored, added)); !slices.Equal(got, want) {
		t.Fatalf("got %d users, want %d including the added ones", len(got), len(want))
	}
	if stats.Restarts != 1 {
		t.Errorf("stats.Restarts = %d, want 1", stats.Restarts)
	}
	reqs := sb.Requests()
	// 3 pages, the 139102, then the whole list of 502 again: 6 pages + the empty one.
	if want := 3 + 1 + ceilDiv(502, 100) + 1; len(reqs) != want {
		t.Fatalf("%d requests, want %d", len(reqs), want)
	}
	if reqs[3].Code != kaleyra.CodeBlocklistChanged {
		t.Fatalf("request 4 answered %q, want the 139102 fault", reqs[3].Code)
	}
	if _, has := reqs[4].Query["after"]; has {
		t.Fatalf("the restart did not start from page one: %s", reqs[4].RawQuery)
	}
	if !slices.ContainsFunc(log.all(), func(e logEntry) bool { return strings.Contains(e.msg, "starting again") }) {
		t.Error("the restart was not logged")
	}
}

func TestWhatsAppBlocklistChangedRestartsAreBounded(t *testing.T) {
	stored := waIDs(919400000000, 30)
	req := kaleyra.WhatsAppListRequest{PhoneNumber: v2Number, PageSize: 10}

	t.Run("exactly the maximum succeeds", func(t *testing.T) {
		sb := startSandbox(t, testSeed(stored, nil), sandbox.Options{})
		sb.AddFault(sandbox.Fault{API: "whatsapp", BlocklistChanged: true, Times: kaleyra.MaxBlocklistRestarts})
		users, stats, err := newClient(t, sb.URL()).WhatsAppBlockedUsers(context.Background(), req)
		if err != nil {
			t.Fatalf("WhatsAppBlockedUsers: %v", err)
		}
		if len(users) != len(stored) || stats.Restarts != kaleyra.MaxBlocklistRestarts {
			t.Fatalf("%d users, %d restarts; want %d users, %d restarts", len(users), stats.Restarts, len(stored), kaleyra.MaxBlocklistRestarts)
		}
	})

	t.Run("one more is an error", func(t *testing.T) {
		sb := startSandbox(t, testSeed(stored, nil), sandbox.Options{})
		sb.AddFault(sandbox.Fault{API: "whatsapp", BlocklistChanged: true, Times: -1})
		users, stats, err := newClient(t, sb.URL()).WhatsAppBlockedUsers(context.Background(), req)
		if err == nil {
			t.Fatalf("no error; got %d users", len(users))
		}
		if users != nil {
			t.Errorf("a failed read returned %d users", len(users))
		}
		if !asAPIError(t, err).IsBlocklistChanged() {
			t.Errorf("the error does not report 139102: %v", err)
		}
		if want := fmt.Sprintf("gave up after %d restarts from the first page", kaleyra.MaxBlocklistRestarts); !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
		if n := len(sb.Requests()); n != kaleyra.MaxBlocklistRestarts+1 || stats.Restarts != kaleyra.MaxBlocklistRestarts {
			t.Errorf("%d requests and %d restarts; want %d and %d", n, stats.Restarts, kaleyra.MaxBlocklistRestarts+1, kaleyra.MaxBlocklistRestarts)
		}
	})
}

func TestWhatsAppCursorLoopIsAnError(t *testing.T) {
	stored := waIDs(919500000000, 1000)
	for _, tc := range []struct {
		skip int
		next bool
	}{{1, false}, {4, false}, {1, true}, {6, true}} {
		t.Run(fmt.Sprintf("skip=%d/next=%t", tc.skip, tc.next), func(t *testing.T) {
			t.Parallel()
			sb := startSandbox(t, testSeed(stored, nil), sandbox.Options{PagingNext: tc.next})
			sb.AddFault(sandbox.Fault{API: "whatsapp", CursorLoop: true, Skip: tc.skip})
			c := newClient(t, sb.URL())

			users, _, err := c.WhatsAppBlockedUsers(context.Background(), kaleyra.WhatsAppListRequest{
				PhoneNumber: v2Number, PageSize: 100,
			})
			var loop *kaleyra.CursorLoopError
			if !errors.As(err, &loop) {
				t.Fatalf("error = %v (%d users), want a *kaleyra.CursorLoopError", err, len(users))
			}
			if users != nil {
				t.Errorf("a cursor loop returned %d users", len(users))
			}
			reqs := sb.Requests()
			if len(reqs) != tc.skip+1 {
				t.Fatalf("%d requests, want %d", len(reqs), tc.skip+1)
			}
			// The cursor handed back is the one the looping request was sent
			// with, redacted (a random cursor can hold a run of digits).
			if sent := c.Redactor().String(reqs[tc.skip].Query.Get("after")); loop.Cursor != sent || loop.Page != tc.skip+1 {
				t.Errorf("CursorLoopError{Cursor: %q, Page: %d}; want cursor %q, page %d", loop.Cursor, loop.Page, sent, tc.skip+1)
			}
		})
	}

	t.Run("the iterator yields the pages, then the error", func(t *testing.T) {
		sb := startSandbox(t, testSeed(stored, nil), sandbox.Options{})
		sb.AddFault(sandbox.Fault{API: "whatsapp", CursorLoop: true, Skip: 2})
		pages, errs := 0, 0
		var last error
		for _, err := range newClient(t, sb.URL()).WhatsAppBlockedUserPages(context.Background(), kaleyra.WhatsAppPageRequest{PhoneNumber: v2Number, Limit: 100}) {
			if err != nil {
				errs++
				last = err
				continue
			}
			pages++
		}
		var loop *kaleyra.CursorLoopError
		// The looping page itself is yielded before its cursor is refused.
		if pages != 3 || errs != 1 || !errors.As(last, &loop) {
			t.Fatalf("%d pages, %d errors (last %v); want 3 pages then one *CursorLoopError", pages, errs, last)
		}
	})
}

func TestWhatsAppFailingPageFailsTheRead(t *testing.T) {
	stored := waIDs(919600000000, 500)
	sb := startSandbox(t, testSeed(stored, nil), sandbox.Options{})
	sb.AddFault(sandbox.Fault{API: "whatsapp", Status: 500, Skip: 2, Times: -1})
	users, _, err := newClient(t, sb.URL()).WhatsAppBlockedUsers(context.Background(), kaleyra.WhatsAppListRequest{
		PhoneNumber: v2Number, PageSize: 100,
	})
	if err == nil || users != nil {
		t.Fatalf("got %d users, error %v; want no users and an error", len(users), err)
	}
	if apiErr := asAPIError(t, err); apiErr.Code != kaleyra.CodeServer || apiErr.Attempts != testMaxRetries+1 {
		t.Errorf("error %v: want WA500 after %d attempts", err, testMaxRetries+1)
	}
	if n := len(sb.Requests()); n != 2+testMaxRetries+1 {
		t.Errorf("%d requests, want 2 pages + %d attempts", n, testMaxRetries+1)
	}
}

func TestWhatsAppAPIVersions(t *testing.T) {
	sb := startSandbox(t, testSeed(nil, nil), sandbox.Options{})
	c := newClient(t, sb.URL())

	users, _, err := c.WhatsAppBlockedUsers(context.Background(), kaleyra.WhatsAppListRequest{
		PhoneNumber: v1Number, APIVersion: kaleyra.WhatsAppV1,
	})
	if err != nil {
		t.Fatalf("v1: %v", err)
	}
	if got := userIDs(users); !slices.Equal(got, []string{"919812345678"}) {
		t.Errorf("v1 users = %v", got)
	}
	if p := sb.Requests()[0].Path; p != "/v1/"+testSID+"/whatsapp/"+v1Number+"/block_users" {
		t.Errorf("v1 path = %s", p)
	}

	sb.ResetRequests()
	_, err = c.WhatsAppBlockedUsersPage(context.Background(), kaleyra.WhatsAppPageRequest{PhoneNumber: v2Number, APIVersion: "v3"})
	if err == nil || !strings.Contains(err.Error(), `"v3"`) {
		t.Errorf("version v3: error %v, want one naming it", err)
	}
	if n := len(sb.Requests()); n != 0 {
		t.Errorf("an unknown version sent %d requests", n)
	}
}

// The iterator hands out each page's cursors as the API sent them: the
// after cursor of one page is what the next request carries.
func TestWhatsAppBlockedUserPagesKeepCursors(t *testing.T) {
	sb := startSandbox(t, testSeed(waIDs(919200000000, 25), nil), sandbox.Options{})
	c := newClient(t, sb.URL())
	var afters []string
	for page, err := range c.WhatsAppBlockedUserPages(context.Background(), kaleyra.WhatsAppPageRequest{PhoneNumber: v2Number, Limit: 10}) {
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Users) > 0 && (page.Before == "" || page.After == "") {
			t.Fatalf("page with users lost its cursors: before %q, after %q", page.Before, page.After)
		}
		afters = append(afters, page.After)
	}
	reqs := sb.Requests()
	if len(reqs) != len(afters) {
		t.Fatalf("%d requests for %d pages", len(reqs), len(afters))
	}
	for i := 1; i < len(reqs); i++ {
		if got := reqs[i].Query.Get("after"); got != afters[i-1] {
			t.Errorf("request %d sent after=%q, want page %d's %q", i+1, got, i, afters[i-1])
		}
	}
}
