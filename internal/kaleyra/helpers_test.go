package kaleyra_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/kaleyra"
	"github.com/kaleyra/terraform-provider-kaleyra/internal/sandbox"
	"github.com/kaleyra/terraform-provider-kaleyra/internal/testutil"
)

// The sandbox account the client tests use. The key is distinctive so a
// leak shows up in any text searched for it.
const (
	testSID    = "HXCLIENT0000001IN"
	testAPIKey = "Aclient0secret0key0do0not0log0000003"

	v2Number       = "+919400000001" // v2, blocked users set per test
	v1Number       = "+919400000002" // v1
	inactiveNumber = "+919400000003" // v2, inactive
	unknownNumber  = "+919400000099" // not on the account

	lowBalanceSID    = "HXLOWBAL0000002IN"
	lowBalanceKey    = "Alow0balance0key"
	unavailableSID   = "HXNOCONTACTS003IN"
	unavailableKey   = "Ano0contacts0key"
	testMaxRetries   = 2
	testRetryWaitMin = 2 * time.Millisecond
	testRetryWaitMax = 10 * time.Millisecond
)

// testSeed is the account with blocked users on the v2 number and a contacts
// blocklist, plus one low-balance account and one without the Contacts API.
func testSeed(blocked []string, blocklist []sandbox.BlocklistEntry) sandbox.Seed {
	return sandbox.Seed{Accounts: []sandbox.Account{
		{
			SID:    testSID,
			APIKey: testAPIKey,
			WhatsAppNumbers: []sandbox.WhatsAppNumber{
				{PhoneNumber: v2Number, APIVersion: "v2", Blocked: blocked},
				{PhoneNumber: v1Number, APIVersion: "v1", Blocked: []string{"919812345678"}},
				{PhoneNumber: inactiveNumber, APIVersion: "v2", Inactive: true, Blocked: []string{"919898989898"}},
			},
			Blocklist: blocklist,
		},
		{SID: lowBalanceSID, APIKey: lowBalanceKey, LowBalance: true},
		{SID: unavailableSID, APIKey: unavailableKey, ContactsUnavailable: true},
	}}
}

// startSandbox serves seed on loopback for the test's lifetime.
func startSandbox(t testing.TB, seed sandbox.Seed, opts sandbox.Options) *sandbox.Server {
	t.Helper()
	return testutil.StartSandbox(t, seed, opts)
}

// newClient is a client of the test account at baseURL with short retry
// waits; opts adjust the config further.
func newClient(t testing.TB, baseURL string, opts ...func(*kaleyra.Config)) *kaleyra.Client {
	t.Helper()
	cfg := kaleyra.Config{
		SID:          testSID,
		APIKey:       testAPIKey,
		BaseURL:      baseURL,
		MaxRetries:   testMaxRetries,
		RetryWaitMin: testRetryWaitMin,
		RetryWaitMax: testRetryWaitMax,
	}
	for _, o := range opts {
		o(&cfg)
	}
	c, err := kaleyra.New(cfg)
	if err != nil {
		t.Fatalf("kaleyra.New: %v", err)
	}
	return c
}

// waIDs returns n distinct wa_ids starting at base, in an order that is not
// sorted (so the client's sorting is tested). n must not be a multiple of
// 7919, a prime: then i·7919 mod n is a permutation.
func waIDs(base, n int) []string {
	ids := make([]string, n)
	for i := range n {
		ids[i] = strconv.Itoa(base + (i*7919)%n)
	}
	return ids
}

// sortedUnique returns a sorted copy of s without duplicates.
func sortedUnique(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

// userIDs returns the wa_ids of users, in order.
func userIDs(users []kaleyra.BlockedUser) []string {
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.WAID
	}
	return ids
}

// channelType is the channel_type the sandbox sends for a channel.
func channelType(channel string) string { return sandbox.ChannelTypes[channel] }

// mobile is the i-th synthetic E.164 number of the tests.
func mobile(i int) string { return fmt.Sprintf("+91700%07d", i) }

// blocklistEntries returns rows for numbers 0..numbers-1: number i is on
// one, two or three channels by i mod 3, in stored order that is not sorted.
func blocklistEntries(numbers int) []sandbox.BlocklistEntry {
	channels := [][]string{{"sms"}, {"whatsapp", "sms"}, {"voice", "whatsapp", "sms"}}
	var out []sandbox.BlocklistEntry
	for k := range numbers {
		i := numbers - 1 - k // descending, so stored order is not sorted
		for _, ch := range channels[i%3] {
			out = append(out, sandbox.BlocklistEntry{Mobile: mobile(i), Channel: ch})
		}
	}
	return out
}

// entriesN returns exactly n rows, on ⌈n/3⌉ numbers with up to three
// channels each, in descending (unsorted) order.
func entriesN(n int) []sandbox.BlocklistEntry {
	channels := []string{"sms", "whatsapp", "voice"}
	out := make([]sandbox.BlocklistEntry, n)
	for k := range n {
		i := n - 1 - k
		out[k] = sandbox.BlocklistEntry{Mobile: mobile(i / 3), Channel: channels[i%3]}
	}
	return out
}

// expectedContacts is the sorted, unique rows the client should return for
// entries, restricted to mobiles (nil: all) and channel ("": all).
func expectedContacts(entries []sandbox.BlocklistEntry, mobiles []string, channel string) []kaleyra.BlocklistedContact {
	var out []kaleyra.BlocklistedContact
	for _, e := range entries {
		if mobiles != nil && !slices.Contains(mobiles, e.Mobile) {
			continue
		}
		if channel != "" && e.Channel != channel {
			continue
		}
		out = append(out, kaleyra.BlocklistedContact{Mobile: e.Mobile, ChannelType: channelType(e.Channel)})
	}
	slices.SortFunc(out, compareContacts)
	out = slices.Compact(out)
	if out == nil {
		out = []kaleyra.BlocklistedContact{}
	}
	return out
}

func compareContacts(a, b kaleyra.BlocklistedContact) int {
	return cmp.Or(strings.Compare(a.Mobile, b.Mobile), strings.Compare(a.ChannelType, b.ChannelType))
}

// asAPIError returns err's *kaleyra.APIError or fails the test.
func asAPIError(t *testing.T, err error) *kaleyra.APIError {
	t.Helper()
	var apiErr *kaleyra.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("error %v (%T) is not a *kaleyra.APIError", err, err)
	}
	return apiErr
}

// ceilDiv is ⌈a/b⌉.
func ceilDiv(a, b int) int { return (a + b - 1) / b }

// logEntry is one call to a recordingLogger.
type logEntry struct {
	level, msg string
	fields     map[string]any
}

// recordingLogger is a kaleyra.Logger that keeps every entry.
type recordingLogger struct {
	mu      sync.Mutex
	entries []logEntry
}

func (l *recordingLogger) record(level, msg string, fields map[string]any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, logEntry{level: level, msg: msg, fields: fields})
}

func (l *recordingLogger) Debug(_ context.Context, msg string, fields map[string]any) {
	l.record("debug", msg, fields)
}

func (l *recordingLogger) Info(_ context.Context, msg string, fields map[string]any) {
	l.record("info", msg, fields)
}

func (l *recordingLogger) Warn(_ context.Context, msg string, fields map[string]any) {
	l.record("warn", msg, fields)
}

func (l *recordingLogger) all() []logEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.entries)
}
