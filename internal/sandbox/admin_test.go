package sandbox_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/sandbox"
)

func adminDo(t *testing.T, s *sandbox.Server, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// TestAdminEndpointsListed: the list the command prints is the list the
// server serves: each answers its method, and refuses others.
func TestAdminEndpointsListed(t *testing.T) {
	s := startServer(t, sandbox.Options{})
	served := map[string]bool{}
	for _, e := range sandbox.AdminEndpoints {
		body := ""
		if e.Path == "/_sandbox/faults" && e.Method == "POST" {
			body = `{"api":"contacts","status":503}`
		}
		if status, got := adminDo(t, s, e.Method, e.Path, body); status != 200 {
			t.Errorf("%s %s (%s): %d %s", e.Method, e.Path, e.Does, status, got)
		}
		served[e.Path] = true
	}
	for path := range served {
		if status, _ := adminDo(t, s, "PUT", path, ""); status != 405 {
			t.Errorf("PUT %s: %d, want 405", path, status)
		}
	}
}

func TestAdminEndpoints(t *testing.T) {
	s := startServer(t, sandbox.Options{Latency: time.Hour}) // admin endpoints have no latency
	check := func(method, path, body string, status int, want string) {
		t.Helper()
		gotStatus, got := adminDo(t, s, method, path, body)
		if gotStatus != status || (want != "" && got != want) {
			t.Errorf("%s %s: %d %s, want %d %s", method, path, gotStatus, got, status, want)
		}
	}
	check("GET", "/_sandbox/health", "", 200, `{"status":"ok"}`)
	check("POST", "/_sandbox/health", "", 405, "")
	check("GET", "/_sandbox/nope", "", 404, "")
	check("GET", "/_sandbox", "", 404, "")
	check("POST", "/_sandbox/faults", `{"api":"contacts","status":503}`, 200, `{"added":1,"faults":1}`)
	check("POST", "/_sandbox/faults", `[{"api":"whatsapp","status":500,"times":-1},{"truncate":true}]`, 200, `{"added":2,"faults":3}`)
	check("POST", "/_sandbox/faults", `{"status":"500"}`, 400, "")
	check("POST", "/_sandbox/faults", `{"stauts":500}`, 400, "")
	check("POST", "/_sandbox/faults", `[{"truncate":true,"reset":true}]`, 400, "")
	check("GET", "/_sandbox/faults", "", 405, "")

	s.SetLatency(0)
	client := &http.Client{Timeout: 5 * time.Second}
	resp, _, err := httpGet(t, client, s.URL()+contactsPath(url.Values{"mobile": {"+919812345678"}}), key)
	if err != nil || resp.StatusCode != 503 {
		t.Fatalf("installed fault: %v %v", resp, err)
	}
	check("DELETE", "/_sandbox/faults", "", 200, `{"faults":0}`)
	resp, _, err = httpGet(t, client, s.URL()+waPath("v2", bigNumber, nil), key)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("after DELETE: %v %v", resp, err)
	}

	status, body := adminDo(t, s, "GET", "/_sandbox/requests", "")
	if status != 200 || strings.Contains(body, key) {
		t.Fatalf("requests: %d, leaks the key: %v", status, strings.Contains(body, key))
	}
	var reqs []map[string]any
	if err := json.Unmarshal([]byte(body), &reqs); err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 2 {
		t.Fatalf("%d requests: %s", len(reqs), body)
	}
	r0 := reqs[0]
	if r0["api"] != "contacts" || r0["status"] != 503.0 || r0["code"] != "WA500" || r0["api_key_sent"] != true ||
		r0["method"] != "GET" || r0["path"] != "/v1/"+sid+"/contacts/blocklisted" || r0["raw_query"] != "mobile=%2B919812345678" {
		t.Errorf("request 0: %v", r0)
	}
	if m, _ := r0["mobiles"].([]any); len(m) != 1 || m[0] != "+919812345678" {
		t.Errorf("request 0 mobiles: %v", r0["mobiles"])
	}
	if _, ok := r0["api_key"]; ok {
		t.Error("the api_key field is served")
	}
	check("POST", "/_sandbox/requests/reset", "", 200, `{"status":"ok"}`)
	check("GET", "/_sandbox/requests", "", 200, `[]`)
	check("GET", "/_sandbox/requests/reset", "", 405, "")
}

func TestAdminLoopbackOnly(t *testing.T) {
	s := newServer(t, sandbox.Options{})
	for _, remote := range []string{"192.0.2.1:1234", "10.0.0.1:80", "garbage"} {
		req := httptest.NewRequest(http.MethodGet, "/_sandbox/health", nil)
		req.RemoteAddr = remote
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != http.StatusForbidden {
			t.Errorf("%s: %d", remote, rec.Code)
		}
	}
	for _, remote := range []string{"127.0.0.1:5555", "[::1]:5555"} {
		req := httptest.NewRequest(http.MethodDelete, "/_sandbox/faults", nil)
		req.RemoteAddr = remote
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Errorf("%s: %d", remote, rec.Code)
		}
	}
}

func TestRequestLog(t *testing.T) {
	s := startServer(t, sandbox.Options{})
	req, _ := http.NewRequest(http.MethodGet, s.URL()+waPath("v2", bigNumber, url.Values{"limit": {"3"}}), nil)
	req.Header.Set("api-key", key)
	req.Header.Set("User-Agent", "terraform-provider-kaleyra/test")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// Logged before the answer was written: visible at once.
	got := s.Requests()
	if len(got) != 1 {
		t.Fatalf("%d requests", len(got))
	}
	r := got[0]
	host := strings.TrimPrefix(s.URL(), "http://")
	if r.Method != "GET" || r.Path != "/v2/"+sid+"/whatsapp/"+bigNumber+"/block_users" || r.RawQuery != "limit=3" ||
		r.Query.Get("limit") != "3" || r.API != "whatsapp" || r.APIKey != key || r.UserAgent != "terraform-provider-kaleyra/test" ||
		r.Host != host || r.Status != 200 || r.Code != "WA200" || r.Time.IsZero() {
		t.Errorf("logged %+v", r)
	}
	if b, _ := json.Marshal(r); strings.Contains(string(b), key) {
		t.Error("a Request marshals its API key")
	}
	get(t, s, "/elsewhere?x=1", "")
	if r := s.Requests()[1]; r.API != "" || r.Status != 404 || r.Code != "WA404" || r.APIKey != "" {
		t.Errorf("unknown path logged %+v", r)
	}
	// Requests returns a copy.
	got[0].Path = "changed"
	if s.Requests()[0].Path == "changed" {
		t.Error("Requests shares its entries")
	}
}

// TestConcurrentUse runs listings, contacts pages, state changes, faults and
// log reads at once; run with -race.
func TestConcurrentUse(t *testing.T) {
	s := startServer(t, sandbox.Options{RaggedPages: true})
	client := &http.Client{Timeout: 10 * time.Second}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			q := url.Values{"limit": {"37"}}
			for range 20 {
				resp, body, err := httpGet(t, client, s.URL()+waPath("v2", bigNumber, q), key)
				if err != nil {
					t.Error(err)
					return
				}
				if resp.StatusCode != 200 {
					q.Del("after") // a fault or a shrunk list: start over
					continue
				}
				p := decodeWAPage(t, body)
				if p.Paging == nil {
					q.Del("after")
					continue
				}
				q.Set("after", p.Paging.Cursors.After)
			}
		})
		wg.Go(func() {
			for j := range 20 {
				q := url.Values{"offset": {"0"}, "channel": {"sms"}}
				if j%2 == 0 {
					q.Set("mobile", "+919812345678,+14155550123")
				}
				if _, _, err := httpGet(t, client, s.URL()+contactsPath(q), key); err != nil {
					t.Error(err)
				}
			}
		})
		wg.Go(func() {
			for j := range 10 {
				switch (i + j) % 5 {
				case 0:
					s.AddFault(sandbox.Fault{Status: 500})
				case 1:
					s.SetBlocked(sid, bigNumber, []string{"919812345678", "447700900123"}) //nolint:errcheck
				case 2:
					s.SetBlocklist(sid, []sandbox.BlocklistEntry{{Mobile: "+919812345678", Channel: "sms"}}) //nolint:errcheck
				case 3:
					_ = s.Requests()
					_ = s.MaxInFlight()
				case 4:
					s.ClearFaults()
					s.ResetRequests()
				}
			}
		})
	}
	wg.Wait()
}
