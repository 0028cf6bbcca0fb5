package provider

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/kaleyra"
)

// readFailure describes a failed read for the diagnostic: which data source,
// what it was reading, and the arguments a hint may name.
type readFailure struct {
	summary    string // "Unable to Read WhatsApp Blocked Users"
	dataSource string // "kaleyra_whatsapp_blocked_users"
	subject    string // "the users blocked by +9194..."
	apiVersion string // WhatsApp only: the version used
}

// addReadError turns any client error into one error diagnostic: what
// failed, Kaleyra's status, code, message and fields, what to do next, and
// the original error. Every API error goes through here.
func addReadError(diags *diag.Diagnostics, f readFailure, err error) {
	var b strings.Builder
	fmt.Fprintf(&b, "The %s data source could not read %s. No partial list was returned.\n\n", f.dataSource, f.subject)

	var apiErr *kaleyra.APIError
	var unexpected *kaleyra.UnexpectedResponseError
	switch {
	case errors.As(err, &apiErr):
		fmt.Fprintf(&b, "Kaleyra answered HTTP %d", apiErr.HTTPStatus)
		if apiErr.Code != "" {
			fmt.Fprintf(&b, " with code %s", apiErr.Code)
		}
		if apiErr.Message != "" {
			fmt.Fprintf(&b, ": %s", apiErr.Message)
		}
		b.WriteString("\n")
		if fields := apiErr.FieldsString(); fields != "" {
			fmt.Fprintf(&b, "Error fields: %s\n", fields)
		}
		if apiErr.Attempts > 1 {
			fmt.Fprintf(&b, "Attempts: %d (the last answer is shown)\n", apiErr.Attempts)
		}
	case errors.As(err, &unexpected):
		fmt.Fprintf(&b, "Kaleyra answered HTTP %d with a body that is not Kaleyra's JSON envelope", unexpected.HTTPStatus)
		if unexpected.ContentType != "" {
			fmt.Fprintf(&b, " (Content-Type %s)", unexpected.ContentType)
		}
		b.WriteString(".\n")
		if unexpected.Snippet != "" {
			fmt.Fprintf(&b, "The body starts with: %s\n", unexpected.Snippet)
		} else {
			b.WriteString("The body is empty.\n")
		}
		if unexpected.Attempts > 1 {
			fmt.Fprintf(&b, "Attempts: %d\n", unexpected.Attempts)
		}
	}
	if hint := hintFor(f, err); hint != "" {
		fmt.Fprintf(&b, "\n%s\n", hint)
	}
	fmt.Fprintf(&b, "\nCause: %s", err)
	diags.AddError(f.summary, b.String())
}

// hintFor says what to do next for the errors a user can act on.
func hintFor(f readFailure, err error) string {
	var apiErr *kaleyra.APIError
	if errors.As(err, &apiErr) {
		return apiHint(f, apiErr)
	}
	var loop *kaleyra.CursorLoopError
	var unexpected *kaleyra.UnexpectedResponseError
	var redirect *kaleyra.RedirectError
	var tooLarge *kaleyra.ResponseTooLargeError
	var netErr net.Error
	switch {
	case errors.As(err, &loop):
		return "The API handed out a paging cursor it had already returned, so following it would " +
			"loop or silently shorten the list. The provider stopped instead. Run again; if it persists, " +
			"report it to Kaleyra support with the cursor shown below."
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
	case errors.As(err, &netErr) && netErr.Timeout(), errors.Is(err, context.DeadlineExceeded):
		return "A request took longer than `request_timeout` (and its retries ran out). Raise " +
			"`request_timeout` or `max_retries` in the provider block, or lower `page_size`."
	}
	return "Check the network path to the Kaleyra API (`base_url`, HTTPS_PROXY/NO_PROXY); " +
		"network errors are retried up to `max_retries` times."
}

func apiHint(f readFailure, e *kaleyra.APIError) string {
	switch {
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
			"Set `api_version = %q` on the data source.", other)
	case e.Code == kaleyra.CodeVersionOrAccount:
		return "This Kaleyra API is not enabled for the account. Ask Kaleyra support to enable it."
	case e.Code == kaleyra.CodeNumber:
		return "The business number is not active, or is not on this account. Check `phone_number` and " +
			"that the number's WhatsApp plan is active in the Kaleyra console for the configured SID."
	case e.Code == kaleyra.CodeLowBalance:
		return "The Kaleyra account's balance is low. Top it up in the Kaleyra console, then run again."
	case e.Code == kaleyra.CodeBadRequest:
		return "Kaleyra rejected the request the provider built. Check the data source's arguments " +
			"(numbers in E.164, `page_size` in range); if they are valid, this is a provider bug: please report it " +
			"with this message."
	case e.Code == kaleyra.CodeContactsFailed:
		return "Kaleyra could not fetch the blocklist. Try again later; if it persists, contact Kaleyra support."
	case e.IsBlocklistChanged():
		return "The blocklist kept changing while it was being read, even after restarting from the first " +
			"page. Run again when it is quieter."
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
		"The %s data source did not finish reading %s within %s. No partial list was returned.\n\n"+
			"The read timeout bounds the whole read, retries and Retry-After waits included. Raise it with a "+
			"`timeouts { read = \"…\" }` block on the data source, or check why Kaleyra answers slowly "+
			"(`TF_LOG_PROVIDER=DEBUG` logs every request's duration).",
		f.dataSource, f.subject, timeout))
}
