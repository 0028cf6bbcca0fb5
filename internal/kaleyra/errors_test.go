package kaleyra_test

import (
	"context"
	"errors"
	"maps"
	"strconv"
	"strings"
	"testing"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/kaleyra"
	"github.com/kaleyra/terraform-provider-kaleyra/internal/sandbox"
)

// The documented failure messages, exactly as the Kaleyra API pages show
// them.
const (
	msgAuth          = "Incorrect SID or API key."
	msgNumberAbsent  = "Phone number is not present or does not belong to the account."
	msgNumberOff     = "The phone number you're using not active"
	msgWrongVersion  = "The phone number you're using is associated with different Version of our WA API. Please use the appropriate endpoint."
	msgUnavailable   = "API is not available for given customer.Please contact support for more info"
	msgBadRequest    = "Refer to correct payload format"
	msgBadPayload    = "Incorrect payload format"
	msgLowBalance    = "Please check your balance, You have a low balance!"
	msgServerError   = "Please try again later"
	msgServerText    = "Internal server error"
	msgFetchFailed   = "Unable to fetch the blocklisted number"
	msgAccepted      = "Request Accepted"
	msgTooManyAsSent = sandbox.MessageTooManyRequests
)

// call is one client call against the sandbox account.
type call func(ctx context.Context, c *kaleyra.Client) error

func whatsappPage(number, version string, limit int) call {
	return func(ctx context.Context, c *kaleyra.Client) error {
		_, err := c.WhatsAppBlockedUsersPage(ctx, kaleyra.WhatsAppPageRequest{PhoneNumber: number, APIVersion: version, Limit: limit})
		return err
	}
}

func whatsappList(number string) call {
	return func(ctx context.Context, c *kaleyra.Client) error {
		_, _, err := c.WhatsAppBlockedUsers(ctx, kaleyra.WhatsAppListRequest{PhoneNumber: number})
		return err
	}
}

func contactsPage(limit int) call {
	return func(ctx context.Context, c *kaleyra.Client) error {
		_, err := c.ContactsBlocklistedPage(ctx, kaleyra.ContactsPageRequest{Limit: limit, Mobiles: []string{"+918021234552"}})
		return err
	}
}

func contactsList() call {
	return func(ctx context.Context, c *kaleyra.Client) error {
		_, _, err := c.ContactsBlocklisted(ctx, kaleyra.ContactsListRequest{})
		return err
	}
}

func TestDocumentedErrorsAreTyped(t *testing.T) {
	sb := startSandbox(t, testSeed([]string{"919812345678"}, blocklistEntries(3)), sandbox.Options{})
	wrongKey := func(cfg *kaleyra.Config) { cfg.APIKey = "Awrong0key" }
	wrongSID := func(cfg *kaleyra.Config) { cfg.SID = "HXNOSUCHSID000IN" }
	lowBalance := func(cfg *kaleyra.Config) { cfg.SID, cfg.APIKey = lowBalanceSID, lowBalanceKey }
	unavailable := func(cfg *kaleyra.Config) { cfg.SID, cfg.APIKey = unavailableSID, unavailableKey }
	retried := testMaxRetries + 1

	cases := []struct {
		name            string
		config          func(*kaleyra.Config)
		fault           *sandbox.Fault
		call            call
		want            kaleyra.APIError
		versionMismatch bool
		changed         bool
	}{
		{
			name: "RBC001 wrong key, WhatsApp", config: wrongKey, call: whatsappList(v2Number),
			want: kaleyra.APIError{API: kaleyra.APIWhatsApp, HTTPStatus: 401, Code: "RBC001", Message: msgAuth, Fields: map[string]string{"error": msgAuth}, Attempts: 1},
		},
		{
			name: "RBC001 wrong key, Contacts", config: wrongKey, call: contactsList(),
			want: kaleyra.APIError{API: kaleyra.APIContacts, HTTPStatus: 401, Code: "RBC001", Message: msgAuth, Fields: map[string]string{"error": msgAuth}, Attempts: 1},
		},
		{
			name: "RBC001 wrong SID, WhatsApp", config: wrongSID, call: whatsappList(v2Number),
			want: kaleyra.APIError{API: kaleyra.APIWhatsApp, HTTPStatus: 401, Code: "RBC001", Message: msgAuth, Fields: map[string]string{"error": msgAuth}, Attempts: 1},
		},
		{
			name: "RBC001 wrong SID, Contacts", config: wrongSID, call: contactsList(),
			want: kaleyra.APIError{API: kaleyra.APIContacts, HTTPStatus: 401, Code: "RBC001", Message: msgAuth, Fields: map[string]string{"error": msgAuth}, Attempts: 1},
		},
		{
			name: "WA401 number not on the account", call: whatsappList(unknownNumber),
			want: kaleyra.APIError{API: kaleyra.APIWhatsApp, HTTPStatus: 401, Code: "WA401", Message: msgNumberAbsent, Fields: map[string]string{"phone_number": msgNumberAbsent}, Attempts: 1},
		},
		{
			name: "WA401 number not active", call: whatsappList(inactiveNumber),
			want: kaleyra.APIError{API: kaleyra.APIWhatsApp, HTTPStatus: 401, Code: "WA401", Message: msgNumberOff, Fields: map[string]string{"phone_number": msgNumberOff}, Attempts: 1},
		},
		{
			name: "WA-401 other API version", call: whatsappPage(v1Number, kaleyra.WhatsAppV2, 0),
			want:            kaleyra.APIError{API: kaleyra.APIWhatsApp, HTTPStatus: 401, Code: "WA-401", Message: msgWrongVersion, Fields: map[string]string{"phone_number": msgWrongVersion}, Attempts: 1},
			versionMismatch: true,
		},
		{
			name: "WA-401 other API version, v1 asked", call: whatsappPage(v2Number, kaleyra.WhatsAppV1, 0),
			want:            kaleyra.APIError{API: kaleyra.APIWhatsApp, HTTPStatus: 401, Code: "WA-401", Message: msgWrongVersion, Fields: map[string]string{"phone_number": msgWrongVersion}, Attempts: 1},
			versionMismatch: true,
		},
		{
			name: "WA-401 API not on the account", config: unavailable, call: contactsList(),
			want: kaleyra.APIError{API: kaleyra.APIContacts, HTTPStatus: 401, Code: "WA-401", Message: msgUnavailable, Fields: map[string]string{"account": msgUnavailable}, Attempts: 1},
		},
		{
			name: "WA400 WhatsApp limit out of range", call: whatsappPage(v2Number, "", kaleyra.WhatsAppMaxPageSize+1),
			want: kaleyra.APIError{API: kaleyra.APIWhatsApp, HTTPStatus: 400, Code: "WA400", Message: msgBadRequest, Fields: map[string]string{"payload": msgBadPayload}, Attempts: 1},
		},
		{
			name: "WA400 Contacts limit out of range", call: contactsPage(kaleyra.ContactsMaxPageSize + 1),
			want: kaleyra.APIError{API: kaleyra.APIContacts, HTTPStatus: 400, Code: "WA400", Message: msgBadRequest, Fields: map[string]string{"payload": msgBadPayload}, Attempts: 1},
		},
		{
			name: "E110 low balance", config: lowBalance, call: contactsList(),
			want: kaleyra.APIError{API: kaleyra.APIContacts, HTTPStatus: 400, Code: "E110", Message: msgLowBalance, Fields: map[string]string{"balance": msgLowBalance}, Attempts: 1},
		},
		{
			name: "WA500 after retries, WhatsApp", fault: &sandbox.Fault{API: "whatsapp", Status: 500, Times: -1}, call: whatsappList(v2Number),
			want: kaleyra.APIError{API: kaleyra.APIWhatsApp, HTTPStatus: 500, Code: "WA500", Message: msgServerError, Fields: map[string]string{"error": msgServerText}, Attempts: retried},
		},
		{
			name: "WA500 after retries, Contacts", fault: &sandbox.Fault{API: "contacts", Code: "WA500", Times: -1}, call: contactsList(),
			want: kaleyra.APIError{API: kaleyra.APIContacts, HTTPStatus: 500, Code: "WA500", Message: msgServerError, Fields: map[string]string{"error": msgServerText}, Attempts: retried},
		},
		{
			name: "CNT195", fault: &sandbox.Fault{API: "contacts", Code: "CNT195"}, call: contactsList(),
			want: kaleyra.APIError{API: kaleyra.APIContacts, HTTPStatus: 400, Code: "CNT195", Message: msgFetchFailed, Fields: map[string]string{"description": msgFetchFailed}, Attempts: 1},
		},
		{
			// The page shows CNT195 without a status, with data []: a 200
			// like that is a failure, never an empty blocklist.
			name: "CNT195 with HTTP 200", fault: &sandbox.Fault{API: "contacts", Code: "CNT195", Status: 200}, call: contactsList(),
			want: kaleyra.APIError{API: kaleyra.APIContacts, HTTPStatus: 200, Code: "CNT195", Message: msgFetchFailed, Fields: map[string]string{"description": msgFetchFailed}, Attempts: 1},
		},
		{
			name: "139102 blocklist changed, one page", fault: &sandbox.Fault{API: "whatsapp", BlocklistChanged: true}, call: whatsappPage(v2Number, "", 0),
			want: kaleyra.APIError{
				API: kaleyra.APIWhatsApp, HTTPStatus: 400, Code: "139102", Message: sandbox.MessageBlocklistChanged,
				Fields: map[string]string{"code": "139102", "message": sandbox.MessageBlocklistChanged}, Attempts: 1,
			},
			changed: true,
		},
		{
			name: "202 WA202 after retries", fault: &sandbox.Fault{API: "whatsapp", Accepted: true, Times: -1}, call: whatsappList(v2Number),
			want: kaleyra.APIError{API: kaleyra.APIWhatsApp, HTTPStatus: 202, Code: "WA202", Message: msgAccepted, Attempts: retried},
		},
		{
			name: "429 after retries", fault: &sandbox.Fault{API: "contacts", Status: 429, Times: -1}, call: contactsList(),
			want: kaleyra.APIError{API: kaleyra.APIContacts, HTTPStatus: 429, Code: sandbox.CodeTooManyRequests, Message: msgTooManyAsSent, Fields: map[string]string{"error": msgTooManyAsSent}, Attempts: retried},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sb.ClearFaults()
			sb.ResetRequests()
			if tc.fault != nil {
				sb.AddFault(*tc.fault)
			}
			opts := []func(*kaleyra.Config){}
			if tc.config != nil {
				opts = append(opts, tc.config)
			}
			err := tc.call(context.Background(), newClient(t, sb.URL(), opts...))
			got := asAPIError(t, err)
			if got.API != tc.want.API || got.HTTPStatus != tc.want.HTTPStatus || got.Code != tc.want.Code ||
				got.Message != tc.want.Message || !maps.Equal(got.Fields, tc.want.Fields) || got.Attempts != tc.want.Attempts {
				t.Fatalf("got  %#v\nwant %#v", *got, tc.want)
			}
			if n := len(sb.Requests()); n != tc.want.Attempts {
				t.Errorf("%d requests, want %d", n, tc.want.Attempts)
			}
			if got.IsVersionMismatch() != tc.versionMismatch {
				t.Errorf("IsVersionMismatch() = %t", got.IsVersionMismatch())
			}
			if got.IsBlocklistChanged() != tc.changed {
				t.Errorf("IsBlocklistChanged() = %t", got.IsBlocklistChanged())
			}
			// The text names the status, the code, the message and the fields.
			text := err.Error()
			for _, part := range []string{"HTTP " + strconv.Itoa(tc.want.HTTPStatus), tc.want.Code, tc.want.Message, got.FieldsString()} {
				if !strings.Contains(text, part) {
					t.Errorf("error %q does not contain %q", text, part)
				}
			}
			if tc.want.Attempts > 1 && !strings.Contains(text, "after "+strconv.Itoa(tc.want.Attempts)+" attempts") {
				t.Errorf("error %q does not name the %d attempts", text, tc.want.Attempts)
			}
		})
	}
}

func TestAPIErrorHelpers(t *testing.T) {
	// 139102 may also come only in the fields, under a code of Kaleyra's.
	inFields := &kaleyra.APIError{Code: "WA400", Fields: map[string]string{"code": "139102"}}
	if !inFields.IsBlocklistChanged() {
		t.Error("139102 in the fields was not recognised")
	}
	if (&kaleyra.APIError{Code: "WA500"}).IsBlocklistChanged() {
		t.Error("WA500 read as 139102")
	}
	account := &kaleyra.APIError{Code: "WA-401", Message: msgUnavailable, Fields: map[string]string{"account": msgUnavailable}}
	if account.IsVersionMismatch() {
		t.Error("the account WA-401 read as a version mismatch")
	}
	other := &kaleyra.APIError{Code: "WA401", Message: msgWrongVersion}
	if other.IsVersionMismatch() {
		t.Error("a WA401 read as a version mismatch")
	}
	var target *kaleyra.APIError
	wrapped := errors.Join(errors.New("reading"), &kaleyra.APIError{Code: "E110"})
	if !errors.As(wrapped, &target) || target.Code != "E110" {
		t.Error("errors.As does not find a wrapped *APIError")
	}
}
