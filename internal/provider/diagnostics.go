package provider

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/kaleyra"
)

// readFailure describes a failed read for the diagnostic: which data source
// or ephemeral resource, what it was reading, and the arguments a hint may
// name.
type readFailure struct {
	summary    string   // "Unable to Read WhatsApp Blocked Users"
	typeName   string   // "kaleyra_whatsapp_blocked_users"
	kind       readKind // a data source or an ephemeral resource
	subject    string   // "the users blocked by +9194..."
	apiVersion string   // WhatsApp only: the version used
}

// readKind is what reads: a data source or an ephemeral resource. Both
// kinds of one type share their read, and their diagnostics differ only
// in this name.
type readKind string

const (
	dataSourceKind        readKind = "data source"
	ephemeralResourceKind readKind = "ephemeral resource"
)

// addReadError turns any client error into one error diagnostic. Every API
// error goes through here; see readErrorDetail for its shape.
//
// What a server sent is redacted where the client first keeps it (see
// kaleyra.Redactor): the error carries no API key and no run of 7 or more
// digits from an answer, so the detail built from it holds neither, and
// neither does the framework's TRACE line that repeats it. That is the
// mechanism; redact (the client's Redactor) then hides the key, and only
// the key, in the finished detail once more, as a last gate: a diagnostic
// is printed and logged outside tflog's masking, and a key that reached
// one by a path the client missed would be out for good. Numbers cannot be
// masked at this point: the detail rightly shows the business number and
// SID the user wrote.
func addReadError(diags *diag.Diagnostics, f readFailure, err error, redact *kaleyra.Redactor) {
	diags.AddError(f.summary, redact.WithoutKey(readErrorDetail(f, err)))
}

// readErrorDetail is the detail of a read error, in one shape whatever the
// error: what was being read; the part of the read that failed, if the
// client named one (a lookup batch); what came back: Kaleyra's status, code
// and message, the error fields that add to the message, or the request and
// its cause when nothing usable came back; the attempts; and what to do
// next. Each fact is said once. Nothing in it comes from a request's query,
// which holds the numbers looked up.
func readErrorDetail(f readFailure, err error) string {
	var b strings.Builder
	fmt.Fprintf(&b, "The %s %s could not read %s. No partial list was returned.\n\n", f.typeName, f.kind, f.subject)

	var apiErr *kaleyra.APIError
	var unexpected *kaleyra.UnexpectedResponseError
	var reqErr *kaleyra.RequestError
	var repeated *kaleyra.RepeatedPageError
	var shown error // the error the lines below render
	switch {
	case errors.As(err, &apiErr):
		shown = apiErr
	case errors.As(err, &unexpected):
		shown = unexpected
	case errors.As(err, &reqErr):
		shown = reqErr
	case errors.As(err, &repeated):
		shown = repeated
	}

	// What the client wrapped around the error (such as the lookup batch)
	// is shown once, on its own line; text of an unknown shape is kept
	// whole, since it may say what nothing else does.
	rest := ""
	if shown != nil {
		if wrapped, ok := strings.CutSuffix(err.Error(), shown.Error()); ok {
			if wrapped = strings.TrimSuffix(withoutPackage(wrapped), ": "); wrapped != "" {
				fmt.Fprintf(&b, "Failed: %s\n", wrapped)
			}
		} else {
			rest = withoutPackage(err.Error())
		}
	}

	switch {
	case apiErr != nil:
		writeAPIError(&b, apiErr)
	case unexpected != nil:
		writeUnexpectedResponse(&b, unexpected)
	case reqErr != nil:
		fmt.Fprintf(&b, "Request: %s %s (query not shown)\n", reqErr.Method, reqErr.URL)
		fmt.Fprintf(&b, "Cause: %s\n", withoutPackage(reqErr.Err.Error()))
		writeAttempts(&b, reqErr.Attempts, false)
	case repeated != nil:
		fmt.Fprintf(&b, "Cause: %s\n", repeated)
	default:
		rest = withoutPackage(err.Error())
	}
	if rest != "" {
		fmt.Fprintf(&b, "Cause: %s\n", rest)
	}
	if hint := hintFor(f, err); hint != "" {
		fmt.Fprintf(&b, "\n%s\n", hint)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// writeAPIError writes Kaleyra's answer: status, code and message once, the
// fields that say something the message does not, a Retry-After the
// provider waited for, and the attempts.
func writeAPIError(b *strings.Builder, e *kaleyra.APIError) {
	fmt.Fprintf(b, "Kaleyra answered HTTP %d", e.HTTPStatus)
	if e.Code != "" {
		fmt.Fprintf(b, " with code %s", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(b, ": %s", e.Message)
	}
	b.WriteString("\n")
	if fields := newFields(e); fields != "" {
		fmt.Fprintf(b, "Error fields: %s\n", fields)
	}
	if e.RetryAfter > 0 && !e.RetryAfterTooLong() {
		// A refused wait is the hint's to explain.
		fmt.Fprintf(b, "Retry-After: %s\n", seconds(e.RetryAfter))
	}
	writeAttempts(b, e.Attempts, true)
}

// newFields renders the `error` fields whose value is not the message
// again, as Kaleyra's usually is, sorted by key.
func newFields(e *kaleyra.APIError) string {
	var parts []string
	for _, key := range slices.Sorted(maps.Keys(e.Fields)) {
		if value := e.Fields[key]; !sameText(value, e.Message) {
			parts = append(parts, key+": "+value)
		}
	}
	return strings.Join(parts, "; ")
}

func sameText(a, b string) bool {
	norm := func(s string) string { return strings.TrimRight(strings.TrimSpace(s), ".!") }
	return strings.EqualFold(norm(a), norm(b))
}

// writeUnexpectedResponse writes an answer that is not the envelope: its
// status, type and first bytes, and why it could not be read.
func writeUnexpectedResponse(b *strings.Builder, e *kaleyra.UnexpectedResponseError) {
	fmt.Fprintf(b, "Kaleyra answered HTTP %d with a body that is not Kaleyra's JSON envelope", e.HTTPStatus)
	if e.ContentType != "" {
		fmt.Fprintf(b, " (Content-Type %s)", e.ContentType)
	}
	b.WriteString(".\n")
	if e.Snippet != "" {
		fmt.Fprintf(b, "The body starts with: %s\n", e.Snippet)
	} else {
		b.WriteString("The body is empty.\n")
	}
	switch {
	case e.CutShort:
		b.WriteString("The JSON ends before it is complete: the answer was cut short.\n")
	case e.Snippet != "" && e.Err != nil:
		fmt.Fprintf(b, "Decoding it failed: %s\n", e.Err)
	}
	writeAttempts(b, e.Attempts, false)
}

func writeAttempts(b *strings.Builder, attempts int, lastAnswer bool) {
	switch {
	case attempts > 1 && lastAnswer:
		fmt.Fprintf(b, "Attempts: %d (the last answer is shown)\n", attempts)
	case attempts > 0:
		fmt.Fprintf(b, "Attempts: %d\n", attempts)
	}
}

// withoutPackage drops the client's "kaleyra: " prefixes, which tell a Go
// programmer where an error came from and a Terraform user nothing.
func withoutPackage(s string) string {
	return strings.ReplaceAll(s, "kaleyra: ", "")
}

// hintFor says what to do next for the errors a user can act on.
func hintFor(f readFailure, err error) string {
	var apiErr *kaleyra.APIError
	if errors.As(err, &apiErr) {
		return apiHint(f, apiErr)
	}
	var loop *kaleyra.CursorLoopError
	var repeated *kaleyra.RepeatedPageError
	var unexpected *kaleyra.UnexpectedResponseError
	var redirect *kaleyra.RedirectError
	var tooLarge *kaleyra.ResponseTooLargeError
	var timeout *kaleyra.RequestTimeoutError
	var netErr net.Error
	switch {
	case errors.As(err, &loop):
		return "The API handed out a paging cursor it had already returned, so following it would " +
			"loop or silently shorten the list. The provider stopped instead. Run again; if it persists, " +
			"report it to Kaleyra support with the cursor shown above."
	case errors.As(err, &repeated):
		return "The API answered a later page with exactly the rows of an earlier one: it, or more likely a " +
			"proxy or gateway in front of it, is dropping the `offset` query parameter, so reading on would never " +
			"end. The provider stopped instead. Check `base_url` (or " + EnvBaseURL + ") and HTTPS_PROXY/NO_PROXY: " +
			"whatever sits between the provider and Kaleyra must pass `offset` on."
	case errors.As(err, &redirect):
		return "The API answered with a redirect to another host. The provider refuses it so that the API " +
			"key never leaves the configured host. Check `base_url` (or " + EnvBaseURL + ") and any proxy in between."
	case errors.As(err, &tooLarge):
		return "The answer was larger than the provider reads from one request. Lower `page_size`, or " +
			"check that `base_url` points at the Kaleyra API."
	case errors.As(err, &unexpected):
		return "This usually comes from a proxy, gateway or load balancer in front of the API, or a " +
			"connection cut mid-answer. Check `base_url` (or " + EnvBaseURL + ") and HTTPS_PROXY/NO_PROXY, then try again."
	case errors.Is(err, context.Canceled):
		return "The read was cancelled before it finished."
	case errors.As(err, &timeout):
		return fmt.Sprintf("A request took longer than `request_timeout` (%s) once sent, and its retries ran out. "+
			"The time a request waits for its turn (`max_parallel_requests`) does not count. Raise `request_timeout` "+
			"or `max_retries` in the provider block, or lower `page_size`.", timeout.Limit)
	case errors.As(err, &netErr) && netErr.Timeout(), errors.Is(err, context.DeadlineExceeded):
		return "A request took longer than `request_timeout` (and its retries ran out). Raise " +
			"`request_timeout` or `max_retries` in the provider block, or lower `page_size`."
	}
	return "Check the network path to the Kaleyra API (`base_url`, HTTPS_PROXY/NO_PROXY); " +
		"network errors are retried up to `max_retries` times."
}

func apiHint(f readFailure, e *kaleyra.APIError) string {
	switch {
	case e.RetryAfterTooLong():
		hint := fmt.Sprintf("Kaleyra asked to wait %s before the next request (Retry-After), longer than "+
			"the provider waits (%s), so the read stopped rather than stall the plan. Run it again later.",
			seconds(e.RetryAfter), humanDuration(e.MaxRetryAfter))
		if e.HTTPStatus == http.StatusTooManyRequests {
			hint += " If it keeps happening, lower `max_parallel_requests` in the provider block."
		}
		return hint
	case e.Code == kaleyra.CodeAuth:
		return "Kaleyra did not accept the SID and API key. Check the provider's `sid` and `api_key` " +
			"arguments, or the " + EnvSID + " and " + EnvAPIKey + " environment variables, and that `pod` " +
			"(or " + EnvPod + ") is the pod of this account."
	case e.IsVersionMismatch():
		other := kaleyra.WhatsAppV1
		if f.apiVersion == kaleyra.WhatsAppV1 {
			other = kaleyra.WhatsAppV2
		}
		return fmt.Sprintf("The business number is registered on the other version of Kaleyra's WhatsApp API. "+
			"Set `api_version = %q` on the %s.", other, f.kind)
	case e.Code == kaleyra.CodeVersionOrAccount:
		return "This Kaleyra API is not enabled for the account. Ask Kaleyra support to enable it."
	case e.Code == kaleyra.CodeNumber:
		return "The business number is not active, or is not on this account. Check `phone_number` and " +
			"that the number's WhatsApp plan is active in the Kaleyra console for the configured SID."
	case e.Code == kaleyra.CodeLowBalance:
		return "The Kaleyra account's balance is low. Top it up in the Kaleyra console, then run again."
	case e.Code == kaleyra.CodeBadRequest:
		return "Kaleyra rejected the request the provider built. Check the " + string(f.kind) + "'s arguments " +
			"(numbers in E.164, `page_size` in range); if they are valid, this is a provider bug: please report it " +
			"with this message."
	case e.Code == kaleyra.CodeContactsFailed:
		return "Kaleyra could not fetch the blocklist. Try again later; if it persists, contact Kaleyra support."
	case e.IsBlocklistChanged():
		return "The blocklist kept changing while it was being read. Run again when it is quieter."
	case e.HTTPStatus == http.StatusTooManyRequests:
		return "Kaleyra is rate limiting the account and the retries ran out. Raise `max_retries`, or lower " +
			"`max_parallel_requests`, in the provider block."
	case e.HTTPStatus == http.StatusAccepted || e.Code == kaleyra.CodeAccepted:
		return "Kaleyra accepted the request but had no answer ready before the retries ran out. Run again, " +
			"or raise `max_retries`."
	case e.HTTPStatus >= 500 || e.Code == kaleyra.CodeServer:
		return "Kaleyra had a server error and the retries ran out. Try again later, or raise `max_retries`."
	}
	return ""
}

// addReadTimeoutError reports a read that ran past its read timeout: one
// diagnostic naming the timeout and its value, and what to do.
func addReadTimeoutError(diags *diag.Diagnostics, f readFailure, timeout string) {
	diags.AddError("Kaleyra Read Timed Out", fmt.Sprintf(
		"The %s %s did not finish reading %s within %s. No partial list was returned.\n\n"+
			"The read timeout bounds the whole read, retries and Retry-After waits included. Raise it with a "+
			"`timeouts { read = \"…\" }` block on the %[2]s, or check why Kaleyra answers slowly "+
			"(`TF_LOG_PROVIDER=DEBUG` logs every request's duration).",
		f.typeName, f.kind, f.subject, timeout))
}

// seconds renders a wait in whole seconds, rounded up: "300 seconds".
func seconds(d time.Duration) string {
	return plural(int(math.Ceil(d.Seconds())), "second")
}

// humanDuration renders a limit: "2 minutes" when it is whole minutes, else
// seconds.
func humanDuration(d time.Duration) string {
	if d >= time.Minute && d%time.Minute == 0 {
		return plural(int(d/time.Minute), "minute")
	}
	return seconds(d)
}

// plural is "1 number", "2 numbers": n and the noun, in the right number.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
