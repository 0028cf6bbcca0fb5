// Package kaleyra is a small client for the Kaleyra APIs that the Terraform
// provider reads: the WhatsApp blocked-users list and the contacts
// blocklist. It knows HTTP and Kaleyra, and nothing of Terraform.
//
// Each file holds one concern:
//
//   - client.go: Config and New, the pods' host tables, and getRows, the
//     one request helper every call goes through.
//   - transport.go: the transport under the retries: the bound on requests
//     in flight, the request timeout of each attempt (from the moment it
//     is in flight), the response size cap and the request log.
//   - retry.go: the retry policy (which answers are retried), the backoff
//     and Retry-After, what is reported when the retries run out, and the
//     refusal of redirects to another host.
//   - envelope.go: decoding Kaleyra's {code, message, data, error}
//     envelope, and the rules that tell a success from a failure.
//   - errors.go: the error types a caller can inspect and the Kaleyra codes
//     they carry.
//   - redact.go: the Redactor, which takes the API key and long runs of
//     digits (phone numbers) out of every piece of server text an error or
//     a log line keeps.
//   - paging.go: the WhatsApp API's cursor pager, and ListStats.
//   - contacts_paging.go: the read engine of whole contacts lists: the
//     whole blocklist or its batches of numbers, paged by offset with one
//     bounded pool of workers per read, decided as a sequential read would
//     be, and the refusal of a page that repeats an earlier one.
//   - whatsapp.go, contacts.go: the calls of the two APIs, one page at a
//     time and whole lists.
package kaleyra

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/go-retryablehttp"
)

// Defaults used when a Config field is left at its zero value.
const (
	DefaultPod              = PodIN
	DefaultMaxRetries       = 4
	DefaultRequestTimeout   = 30 * time.Second
	DefaultRetryWaitMin     = 1 * time.Second
	DefaultRetryWaitMax     = 30 * time.Second
	DefaultMaxRetryAfter    = 2 * time.Minute
	DefaultMaxParallel      = 4
	DefaultMaxResponseBytes = 16 << 20
)

// Pod is a Kaleyra data-centre region. It selects the API host.
type Pod string

// The documented pods.
const (
	PodIN Pod = "IN"
	PodSG Pod = "SG"
	PodEU Pod = "EU"
	PodNA Pod = "NA"
)

// Pods lists the documented pods in a stable order.
func Pods() []Pod { return []Pod{PodIN, PodSG, PodEU, PodNA} }

// ParsePod accepts a pod name in any letter case.
func ParsePod(s string) (Pod, error) {
	for _, p := range Pods() {
		if strings.EqualFold(s, string(p)) {
			return p, nil
		}
	}
	return "", fmt.Errorf("unknown pod %q: expected one of IN, SG, EU or NA", s)
}

// API names one of the Kaleyra APIs; the two do not share a host table.
type API int

// The APIs this client calls.
const (
	APIWhatsApp API = iota
	APIContacts
)

func (a API) String() string {
	if a == APIWhatsApp {
		return "WhatsApp"
	}
	return "Contacts"
}

// hosts is the per-pod host of each API, as Kaleyra documents them: the SG
// pod's WhatsApp API lives on api.ap.kaleyra.io, its Contacts API on
// api.kaleyra.io.
var hosts = map[Pod]map[API]string{
	PodIN: {APIWhatsApp: "api.in.kaleyra.io", APIContacts: "api.in.kaleyra.io"},
	PodSG: {APIWhatsApp: "api.ap.kaleyra.io", APIContacts: "api.kaleyra.io"},
	PodEU: {APIWhatsApp: "api.eu.kaleyra.io", APIContacts: "api.eu.kaleyra.io"},
	PodNA: {APIWhatsApp: "api.na.kaleyra.ai", APIContacts: "api.na.kaleyra.ai"},
}

// Host returns the documented host of api in pod.
func Host(api API, pod Pod) string { return hosts[pod][api] }

// Logger receives the client's request log. The provider adapts it to tflog;
// fields never carry the API key, headers or bodies.
type Logger interface {
	Debug(ctx context.Context, msg string, fields map[string]any)
	Info(ctx context.Context, msg string, fields map[string]any)
	Warn(ctx context.Context, msg string, fields map[string]any)
}

type nopLogger struct{}

func (nopLogger) Debug(context.Context, string, map[string]any) {}
func (nopLogger) Info(context.Context, string, map[string]any)  {}
func (nopLogger) Warn(context.Context, string, map[string]any)  {}

// Config configures a Client. Zero values take the defaults above.
type Config struct {
	Pod    Pod
	SID    string
	APIKey string
	// BaseURL, when set, replaces the pod's host for every API: a proxy, a
	// gateway or a local sandbox. It must be https, or http on a loopback
	// host.
	BaseURL string

	MaxRetries int // retries of one request; 0 disables retries
	// RequestTimeout bounds one attempt of a request, from the moment it
	// holds its place among the requests in flight (MaxParallel) until its
	// body has arrived. The wait for that place is bounded by the caller's
	// context only.
	RequestTimeout time.Duration
	RetryWaitMin   time.Duration
	RetryWaitMax   time.Duration
	// MaxRetryAfter is the longest Retry-After the client waits for; a
	// server asking for more fails the request instead.
	MaxRetryAfter time.Duration
	// MaxParallel bounds the requests in flight at once across the client.
	MaxParallel      int
	MaxResponseBytes int64
	UserAgent        string
	Logger           Logger
	// Transport is the base transport; the default honours HTTPS_PROXY and
	// NO_PROXY.
	Transport http.RoundTripper
}

// Client calls the Kaleyra APIs. It is safe for concurrent use.
type Client struct {
	sid, apiKey string
	userAgent   string
	bases       map[API]*url.URL
	retry       *retryablehttp.Client
	log         Logger
	maxParallel int
	limit       *limiter
	// maxRetryAfter is the longest Retry-After the client waits for.
	maxRetryAfter time.Duration
	// redact takes the API key and numbers out of server text before an
	// error or a log line keeps it.
	redact *Redactor
}

// New validates cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	if cfg.SID == "" {
		return nil, errors.New("kaleyra: the account SID is empty")
	}
	if cfg.APIKey == "" {
		return nil, errors.New("kaleyra: the API key is empty")
	}
	if cfg.Pod == "" {
		cfg.Pod = DefaultPod
	}
	if _, ok := hosts[cfg.Pod]; !ok {
		return nil, fmt.Errorf("kaleyra: unknown pod %q", cfg.Pod)
	}
	if cfg.MaxRetries < 0 {
		return nil, fmt.Errorf("kaleyra: max retries must be 0 or more, got %d", cfg.MaxRetries)
	}
	setDefault(&cfg.RequestTimeout, DefaultRequestTimeout)
	setDefault(&cfg.RetryWaitMin, DefaultRetryWaitMin)
	setDefault(&cfg.RetryWaitMax, DefaultRetryWaitMax)
	setDefault(&cfg.MaxRetryAfter, DefaultMaxRetryAfter)
	setDefault(&cfg.MaxParallel, DefaultMaxParallel)
	setDefault(&cfg.MaxResponseBytes, DefaultMaxResponseBytes)
	if cfg.UserAgent == "" {
		cfg.UserAgent = "terraform-provider-kaleyra"
	}
	if cfg.Logger == nil {
		cfg.Logger = nopLogger{}
	}
	if cfg.Transport == nil {
		cfg.Transport = cleanhttp.DefaultPooledTransport()
	}

	bases := make(map[API]*url.URL, 2)
	for _, api := range []API{APIWhatsApp, APIContacts} {
		raw := "https://" + Host(api, cfg.Pod)
		if cfg.BaseURL != "" {
			raw = cfg.BaseURL
		}
		u, err := ParseBaseURL(raw)
		if err != nil {
			return nil, err
		}
		bases[api] = u
	}

	c := &Client{
		sid:         cfg.SID,
		apiKey:      cfg.APIKey,
		userAgent:   cfg.UserAgent,
		bases:       bases,
		log:         cfg.Logger,
		maxParallel: cfg.MaxParallel,
		limit:       newLimiter(cfg.MaxParallel),

		maxRetryAfter: cfg.MaxRetryAfter,
		redact:        NewRedactor(cfg.APIKey),
	}
	c.limit.onChange = c.logLimit
	httpClient := &http.Client{
		// No Client.Timeout: its clock would start before the transport
		// waits for a place in flight. The transport bounds each attempt.
		Transport: &transport{
			base:     cfg.Transport,
			limit:    c.limit,
			timeout:  cfg.RequestTimeout,
			maxBytes: cfg.MaxResponseBytes,
			log:      cfg.Logger,
			redact:   c.redact,
		},
		CheckRedirect: checkRedirect,
	}
	c.retry = &retryablehttp.Client{
		HTTPClient:   httpClient,
		RetryWaitMin: cfg.RetryWaitMin,
		RetryWaitMax: cfg.RetryWaitMax,
		RetryMax:     cfg.MaxRetries,
		CheckRetry:   retryPolicy(cfg.MaxRetryAfter),
		Backoff:      backoff,
		ErrorHandler: giveUp,
		RequestLogHook: func(_ retryablehttp.Logger, req *http.Request, retry int) {
			if st := stateOf(req.Context()); st != nil {
				st.attempts = retry + 1
			}
			if retry > 0 {
				cfg.Logger.Debug(req.Context(), "Retrying Kaleyra request", map[string]any{
					"method": req.Method, "path": req.URL.Path, "retry": retry,
				})
			}
		},
	}
	return c, nil
}

// Redactor is the client's Redactor: it masks this client's API key and
// long runs of digits.
func (c *Client) Redactor() *Redactor { return c.redact }

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// ParseBaseURL checks a base URL: absolute, https, or http on a loopback
// host only, with no query or fragment. Trailing slashes are dropped.
func ParseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("kaleyra: base URL %q is not a URL: %w", raw, err)
	}
	if u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("kaleyra: base URL %q must be absolute, like https://api.example.com", raw)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !IsLoopbackHost(u.Hostname()) {
			return nil, fmt.Errorf("kaleyra: base URL %q uses plain http on a host that is not loopback; use https, or http only with localhost, 127.0.0.1 or [::1]", raw)
		}
	default:
		return nil, fmt.Errorf("kaleyra: base URL %q has scheme %q; use https (or http on a loopback host)", raw, u.Scheme)
	}
	if u.User != nil {
		return nil, fmt.Errorf("kaleyra: base URL %q must not carry user information", redactUser(u))
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("kaleyra: base URL %q must not have a query or fragment", raw)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = strings.TrimRight(u.RawPath, "/")
	return u, nil
}

func redactUser(u *url.URL) string {
	c := *u
	c.User = url.User("REDACTED")
	return c.String()
}

// IsLoopbackHost reports whether host is localhost or a loopback IP.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// getRows sends one GET to api at the escaped path segments with query,
// retried by policy, and returns the rows (the envelope's data) and the
// envelope of a successful answer.
func getRows[T any](ctx context.Context, c *Client, api API, segments []string, query url.Values) ([]T, *envelope, error) {
	st := &requestState{}
	// The URL goes in as a value, never as text to parse: a parse error
	// would quote it, query and numbers included.
	httpReq, err := http.NewRequestWithContext(context.WithValue(ctx, stateKey{}, st), http.MethodGet, "", nil)
	if err != nil {
		return nil, nil, fmt.Errorf("kaleyra: building the request: %w", err)
	}
	httpReq.URL = c.endpoint(api, segments, query)
	httpReq.Host = httpReq.URL.Host
	httpReq.Header.Set("api-key", c.apiKey)
	httpReq.Header.Set("Accept", "application/json")
	httpReq.Header.Set("User-Agent", c.userAgent)
	req, err := retryablehttp.FromRequest(httpReq)
	if err != nil {
		return nil, nil, fmt.Errorf("kaleyra: building the request: %w", err)
	}

	resp, err := c.retry.Do(req)
	if err != nil {
		return nil, nil, c.requestError(ctx, api, httpReq, err)
	}
	defer func() { _ = resp.Body.Close() }()
	rows, env, err := decodeRows[T](c.redact, api, resp, st.attempts)
	var apiErr *APIError
	if st.retryAfterRefused > 0 && errors.As(err, &apiErr) {
		apiErr.RetryAfter, apiErr.MaxRetryAfter = st.retryAfterRefused, c.maxRetryAfter
	}
	return rows, env, err
}

// requestState is what one request's retries learn, kept in its context:
// the attempts made, and a Retry-After the policy refused to wait for.
type requestState struct {
	attempts          int
	retryAfterRefused time.Duration
}

type stateKey struct{}

func stateOf(ctx context.Context) *requestState {
	st, _ := ctx.Value(stateKey{}).(*requestState)
	return st
}

// endpoint builds the URL of api for the path segments. Every segment is
// path-escaped and every query built with url.Values, so a '+' in a number
// reaches the server as %2B in a query.
func (c *Client) endpoint(api API, segments []string, query url.Values) *url.URL {
	u := *c.bases[api]
	var plain, escaped strings.Builder
	plain.WriteString(u.Path)
	escaped.WriteString(u.EscapedPath())
	for _, s := range segments {
		plain.WriteString("/" + s)
		escaped.WriteString("/" + url.PathEscape(s))
	}
	u.Path, u.RawPath = plain.String(), escaped.String()
	u.RawQuery = query.Encode()
	return &u
}

// requestError explains a request that produced no usable response. It is
// the one way out of a failed Do, so it is where net/http's *url.Error,
// whose text quotes the whole URL, query and numbers included, is taken
// apart: the error names the URL without its query. The cause's text is
// redacted: net/http quotes server bytes in some errors.
func (c *Client) requestError(ctx context.Context, api API, req *http.Request, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("kaleyra: %s request cancelled: %w", api, ctxErr)
	}
	attempts := 1
	var exhausted *exhaustedError
	if errors.As(err, &exhausted) {
		if exhausted.resp != nil {
			defer func() { _ = exhausted.resp.Body.Close() }()
			_, derr := decodeResponse(c.redact, api, exhausted.resp, exhausted.attempts)
			if derr != nil {
				return derr
			}
			return fmt.Errorf("kaleyra: %s request gave up after %d attempts with HTTP %d", api, exhausted.attempts, exhausted.resp.StatusCode)
		}
		attempts = exhausted.attempts
		if exhausted.err != nil {
			err = exhausted.err
		}
	}
	return &RequestError{API: api, Method: req.Method, URL: withoutQuery(req.URL), Attempts: attempts, Err: c.redact.Error(unwrapURLError(err))}
}

// unwrapURLError drops *url.Error's "Get <url>:" prefix, which RequestError
// says without the query. A *url.Error deeper in the chain keeps its place,
// its URL cut down to the same.
func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok { //nolint:errorlint // only the outermost wrapper is dropped
		return ue.Err
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			ue.URL = withoutQuery(u)
		} else {
			ue.URL = "(URL not shown)"
		}
	}
	return err
}

// withoutQuery is u's scheme, host and path: what a message may show.
func withoutQuery(u *url.URL) string {
	c := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	return c.String()
}
