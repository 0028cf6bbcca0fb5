package sandbox_test

import (
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/sandbox"
)

func TestDefaultSeed(t *testing.T) {
	seed := sandbox.DefaultSeed()
	if len(seed.Accounts) != 1 {
		t.Fatalf("%d accounts", len(seed.Accounts))
	}
	a := seed.Accounts[0]
	if a.SID != "HXDEMO00000000IN" || a.APIKey != "sandbox-demo-key" {
		t.Errorf("account %s / %s", a.SID, a.APIKey)
	}
	var v1, v2, inactive, blocked int
	for _, n := range a.WhatsAppNumbers {
		switch {
		case n.Inactive:
			inactive++
		case n.APIVersion == "v1":
			v1++
		case n.APIVersion == "v2":
			v2++
		}
		blocked += len(n.Blocked)
	}
	if v1 < 1 || v2 < 1 || inactive < 1 || blocked < 35 || blocked > 45 {
		t.Errorf("numbers: v1 %d, v2 %d, inactive %d, blocked %d", v1, v2, inactive, blocked)
	}
	if n := len(a.Blocklist); n < 25 || n > 35 {
		t.Errorf("%d blocklist rows", n)
	}
	channels := map[string]map[string]bool{}
	for _, e := range a.Blocklist {
		if channels[e.Mobile] == nil {
			channels[e.Mobile] = map[string]bool{}
		}
		channels[e.Mobile][e.Channel] = true
	}
	var two, three int
	for _, c := range channels {
		switch len(c) {
		case 2:
			two++
		case 3:
			three++
		}
	}
	if two == 0 || three == 0 {
		t.Errorf("numbers on 2 channels: %d, on 3: %d", two, three)
	}

	s, err := sandbox.New(seed, sandbox.Options{})
	if err != nil {
		t.Fatalf("the default seed does not load: %v", err)
	}
	defer s.Close()
	rec := get(t, s, "/v1/HXDEMO00000000IN/contacts/blocklisted", "sandbox-demo-key")
	if p := decodeContacts(t, rec); len(p.Data) != len(a.Blocklist) {
		t.Errorf("%d contacts rows", len(p.Data))
	}
	// Each call is a fresh copy.
	seed.Accounts[0].SID = "changed"
	if sandbox.DefaultSeed().Accounts[0].SID != "HXDEMO00000000IN" {
		t.Error("DefaultSeed shares its data")
	}
}

func TestLoadSeed(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "seed.json")
	mustWriteFile(t, good, []byte(`{"accounts":[{"sid":"HXA","api_key":"k","whatsapp_numbers":[{"phone_number":"+919400000001","generate_blocked":3}],
		"blocklist":[{"mobile":"+919812345678","channel":"voice"}],"generate_blocklist":2}],
		"faults":[{"api":"contacts","status":503,"delay":"1ms"}]}`))
	seed, err := sandbox.LoadSeed(good)
	if err != nil {
		t.Fatal(err)
	}
	if seed.Accounts[0].WhatsAppNumbers[0].GenerateBlocked != 3 || len(seed.Faults) != 1 || seed.Faults[0].Status != 503 {
		t.Errorf("loaded %+v", seed)
	}
	for name, content := range map[string]string{
		"unknown field": `{"accounts":[{"sid":"HXA","api_key":"k","blocklists":[]}]}`,
		"not json":      `accounts: []`,
		"trailing":      `{"accounts":[]} {}`,
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".json")
		mustWriteFile(t, path, []byte(content))
		if _, err := sandbox.LoadSeed(path); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := sandbox.LoadSeed(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("missing file: no error")
	}
}

func TestNewRejectsBadSeeds(t *testing.T) {
	acct := func(mod func(*sandbox.Account)) sandbox.Seed {
		a := sandbox.Account{SID: "HXA", APIKey: "k",
			WhatsAppNumbers: []sandbox.WhatsAppNumber{{PhoneNumber: "+919400000001"}},
			Blocklist:       []sandbox.BlocklistEntry{{Mobile: "+919812345678", Channel: "sms"}}}
		mod(&a)
		return sandbox.Seed{Accounts: []sandbox.Account{a}}
	}
	tests := map[string]sandbox.Seed{
		"duplicate sid": {Accounts: []sandbox.Account{{SID: "HXA", APIKey: "k"}, {SID: "HXA", APIKey: "j"}}},
		"empty sid":     acct(func(a *sandbox.Account) { a.SID = "" }),
		"sid with /":    acct(func(a *sandbox.Account) { a.SID = "HX/A" }),
		"empty key":     acct(func(a *sandbox.Account) { a.APIKey = "" }),
		"number no +":   acct(func(a *sandbox.Account) { a.WhatsAppNumbers[0].PhoneNumber = "919400000001" }),
		"number short":  acct(func(a *sandbox.Account) { a.WhatsAppNumbers[0].PhoneNumber = "+9194000" }),
		"number zero":   acct(func(a *sandbox.Account) { a.WhatsAppNumbers[0].PhoneNumber = "+019400000001" }),
		"bad version":   acct(func(a *sandbox.Account) { a.WhatsAppNumbers[0].APIVersion = "v3" }),
		"dup number": acct(func(a *sandbox.Account) {
			a.WhatsAppNumbers = append(a.WhatsAppNumbers, sandbox.WhatsAppNumber{PhoneNumber: "+919400000001", APIVersion: "v1"})
		}),
		"wa_id with +":     acct(func(a *sandbox.Account) { a.WhatsAppNumbers[0].Blocked = []string{"+919812345678"} }),
		"negative gen":     acct(func(a *sandbox.Account) { a.WhatsAppNumbers[0].GenerateBlocked = -1 }),
		"huge gen":         acct(func(a *sandbox.Account) { a.GenerateBlocklist = sandbox.MaxGenerated + 1 }),
		"unknown channel":  acct(func(a *sandbox.Account) { a.Blocklist[0].Channel = "rcs" }),
		"channel case":     acct(func(a *sandbox.Account) { a.Blocklist[0].Channel = "SMS" }),
		"blocklist no +":   acct(func(a *sandbox.Account) { a.Blocklist[0].Mobile = "919812345678" }),
		"blocklist spaces": acct(func(a *sandbox.Account) { a.Blocklist[0].Mobile = " +919812345678" }),
	}
	for name, seed := range tests {
		if _, err := sandbox.New(seed, sandbox.Options{}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := sandbox.New(acct(func(*sandbox.Account) {}), sandbox.Options{}); err != nil {
		t.Errorf("the base seed: %v", err)
	}
	if _, err := sandbox.Start(tests["duplicate sid"], sandbox.Options{}); err == nil {
		t.Error("Start accepted a bad seed")
	}
}

func TestGeneratedRowsAreDeterministic(t *testing.T) {
	seed := sandbox.Seed{Accounts: []sandbox.Account{{
		SID: sid, APIKey: key,
		WhatsAppNumbers: []sandbox.WhatsAppNumber{{PhoneNumber: bigNumber, Blocked: []string{"919812345678"}, GenerateBlocked: 500}},
		Blocklist:       []sandbox.BlocklistEntry{{Mobile: "+919812345678", Channel: "sms"}},
		// 1001 is not a multiple of the channel pattern: the count is exact.
		GenerateBlocklist: 1001,
	}}}
	list := func() ([]string, []string) {
		s, err := sandbox.New(seed, sandbox.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		ids, _, _ := listAll(t, s, "v2", bigNumber, 1000)
		var rows []string
		for offset := 0; ; offset += 100 {
			p := decodeContacts(t, get(t, s, contactsPath(url.Values{"offset": {strconv.Itoa(offset)}}), key))
			rows = append(rows, p.rows()...)
			if len(p.Data) < 100 {
				break
			}
		}
		return ids, rows
	}
	ids1, rows1 := list()
	ids2, rows2 := list()
	if !slices.Equal(ids1, ids2) || !slices.Equal(rows1, rows2) {
		t.Error("generation is not deterministic")
	}
	if len(ids1) != 501 || ids1[0] != "919812345678" {
		t.Errorf("%d wa_ids, first %s", len(ids1), ids1[0])
	}
	if len(rows1) != 1002 || rows1[0] != "+919812345678/1" {
		t.Errorf("%d rows, first %s", len(rows1), rows1[0])
	}
	uniq := map[string]bool{}
	for _, r := range rows1 {
		if uniq[r] {
			t.Errorf("duplicate row %s", r)
		}
		uniq[r] = true
	}
	if slices.IsSorted(rows1[1:]) {
		t.Error("generated rows are sorted")
	}
}

func TestSetBlockedAndBlocklist(t *testing.T) {
	s := newServer(t, sandbox.Options{})
	if err := s.SetBlocked(sid, v1Number, []string{"15550000003", "15550000001"}); err != nil {
		t.Fatal(err)
	}
	ids, _, _ := listAll(t, s, "v1", v1Number, 10)
	if !slices.Equal(ids, []string{"15550000003", "15550000001"}) {
		t.Errorf("after SetBlocked: %v", ids)
	}
	if err := s.SetBlocked(sid, v1Number, nil); err != nil {
		t.Fatal(err)
	}
	assertBody(t, get(t, s, waPath("v1", v1Number, nil), key), 200, `{"code":"WA200","message":"Request Processed Successfully","data":[]}`)
	for name, err := range map[string]error{
		"unknown sid":    s.SetBlocked("HXNOPE", v1Number, nil),
		"unknown number": s.SetBlocked(sid, "+919400000099", nil),
		"bad wa_id":      s.SetBlocked(sid, v1Number, []string{"abc"}),
		"list sid":       s.SetBlocklist("HXNOPE", nil),
		"list channel":   s.SetBlocklist(sid, []sandbox.BlocklistEntry{{Mobile: "+919812345678", Channel: "fax"}}),
		"list mobile":    s.SetBlocklist(sid, []sandbox.BlocklistEntry{{Mobile: "919812345678", Channel: "sms"}}),
	} {
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	entries := []sandbox.BlocklistEntry{{Mobile: "+14155550123", Channel: "voice"}, {Mobile: "+14155550123", Channel: "sms"}}
	if err := s.SetBlocklist(sid, entries); err != nil {
		t.Fatal(err)
	}
	entries[0].Channel = "whatsapp" // the server keeps its own copy
	assertBody(t, get(t, s, contactsPath(nil), key), 200,
		`{"code":"CNT196","message":"Successfully fetched blocklisted number(s)","data":[{"mobile":"+14155550123","channel_type":"2"},{"mobile":"+14155550123","channel_type":"1"}],"error":{}}`)
}
