package kaleyra

import (
	"net/url"
	"strings"
	"testing"
)

func TestHostTable(t *testing.T) {
	// The two APIs document different host tables: SG differs.
	cases := []struct {
		pod                Pod
		whatsapp, contacts string
	}{
		{PodIN, "api.in.kaleyra.io", "api.in.kaleyra.io"},
		{PodSG, "api.ap.kaleyra.io", "api.kaleyra.io"},
		{PodEU, "api.eu.kaleyra.io", "api.eu.kaleyra.io"},
		{PodNA, "api.na.kaleyra.ai", "api.na.kaleyra.ai"},
	}
	for _, tc := range cases {
		c, err := New(Config{Pod: tc.pod, SID: "HXSID", APIKey: "k"})
		if err != nil {
			t.Fatal(err)
		}
		if got := c.endpoint(APIWhatsApp, []string{"v2", "HXSID", "whatsapp", "+919876543210", "block_users"}, nil).String(); got != "https://"+tc.whatsapp+"/v2/HXSID/whatsapp/+919876543210/block_users" {
			t.Errorf("pod %s WhatsApp URL = %s", tc.pod, got)
		}
		if got := c.endpoint(APIContacts, []string{"v1", "HXSID", "contacts", "blocklisted"}, nil).String(); got != "https://"+tc.contacts+"/v1/HXSID/contacts/blocklisted" {
			t.Errorf("pod %s Contacts URL = %s", tc.pod, got)
		}
	}
}

func TestParsePod(t *testing.T) {
	for in, want := range map[string]Pod{"in": PodIN, "Sg": PodSG, "EU": PodEU, "na": PodNA} {
		got, err := ParsePod(in)
		if err != nil || got != want {
			t.Errorf("ParsePod(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParsePod("US"); err == nil || !strings.Contains(err.Error(), "IN, SG, EU or NA") {
		t.Errorf("ParsePod(US) error = %v", err)
	}
}

func TestBaseURLReplacesEveryHost(t *testing.T) {
	c, err := New(Config{Pod: PodSG, SID: "S", APIKey: "k", BaseURL: "https://gw.example.com/kaleyra/"})
	if err != nil {
		t.Fatal(err)
	}
	for _, api := range []API{APIWhatsApp, APIContacts} {
		got := c.endpoint(api, []string{"v1", "S", "x"}, nil).String()
		if got != "https://gw.example.com/kaleyra/v1/S/x" {
			t.Errorf("%s URL = %s", api, got)
		}
	}
}

func TestParseBaseURL(t *testing.T) {
	ok := []string{"https://api.example.com", "http://127.0.0.1:8787", "http://localhost:1", "http://[::1]:80/p", "http://127.1.2.3"}
	for _, raw := range ok {
		if _, err := ParseBaseURL(raw); err != nil {
			t.Errorf("ParseBaseURL(%q) = %v", raw, err)
		}
	}
	bad := map[string]string{
		"api.example.com":               "absolute",
		"http://api.example.com":        "not loopback",
		"http://10.0.0.1":               "not loopback",
		"ftp://127.0.0.1":               "scheme",
		"https://u:p@api.example.com":   "user information",
		"https://api.example.com/?q=1":  "query",
		"https://api.example.com/#frag": "fragment",
		"":                              "absolute",
	}
	for raw, want := range bad {
		_, err := ParseBaseURL(raw)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseBaseURL(%q) = %v; want an error about %q", raw, err, want)
		}
	}
	if _, err := ParseBaseURL("https://u:secret@api.example.com"); err != nil && strings.Contains(err.Error(), "secret") {
		t.Errorf("the error shows the password: %v", err)
	}
}

func TestEndpointEscapesQueryPlus(t *testing.T) {
	c, err := New(Config{SID: "S", APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	q := url.Values{"mobile": {"+919876543210,+919876543211"}}
	got := c.endpoint(APIContacts, []string{"v1", "S", "contacts", "blocklisted"}, q).RawQuery
	if got != "mobile=%2B919876543210%2C%2B919876543211" {
		t.Errorf("query = %s", got)
	}
}
