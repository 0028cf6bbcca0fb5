package sandbox_test

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/sandbox"
)

// listAll follows after cursors from the first page and returns every row
// and every page size.
func listAll(t *testing.T, h http.Handler, version, number string, limit int) (ids []string, sizes []int, last waPage) {
	t.Helper()
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	seen := map[string]bool{}
	for range 10_000 {
		rec := get(t, h, waPath(version, number, q), key)
		if rec.Code != 200 {
			t.Fatalf("%s: %d %s", q.Encode(), rec.Code, rec.Body)
		}
		p := decodeWAPage(t, rec.Body.Bytes())
		if len(p.Data) == 0 {
			if p.Paging != nil {
				t.Errorf("an empty page carries paging: %s", rec.Body)
			}
			if strings.Contains(rec.Body.String(), `"paging"`) {
				t.Errorf("an empty page has a paging key: %s", rec.Body)
			}
			return ids, sizes, last
		}
		if p.Paging == nil || p.Paging.Cursors.Before == "" || p.Paging.Cursors.After == "" {
			t.Fatalf("a page with data lacks cursors: %s", rec.Body)
		}
		if seen[p.Paging.Cursors.After] {
			t.Fatalf("after cursor handed out twice")
		}
		seen[p.Paging.Cursors.After] = true
		ids = append(ids, p.ids()...)
		sizes = append(sizes, len(p.Data))
		last = p
		q.Set("after", p.Paging.Cursors.After)
	}
	t.Fatal("listing does not end")
	return nil, nil, waPage{}
}

func checkComplete(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("row %d = %s, want %s (stored order)", i, got[i], want[i])
		}
	}
}

func TestWhatsAppCursorPaging(t *testing.T) {
	s := newServer(t, sandbox.Options{})
	// The stored order, in one page.
	want := decodeWAPage(t, get(t, s, waPath("v2", bigNumber, url.Values{"limit": {"1000"}}), key).Body.Bytes()).ids()
	if len(want) != 300 {
		t.Fatalf("%d rows, want 300", len(want))
	}
	if slices.IsSorted(want) {
		t.Error("generated wa_ids are sorted; they must come in stored, unsorted order")
	}
	unique := map[string]bool{}
	for _, id := range want {
		if unique[id] || !strings.HasPrefix(id, "919") || len(id) != 12 {
			t.Errorf("wa_id %q duplicated or malformed", id)
		}
		unique[id] = true
	}

	for _, limit := range []int{1, 7, 25, 100, 299, 300, 301} {
		ids, sizes, last := listAll(t, s, "v2", bigNumber, limit)
		checkComplete(t, ids, want)
		for i, n := range sizes[:len(sizes)-1] {
			if n != limit {
				t.Errorf("limit %d: page %d has %d rows", limit, i, n)
			}
		}
		if last.Paging.Next != nil {
			t.Errorf("limit %d: paging.next without PagingNext", limit)
		}
	}
	ids, _, _ := listAll(t, s, "v1", v1Number, 2)
	checkComplete(t, ids, v1Blocked)
}

func TestWhatsAppPagingNext(t *testing.T) {
	s := newServer(t, sandbox.Options{PagingNext: true})
	want, _, _ := listAll(t, s, "v2", bigNumber, 1000)

	// Follow paging.next alone; its absence ends the list.
	next := "http://sandbox.test" + waPath("v2", bigNumber, url.Values{"limit": {"40"}})
	var ids []string
	pages := 0
	for next != "" {
		u, err := url.Parse(next)
		if err != nil {
			t.Fatal(err)
		}
		if u.Scheme != "http" || u.Host != "sandbox.test" {
			t.Fatalf("next %q is not an absolute URL on the request's host", next)
		}
		if q := u.Query(); pages > 0 && (q.Get("limit") != "40" || q.Get("after") == "" || len(q) != 2) {
			t.Fatalf("next %q lacks limit and after", next)
		}
		p := decodeWAPage(t, get(t, s, next, key).Body.Bytes())
		ids = append(ids, p.ids()...)
		pages++
		next = ""
		if p.Paging.Next != nil {
			next = *p.Paging.Next
		}
		if len(ids) < len(want) && next == "" {
			t.Fatalf("page %d has more rows after it but no paging.next", pages)
		}
	}
	checkComplete(t, ids, want)
	if pages != 8 {
		t.Errorf("%d pages, want 8", pages)
	}
	// The last page still carries cursors, and no next.
	_, _, last := listAll(t, s, "v2", bigNumber, 40)
	if last.Paging.Next != nil || last.Paging.Cursors.After == "" {
		t.Errorf("last page: next %v, after %q", last.Paging.Next, last.Paging.Cursors.After)
	}
	// The phone number keeps the spelling it arrived with.
	rec := get(t, s, "/v2/"+sid+"/whatsapp/+919400000001/block_users?limit=5", key)
	if p := decodeWAPage(t, rec.Body.Bytes()); !strings.HasPrefix(*p.Paging.Next, "http://example.com/v2/"+sid+"/whatsapp/+919400000001/block_users?after=") {
		t.Errorf("next %q", *p.Paging.Next)
	}
}

func TestWhatsAppRaggedPages(t *testing.T) {
	s := newServer(t, sandbox.Options{RaggedPages: true, PagingNext: true})
	plain := newServer(t, sandbox.Options{})
	want, _, _ := listAll(t, plain, "v2", bigNumber, 1000)
	for _, limit := range []int{2, 7, 25, 100} {
		ids, sizes, _ := listAll(t, s, "v2", bigNumber, limit)
		checkComplete(t, ids, want)
		if sizes[0] != limit {
			t.Errorf("limit %d: first page %d rows", limit, sizes[0])
		}
		short := 0
		for _, n := range sizes[1 : len(sizes)-1] {
			if n < 1 || n > limit {
				t.Errorf("limit %d: page of %d rows", limit, n)
			}
			if n < limit {
				short++
			}
		}
		if len(sizes) > 2 && short != len(sizes)-2 {
			t.Errorf("limit %d: %d of %d middle pages short", limit, short, len(sizes)-2)
		}
		// Deterministic: the same listing twice gives the same pages.
		_, again, _ := listAll(t, s, "v2", bigNumber, limit)
		if !slices.Equal(sizes, again) {
			t.Errorf("limit %d: pages differ between listings", limit)
		}
	}
	// limit 1 cannot be ragged.
	_, sizes, _ := listAll(t, s, "v2", bigNumber, 1)
	if len(sizes) != 300 {
		t.Errorf("limit 1: %d pages", len(sizes))
	}
}

func TestWhatsAppBeforeCursor(t *testing.T) {
	s := newServer(t, sandbox.Options{})
	want, _, _ := listAll(t, s, "v2", bigNumber, 1000)
	q := url.Values{"limit": {"10"}}
	var pages []waPage
	for range 3 {
		p := decodeWAPage(t, get(t, s, waPath("v2", bigNumber, q), key).Body.Bytes())
		pages = append(pages, p)
		q.Set("after", p.Paging.Cursors.After)
	}
	// before of page 3 gives page 2; before of page 2 gives page 1.
	for i := 2; i >= 1; i-- {
		bq := url.Values{"limit": {"10"}, "before": {pages[i].Paging.Cursors.Before}}
		p := decodeWAPage(t, get(t, s, waPath("v2", bigNumber, bq), key).Body.Bytes())
		if !slices.Equal(p.ids(), pages[i-1].ids()) || !slices.Equal(p.ids(), want[(i-1)*10:i*10]) {
			t.Errorf("before page %d: %v", i, p.ids())
		}
		if p.Paging.Cursors != pages[i-1].Paging.Cursors {
			t.Errorf("before page %d cursors differ from the forward page's", i)
		}
	}
	// A smaller limit backwards takes the rows just before the cursor.
	bq := url.Values{"limit": {"3"}, "before": {pages[2].Paging.Cursors.Before}}
	if p := decodeWAPage(t, get(t, s, waPath("v2", bigNumber, bq), key).Body.Bytes()); !slices.Equal(p.ids(), want[17:20]) {
		t.Errorf("before, limit 3: %v", p.ids())
	}
	// Before the first page: nothing.
	bq = url.Values{"before": {pages[0].Paging.Cursors.Before}}
	rec := get(t, s, waPath("v2", bigNumber, bq), key)
	assertBody(t, rec, 200, `{"code":"WA200","message":"Request Processed Successfully","data":[]}`)
	// Both cursors (as the docs' sample sends them): after wins.
	both := url.Values{"before": {pages[2].Paging.Cursors.Before}, "after": {pages[0].Paging.Cursors.After}}
	if p := decodeWAPage(t, get(t, s, waPath("v2", bigNumber, both), key).Body.Bytes()); !slices.Equal(p.ids(), want[10:35]) {
		t.Errorf("before+after: %v", p.ids())
	}
}

func TestWhatsAppTamperedCursors(t *testing.T) {
	s := newServer(t, sandbox.Options{})
	other := newServer(t, sandbox.Options{})
	p := decodeWAPage(t, get(t, s, waPath("v2", bigNumber, url.Values{"limit": {"5"}}), key).Body.Bytes())
	after := p.Paging.Cursors.After
	flip := func(c string, i int) string {
		b := []byte(c)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	bad := []string{
		flip(after, 0),
		flip(after, len(after)/2),
		flip(after, len(after)-1),
		after[:len(after)-1],
		after + "A",
		after + "=",
		strings.ToUpper(after),
		"NDMyNzQyXXXXXXXX",
	}
	for _, c := range bad {
		if c == after {
			continue
		}
		for _, name := range []string{"after", "before"} {
			rec := get(t, s, waPath("v2", bigNumber, url.Values{name: {c}}), key)
			assertBody(t, rec, 400, bodyWA400)
		}
	}
	// A valid cursor of another number, or of another sandbox, is refused.
	v1 := decodeWAPage(t, get(t, s, waPath("v1", v1Number, url.Values{"limit": {"1"}}), key).Body.Bytes())
	assertBody(t, get(t, s, waPath("v2", bigNumber, url.Values{"after": {v1.Paging.Cursors.After}}), key), 400, bodyWA400)
	assertBody(t, get(t, other, waPath("v2", bigNumber, url.Values{"after": {after}}), key), 400, bodyWA400)
	// The untouched cursor still works.
	if rec := get(t, s, waPath("v2", bigNumber, url.Values{"after": {after}}), key); rec.Code != 200 {
		t.Errorf("valid cursor: %d", rec.Code)
	}
}

func TestWhatsAppCursorAfterShrink(t *testing.T) {
	s := newServer(t, sandbox.Options{})
	p := decodeWAPage(t, get(t, s, waPath("v1", v1Number, url.Values{"limit": {"2"}}), key).Body.Bytes())
	if err := s.SetBlocked(sid, v1Number, []string{"919812345678"}); err != nil {
		t.Fatal(err)
	}
	rec := get(t, s, waPath("v1", v1Number, url.Values{"after": {p.Paging.Cursors.After}}), key)
	assertBody(t, rec, 200, `{"code":"WA200","message":"Request Processed Successfully","data":[]}`)
}

func TestLargeListsArePagedCheaply(t *testing.T) {
	seed := sandbox.Seed{Accounts: []sandbox.Account{{
		SID: sid, APIKey: key,
		WhatsAppNumbers:   []sandbox.WhatsAppNumber{{PhoneNumber: bigNumber, GenerateBlocked: 100_000}},
		GenerateBlocklist: 100_000,
	}}}
	s, err := sandbox.New(seed, sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ids, _, _ := listAll(t, s, "v2", bigNumber, 1000)
	if len(ids) != 100_000 {
		t.Fatalf("%d wa_ids", len(ids))
	}
	unique := make(map[string]struct{}, len(ids))
	for _, id := range ids {
		unique[id] = struct{}{}
	}
	if len(unique) != len(ids) {
		t.Errorf("%d duplicates", len(ids)-len(unique))
	}
	p := decodeContacts(t, get(t, s, contactsPath(url.Values{"offset": {"99950"}}), key))
	if len(p.Data) != 50 {
		t.Errorf("last contacts page: %d rows", len(p.Data))
	}
	p = decodeContacts(t, get(t, s, contactsPath(url.Values{"channel": {"voice"}, "offset": {"20000"}, "limit": {"100"}}), key))
	if len(p.Data) != 100 {
		t.Errorf("voice page: %d rows", len(p.Data))
	}
}

func BenchmarkWhatsAppPage(b *testing.B) {
	seed := sandbox.Seed{Accounts: []sandbox.Account{{
		SID: sid, APIKey: key,
		WhatsAppNumbers: []sandbox.WhatsAppNumber{{PhoneNumber: bigNumber, GenerateBlocked: 64_000}},
	}}}
	s, err := sandbox.New(seed, sandbox.Options{})
	if err != nil {
		b.Fatal(err)
	}
	p := decodeWAPage(b, get(b, s, waPath("v2", bigNumber, url.Values{"limit": {"1000"}}), key).Body.Bytes())
	target := waPath("v2", bigNumber, url.Values{"limit": {"1000"}, "after": {p.Paging.Cursors.After}})
	b.ResetTimer()
	for b.Loop() {
		get(b, s, target, key)
	}
}

func BenchmarkContactsDeepPage(b *testing.B) {
	seed := sandbox.Seed{Accounts: []sandbox.Account{{SID: sid, APIKey: key, GenerateBlocklist: 100_000}}}
	s, err := sandbox.New(seed, sandbox.Options{})
	if err != nil {
		b.Fatal(err)
	}
	target := contactsPath(url.Values{"channel": {"sms"}, "offset": {"40000"}})
	for b.Loop() {
		get(b, s, target, key)
	}
}
