package kaleyra_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/kaleyra"
	"github.com/kaleyra/terraform-provider-kaleyra/internal/sandbox"
)

func TestDocumentedErrorCodeOnHTTP200IsAnError(t *testing.T) {
	// An envelope with a documented failure code is a failure whatever the
	// status, even with data [] and no error fields: reading it as an empty
	// page would return an empty list as if it were complete.
	sb := startSandbox(t, testSeed([]string{"919812345678"}, blocklistEntries(3)), sandbox.Options{})
	codes := []string{
		kaleyra.CodeAuth, kaleyra.CodeNumber, kaleyra.CodeVersionOrAccount, kaleyra.CodeBadRequest,
		kaleyra.CodeLowBalance, kaleyra.CodeServer, kaleyra.CodeContactsFailed, kaleyra.CodeAccepted,
		kaleyra.CodeBlocklistChanged,
	}
	for _, code := range codes {
		for _, api := range []string{"whatsapp", "contacts"} {
			t.Run(code+"/"+api, func(t *testing.T) {
				sb.ClearFaults()
				sb.AddFault(sandbox.Fault{
					RawBody:     `{"code":"` + code + `","message":"m","data":[],"error":{}}`,
					ContentType: "application/json",
				})
				c := newClient(t, sb.URL())
				var err error
				if api == "whatsapp" {
					var page *kaleyra.WhatsAppPage
					page, err = c.WhatsAppBlockedUsersPage(context.Background(), kaleyra.WhatsAppPageRequest{PhoneNumber: v2Number})
					if err == nil {
						t.Fatalf("a 200 with code %s read as a page of %d users", code, len(page.Users))
					}
				} else {
					var rows []kaleyra.BlocklistedContact
					rows, err = c.ContactsBlocklistedPage(context.Background(), kaleyra.ContactsPageRequest{})
					if err == nil {
						t.Fatalf("a 200 with code %s read as a page of %d rows", code, len(rows))
					}
				}
				if got := asAPIError(t, err); got.HTTPStatus != 200 || got.Code != code {
					t.Errorf("got HTTP %d code %s", got.HTTPStatus, got.Code)
				}
			})
		}
	}
}

const gatewayPage = `<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>`

func TestNonEnvelopeBodyIsUnexpectedResponse(t *testing.T) {
	long := "<!DOCTYPE html>" + strings.Repeat("<p>maintenance</p>", 40)
	cases := []struct {
		name         string
		fault        sandbox.Fault
		wantStatus   int
		wantAttempts int
		wantSnippet  string
		wantCut      bool
	}{
		{name: "HTML with 200", fault: sandbox.Fault{RawBody: gatewayPage}, wantStatus: 200, wantAttempts: 1, wantSnippet: `"<html><head><title>502 Bad Gateway`},
		{name: "HTML with 502, retried", fault: sandbox.Fault{RawBody: gatewayPage, Status: 502, Times: -1}, wantStatus: 502, wantAttempts: testMaxRetries + 1, wantSnippet: `"<html>`},
		{name: "long page is cut", fault: sandbox.Fault{RawBody: long, Status: 403}, wantStatus: 403, wantAttempts: 1, wantSnippet: `"<!DOCTYPE html><p>maintenance`, wantCut: true},
		{name: "JSON that is not the envelope", fault: sandbox.Fault{RawBody: `{"error":"bad gateway"}`, ContentType: "application/json", Status: 400}, wantStatus: 400, wantAttempts: 1, wantSnippet: `"{\"error\":\"bad gateway\"}"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sb := startSandbox(t, testSeed(fewUsers, nil), sandbox.Options{})
			sb.AddFault(tc.fault)
			_, err := readUsers(context.Background(), newClient(t, sb.URL()))
			var unexpected *kaleyra.UnexpectedResponseError
			if !errors.As(err, &unexpected) {
				t.Fatalf("error %v (%T), want a *kaleyra.UnexpectedResponseError", err, err)
			}
			if unexpected.HTTPStatus != tc.wantStatus || unexpected.Attempts != tc.wantAttempts {
				t.Errorf("HTTP %d after %d attempts; want %d after %d", unexpected.HTTPStatus, unexpected.Attempts, tc.wantStatus, tc.wantAttempts)
			}
			if !strings.HasPrefix(unexpected.Snippet, tc.wantSnippet) {
				t.Errorf("snippet %s does not start with %s", unexpected.Snippet, tc.wantSnippet)
			}
			if cut := strings.HasSuffix(unexpected.Snippet, "…"); cut != tc.wantCut {
				t.Errorf("snippet %s: cut = %t, want %t", unexpected.Snippet, cut, tc.wantCut)
			}
			if len(unexpected.Snippet) > 260 {
				t.Errorf("the snippet is %d bytes long", len(unexpected.Snippet))
			}
			if tc.fault.ContentType == "" && unexpected.ContentType != "text/html; charset=utf-8" {
				t.Errorf("content type %q", unexpected.ContentType)
			}
			if !strings.Contains(err.Error(), "HTTP "+strconv.Itoa(tc.wantStatus)) || !strings.Contains(err.Error(), tc.wantSnippet) {
				t.Errorf("error %q does not show the status and the body", err)
			}
			if n := len(sb.Requests()); n != tc.wantAttempts {
				t.Errorf("%d requests, want %d", n, tc.wantAttempts)
			}
		})
	}
}
