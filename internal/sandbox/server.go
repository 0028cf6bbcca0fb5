package sandbox

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options tune a Server.
type Options struct {
	Latency     time.Duration // added to every API response (not admin endpoints)
	PagingNext  bool          // WhatsApp pages that have more rows also carry paging.next (Meta style); default off (as the docs' sample)
	RaggedPages bool          // WhatsApp: middle pages deterministically shorter than limit (1..limit-1 rows) while rows remain

	// OnRequest, when set, is called after each API request has been
	// answered, with a copy of its log entry whose APIKey is emptied. It is
	// called from the serving goroutines, concurrently.
	OnRequest func(Request)
}

// Request is one API request as the sandbox received and answered it.
type Request struct {
	Time      time.Time  `json:"time"`
	Method    string     `json:"method"`
	Path      string     `json:"path"` // decoded: a %2B in the path is a '+' here
	RawQuery  string     `json:"raw_query"`
	Query     url.Values `json:"query"`
	API       string     `json:"api"`               // "whatsapp" | "contacts" | "" (unknown path)
	Mobiles   []string   `json:"mobiles,omitempty"` // contacts: the parsed mobile list
	APIKey    string     `json:"-"`                 // the api-key header as received; never logged or served
	UserAgent string     `json:"user_agent"`
	Host      string     `json:"host"`
	InFlight  int        `json:"in_flight"` // API requests being served when this one arrived, itself included
	Status    int        `json:"status"`    // 0: no answer was sent (the client went away, or the server closed)
	Code      string     `json:"code"`      // the Kaleyra code answered, "" for a non-envelope answer
}

// Server is the sandbox. It is an http.Handler; Start also serves it on a
// loopback port. All methods are safe for concurrent use.
type Server struct {
	opts         Options
	channelTypes map[string]string
	cursorKey    []byte
	latency      atomic.Int64
	done         chan struct{}
	closeOnce    sync.Once

	accounts map[string]*account // fixed after New; see mu for what changes

	mu sync.RWMutex // guards waNumber.blocked and account.blocklist (both replaced, never mutated)

	faultMu sync.Mutex
	faults  []*faultState

	reqMu    sync.Mutex
	requests []*Request

	inFlight    atomic.Int64
	maxInFlight atomic.Int64
	acceptedIDs atomic.Uint64

	httpServer *http.Server
	url        string
}

type account struct {
	sid, apiKey         string
	lowBalance          bool
	contactsUnavailable bool
	numbers             map[string]*waNumber // by E.164 phone number
	blocklist           *blocklist
}

type waNumber struct {
	phone, version string
	inactive       bool
	blocked        []string
}

// New validates seed (E.164 numbers, known channels and API versions, unique
// SIDs and numbers, valid faults) and returns a Server that has not started
// listening: use it as an http.Handler, or use Start.
func New(seed Seed, opts Options) (*Server, error) {
	channelTypes := maps.Clone(ChannelTypes)
	accounts, err := buildAccounts(seed, channelTypes)
	if err != nil {
		return nil, fmt.Errorf("sandbox seed: %w", err)
	}
	for i, f := range seed.Faults {
		if err := f.Validate(); err != nil {
			return nil, fmt.Errorf("sandbox seed: faults[%d]: %w", i, err)
		}
	}
	s := &Server{
		opts:         opts,
		channelTypes: channelTypes,
		cursorKey:    make([]byte, 32),
		done:         make(chan struct{}),
		accounts:     accounts,
	}
	rand.Read(s.cursorKey) // never fails (crypto/rand panics rather than return an error)
	s.latency.Store(int64(opts.Latency))
	for _, f := range seed.Faults {
		s.AddFault(f)
	}
	return s, nil
}

// Start is New and then serving on 127.0.0.1 at a free port; see URL.
func Start(seed Seed, opts Options) (*Server, error) {
	s, err := New(seed, opts)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("sandbox listen: %w", err)
	}
	s.url = "http://" + ln.Addr().String()
	s.httpServer = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go s.httpServer.Serve(ln) //nolint:errcheck // returns ErrServerClosed after Close
	return s, nil
}

// URL is the base URL, "http://127.0.0.1:PORT", of a Server from Start; ""
// for a Server from New.
func (s *Server) URL() string { return s.url }

// Close stops serving (for a Server from Start) and releases requests waiting
// on latency or a fault's delay, unanswered. It is safe to call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.done)
		if s.httpServer != nil {
			s.httpServer.Close()
		}
	})
}

// SetLatency changes the latency added to every API response.
func (s *Server) SetLatency(d time.Duration) { s.latency.Store(int64(d)) }

// Requests returns a copy of the log of API requests, in arrival order.
func (s *Server) Requests() []Request {
	s.reqMu.Lock()
	defer s.reqMu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		out[i] = *r
	}
	return out
}

// ResetRequests empties the request log and resets MaxInFlight to the
// number of requests being served now.
func (s *Server) ResetRequests() {
	s.reqMu.Lock()
	s.requests = nil
	s.reqMu.Unlock()
	s.maxInFlight.Store(s.inFlight.Load())
}

// MaxInFlight is the highest number of API requests served at once since
// the start or the last ResetRequests.
func (s *Server) MaxInFlight() int { return int(s.maxInFlight.Load()) }

// SetBlocked replaces the blocked wa_ids of a WhatsApp number.
func (s *Server) SetBlocked(sid, phoneNumber string, waIDs []string) error {
	if err := validateWAIDs(waIDs); err != nil {
		return fmt.Errorf("sandbox: SetBlocked: %w", err)
	}
	num, err := s.number(sid, phoneNumber)
	if err != nil {
		return err
	}
	s.mu.Lock()
	num.blocked = slices.Clone(waIDs)
	s.mu.Unlock()
	return nil
}

// SetBlocklist replaces an account's contacts blocklist.
func (s *Server) SetBlocklist(sid string, entries []BlocklistEntry) error {
	acc := s.accounts[sid]
	if acc == nil {
		return fmt.Errorf("sandbox: SetBlocklist: unknown sid %q", sid)
	}
	bl, err := newBlocklist(slices.Clone(entries), s.channelTypes)
	if err != nil {
		return fmt.Errorf("sandbox: SetBlocklist: %w", err)
	}
	s.mu.Lock()
	acc.blocklist = bl
	s.mu.Unlock()
	return nil
}

func (s *Server) number(sid, phone string) (*waNumber, error) {
	acc := s.accounts[sid]
	if acc == nil {
		return nil, fmt.Errorf("sandbox: unknown sid %q", sid)
	}
	num := acc.numbers[phone]
	if num == nil {
		return nil, fmt.Errorf("sandbox: account %s has no WhatsApp number %q", sid, phone)
	}
	return num, nil
}

// appendBlocked appends wa_ids to a number, if the account has it.
func (s *Server) appendBlocked(sid, phone string, waIDs []string) {
	num, err := s.number(sid, phone)
	if err != nil {
		return
	}
	s.mu.Lock()
	num.blocked = append(slices.Clip(num.blocked), waIDs...)
	s.mu.Unlock()
}

// ServeHTTP answers the two Kaleyra APIs and, under /_sandbox/, the admin
// endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/_sandbox" || strings.HasPrefix(r.URL.Path, "/_sandbox/") {
		s.serveAdmin(w, r)
		return
	}
	s.serveAPI(w, r)
}

// route is where an API request goes.
type route struct {
	api     string // "whatsapp" | "contacts" | "" (no such API)
	version string // "v1" | "v2"
	sid     string
	phone   string // WhatsApp: the business number, decoded
}

// parseRoute splits the escaped path so that an escaped '/' stays inside its
// segment, and decodes each segment: "+9194…" and "%2B9194…" both give
// "+9194…".
func parseRoute(u *url.URL) route {
	segs := strings.Split(u.EscapedPath(), "/")
	for i, seg := range segs {
		dec, err := url.PathUnescape(seg)
		if err != nil {
			return route{}
		}
		segs[i] = dec
	}
	switch {
	case len(segs) == 6 && segs[0] == "" && (segs[1] == "v1" || segs[1] == "v2") && segs[2] != "" &&
		segs[3] == "whatsapp" && segs[4] != "" && segs[5] == "block_users":
		return route{api: "whatsapp", version: segs[1], sid: segs[2], phone: segs[4]}
	case len(segs) == 5 && segs[0] == "" && segs[1] == "v1" && segs[2] != "" &&
		segs[3] == "contacts" && segs[4] == "blocklisted":
		return route{api: "contacts", version: "v1", sid: segs[2]}
	}
	return route{}
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for m := s.maxInFlight.Load(); n > m && !s.maxInFlight.CompareAndSwap(m, n); m = s.maxInFlight.Load() {
	}

	rt := parseRoute(r.URL)
	query, queryErr := url.ParseQuery(r.URL.RawQuery)
	rec := &Request{
		Time:      time.Now(),
		Method:    r.Method,
		Path:      r.URL.Path,
		RawQuery:  r.URL.RawQuery,
		Query:     query,
		API:       rt.api,
		APIKey:    r.Header.Get("api-key"),
		UserAgent: r.UserAgent(),
		Host:      r.Host,
		InFlight:  int(n),
	}
	if rt.api == "contacts" {
		if v := query["mobile"]; len(v) > 0 {
			rec.Mobiles = splitMobiles(v[0])
		}
	}
	s.reqMu.Lock()
	s.requests = append(s.requests, rec)
	s.reqMu.Unlock()
	if s.opts.OnRequest != nil {
		defer func() {
			s.reqMu.Lock()
			logged := *rec
			s.reqMu.Unlock()
			logged.APIKey = ""
			s.opts.OnRequest(logged)
		}()
	}

	if !s.wait(r.Context(), time.Duration(s.latency.Load())) {
		return
	}
	var fault *Fault
	if rt.api != "" {
		fault = s.matchFault(rt.api, rec.Mobiles)
	}
	if fault != nil && !s.wait(r.Context(), time.Duration(fault.Delay)) {
		return
	}
	resp, replaced := response{}, false
	if fault != nil {
		resp, replaced = s.faultResponse(r, rt, fault)
	}
	if !replaced {
		if fault != nil && fault.DropOffset && rt.api == "contacts" && query.Has("offset") {
			// As a gateway that drops it would; the log keeps what came.
			query = maps.Clone(query)
			delete(query, "offset")
		}
		resp = s.answer(r, rt, query, queryErr, fault != nil && fault.CursorLoop)
	}
	// Log the outcome before answering, so a client that has its answer
	// finds it in Requests.
	s.reqMu.Lock()
	rec.Status, rec.Code = resp.status, resp.code
	s.reqMu.Unlock()
	writeResponse(w, resp, fault)
}

// answer is the real answer to an API request.
func (s *Server) answer(r *http.Request, rt route, query url.Values, queryErr error, cursorLoop bool) response {
	if rt.api == "" {
		return notFound(r)
	}
	acc := s.authenticate(r, rt.sid)
	if acc == nil {
		return unauthorized()
	}
	if r.Method != http.MethodGet || queryErr != nil {
		return badRequest()
	}
	if rt.api == "whatsapp" {
		return s.whatsapp(r, rt, acc, query, cursorLoop)
	}
	return s.contacts(acc, query)
}

// authenticate returns the account of sid if the request carries exactly one
// api-key header equal to its key.
func (s *Server) authenticate(r *http.Request, sid string) *account {
	acc := s.accounts[sid]
	keys := r.Header.Values("api-key")
	if acc == nil || len(keys) != 1 || subtle.ConstantTimeCompare([]byte(keys[0]), []byte(acc.apiKey)) != 1 {
		return nil
	}
	return acc
}

// wait sleeps for d unless the request is cancelled or the server closed.
func (s *Server) wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-s.done:
	}
	return false
}

// writeResponse sends resp, as a fault's PadTo, RetryAfter, Truncate and
// Reset say.
func writeResponse(w http.ResponseWriter, resp response, f *Fault) {
	if f == nil {
		f = &Fault{}
	}
	body := resp.body
	if f.PadTo > len(body) {
		padded := make([]byte, f.PadTo)
		copy(padded, body)
		for i := len(body); i < len(padded); i++ {
			padded[i] = ' '
		}
		body = padded
	}
	h := w.Header()
	if resp.contentType != "" {
		h.Set("Content-Type", resp.contentType)
	}
	if resp.location != "" {
		h.Set("Location", resp.location)
	}
	if f.RetryAfter != "" {
		h.Set("Retry-After", f.RetryAfter)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(resp.status)
	if !f.Truncate && !f.Reset {
		w.Write(body) //nolint:errcheck // the client may have gone; nothing to do
		return
	}
	w.Write(body[:len(body)/2]) //nolint:errcheck
	rc := http.NewResponseController(w)
	if err := rc.Flush(); err != nil {
		return
	}
	conn, _, err := rc.Hijack()
	if err != nil {
		// Not a real connection (e.g. httptest.ResponseRecorder): the short
		// body is all there is; a real server closes the connection itself
		// when fewer bytes than Content-Length were written.
		return
	}
	if tcp, ok := conn.(*net.TCPConn); ok && f.Reset {
		tcp.SetLinger(0) //nolint:errcheck // best effort: RST instead of FIN
	}
	conn.Close()
}
