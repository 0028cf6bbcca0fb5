package sandbox

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
)

// Response codes and messages, exactly as the Kaleyra API pages show them.
const (
	codeWhatsAppOK = "WA200"
	msgWhatsAppOK  = "Request Processed Successfully"

	codeContactsOK = "CNT196"
	msgContactsOK  = "Successfully fetched blocklisted number(s)"

	codeAccepted = "WA202"
	msgAccepted  = "Request Accepted"

	codeBadRequest = "WA400"
	msgBadRequest  = "Refer to correct payload format"
	msgBadPayload  = "Incorrect payload format"

	codeAuth = "RBC001"
	msgAuth  = "Incorrect SID or API key."

	codeNumber         = "WA401"
	msgNumberAbsent    = "Phone number is not present or does not belong to the account."
	msgNumberInactive  = "The phone number you're using not active"
	codeUnavailable    = "WA-401"
	msgWrongVersion    = "The phone number you're using is associated with different Version of our WA API. Please use the appropriate endpoint."
	msgAPIUnavailable  = "API is not available for given customer.Please contact support for more info"
	codeServerError    = "WA500"
	msgServerError     = "Please try again later"
	msgServerErrorText = "Internal server error"

	codeLowBalance = "E110"
	msgLowBalance  = "Please check your balance, You have a low balance!"

	codeFetchFailed = "CNT195"
	msgFetchFailed  = "Unable to fetch the blocklisted number"
)

// CodeBlocklistChanged and MessageBlocklistChanged form the envelope of Meta's
// error 139102 ("the blocklist changed while it was being paged") as the
// sandbox assumes Kaleyra passes it through. Kaleyra's pages are silent on it;
// this is the project's documented assumption:
//
//	HTTP 400
//	{"code":"139102",
//	 "message":"The blocklist changed while it was being paged. Start again from the first page.",
//	 "data":{},
//	 "error":{"code":"139102","message":"The blocklist changed while it was being paged. Start again from the first page."}}
const (
	CodeBlocklistChanged    = "139102"
	MessageBlocklistChanged = "The blocklist changed while it was being paged. Start again from the first page."
)

// Codes the sandbox uses where the Kaleyra pages document none: unknown paths
// (404) and rate limiting (429, only ever sent by a Fault). They follow the
// documented "WA" + HTTP status pattern.
const (
	CodeNotFound           = "WA404"
	MessageNotFound        = "Requested resource not found"
	CodeTooManyRequests    = "WA429"
	MessageTooManyRequests = "Too many requests, please try again later"
)

var (
	emptyObject = json.RawMessage(`{}`)
	emptyArray  = json.RawMessage(`[]`)
)

// envelope is the body of every API response, fields in the documented order.
// Error is omitted only where the docs omit it (WA200).
type envelope struct {
	Code    string  `json:"code"`
	Message string  `json:"message"`
	Data    any     `json:"data"`
	Paging  *paging `json:"paging,omitempty"`
	Error   any     `json:"error,omitempty"`
}

type paging struct {
	Cursors cursors `json:"cursors"`
	Next    string  `json:"next,omitempty"`
}

type cursors struct {
	Before string `json:"before"`
	After  string `json:"after"`
}

// response is a complete answer, built before anything is written so that
// faults can pad, cut or reset it.
type response struct {
	status      int
	code        string // the Kaleyra code, for the request log
	contentType string
	location    string
	body        []byte
}

func jsonResponse(status int, env envelope) response {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(env); err != nil {
		// Only sandbox-built values are encoded; this cannot happen.
		panic("sandbox: encode envelope: " + err.Error())
	}
	return response{status: status, code: env.Code, contentType: "application/json", body: buf.Bytes()}
}

// codeDoc is the documented shape of an error code.
type codeDoc struct {
	status    int
	message   string
	dataArray bool // data is [] rather than {}
	fields    map[string]string
}

// documentedError returns the documented envelope parts of code for a
// request to api ("whatsapp", "contacts" or ""). WA-401 has two documented
// messages: the API-version one on WhatsApp, the account one on Contacts.
func documentedError(code, api string) (codeDoc, bool) {
	switch code {
	case codeBadRequest:
		return codeDoc{http.StatusBadRequest, msgBadRequest, false, map[string]string{"payload": msgBadPayload}}, true
	case codeAuth:
		return codeDoc{http.StatusUnauthorized, msgAuth, true, map[string]string{"error": msgAuth}}, true
	case codeNumber:
		return codeDoc{http.StatusUnauthorized, msgNumberAbsent, false, map[string]string{"phone_number": msgNumberAbsent}}, true
	case codeUnavailable:
		if api == "contacts" {
			return codeDoc{http.StatusUnauthorized, msgAPIUnavailable, false, map[string]string{"account": msgAPIUnavailable}}, true
		}
		return codeDoc{http.StatusUnauthorized, msgWrongVersion, false, map[string]string{"phone_number": msgWrongVersion}}, true
	case codeServerError:
		return codeDoc{http.StatusInternalServerError, msgServerError, false, map[string]string{"error": msgServerErrorText}}, true
	case codeLowBalance:
		return codeDoc{http.StatusBadRequest, msgLowBalance, false, map[string]string{"balance": msgLowBalance}}, true
	case codeFetchFailed:
		// The page shows no HTTP status for CNT195; 400 is the sandbox's assumption.
		return codeDoc{http.StatusBadRequest, msgFetchFailed, true, map[string]string{"description": msgFetchFailed}}, true
	case CodeBlocklistChanged:
		return codeDoc{http.StatusBadRequest, MessageBlocklistChanged, false,
			map[string]string{"code": CodeBlocklistChanged, "message": MessageBlocklistChanged}}, true
	case CodeNotFound:
		return codeDoc{http.StatusNotFound, MessageNotFound, false, map[string]string{"error": MessageNotFound}}, true
	case CodeTooManyRequests:
		return codeDoc{http.StatusTooManyRequests, MessageTooManyRequests, false, map[string]string{"error": MessageTooManyRequests}}, true
	}
	return codeDoc{}, false
}

// codeForStatus is the default Kaleyra code of an HTTP status.
func codeForStatus(status int) string {
	switch {
	case status == http.StatusBadRequest:
		return codeBadRequest
	case status == http.StatusUnauthorized:
		return codeAuth
	case status == http.StatusNotFound:
		return CodeNotFound
	case status == http.StatusTooManyRequests:
		return CodeTooManyRequests
	case status >= 500:
		return codeServerError
	}
	return "WA" + strconv.Itoa(status)
}

func errorResponse(status int, code, message string, dataArray bool, fields map[string]string) response {
	var data any = emptyObject
	if dataArray {
		data = emptyArray
	}
	if fields == nil {
		fields = map[string]string{}
	}
	return jsonResponse(status, envelope{Code: code, Message: message, Data: data, Error: fields})
}

// documented answers code exactly as documented.
func documented(code, api string) response { return documentedWithStatus(code, api, 0) }

// documentedWithStatus is documented with another HTTP status (0: the
// documented one).
func documentedWithStatus(code, api string, status int) response {
	d, _ := documentedError(code, api)
	if status == 0 {
		status = d.status
	}
	return errorResponse(status, code, d.message, d.dataArray, d.fields)
}

func badRequest() response   { return documented(codeBadRequest, "") }
func unauthorized() response { return documented(codeAuth, "") }

func numberInactive() response {
	return errorResponse(http.StatusUnauthorized, codeNumber, msgNumberInactive, false,
		map[string]string{"phone_number": msgNumberInactive})
}

func notFound(r *http.Request) response {
	return errorResponse(http.StatusNotFound, CodeNotFound, MessageNotFound, false,
		map[string]string{"path": "No API at " + r.Method + " " + r.URL.Path})
}

func acceptedResponse(messageID string) response {
	return jsonResponse(http.StatusAccepted, envelope{
		Code:    codeAccepted,
		Message: msgAccepted,
		Data:    map[string]string{"message_id": messageID},
		Error:   emptyObject,
	})
}
