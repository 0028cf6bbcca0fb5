package sandbox

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"regexp"
	"strconv"
)

// Seed is the sandbox's initial state: the accounts it knows, and optionally
// faults to install at start (the same JSON as POST /_sandbox/faults).
type Seed struct {
	Accounts []Account `json:"accounts"`
	Faults   []Fault   `json:"faults,omitempty"`
}

// Account is one Kaleyra account (SID + API key) with its WhatsApp business
// numbers and its contacts blocklist.
type Account struct {
	SID                 string           `json:"sid"`
	APIKey              string           `json:"api_key"`
	LowBalance          bool             `json:"low_balance"`          // contacts answers 400 E110
	ContactsUnavailable bool             `json:"contacts_unavailable"` // contacts answers 401 WA-401 (account message)
	WhatsAppNumbers     []WhatsAppNumber `json:"whatsapp_numbers"`
	Blocklist           []BlocklistEntry `json:"blocklist"`
	GenerateBlocklist   int              `json:"generate_blocklist"` // append N synthetic rows (deterministic)
}

// WhatsAppNumber is a WhatsApp business number registered on an account.
type WhatsAppNumber struct {
	PhoneNumber     string   `json:"phone_number"`     // E.164 with '+', e.g. "+919876543210"
	APIVersion      string   `json:"api_version"`      // "v1" or "v2" (default "v2")
	Inactive        bool     `json:"inactive"`         // answers 401 WA401 "The phone number you're using not active"
	Blocked         []string `json:"blocked"`          // wa_ids (digits, no '+')
	GenerateBlocked int      `json:"generate_blocked"` // append N synthetic unique wa_ids (deterministic, unsorted order)
}

// BlocklistEntry is one row of an account's contacts blocklist.
type BlocklistEntry struct {
	Mobile  string `json:"mobile"`  // E.164 with '+'
	Channel string `json:"channel"` // "sms" | "whatsapp" | "voice"
}

// ChannelTypes maps a contacts channel name to the channel_type code sent in
// Contacts API rows. Only "3" = whatsapp is documented (the API page's
// sample); the sms and voice codes are the sandbox's own assumption. The
// server copies this map when it is created.
var ChannelTypes = map[string]string{"sms": "1", "voice": "2", "whatsapp": "3"}

// MaxGenerated caps GenerateBlocked and GenerateBlocklist per seed item.
const MaxGenerated = 1_000_000

var (
	e164Pattern = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)
	waIDPattern = regexp.MustCompile(`^[1-9][0-9]{5,19}$`)
)

//go:embed default-seed.json
var defaultSeedJSON []byte

// DefaultSeed returns the embedded demo seed: one account (SID
// "HXDEMO00000000IN", API key "sandbox-demo-key") with a v2 number, a v1
// number, an inactive number, about 40 blocked wa_ids and a blocklist of about
// 30 rows across channels. Each call returns a fresh copy.
func DefaultSeed() Seed {
	seed, err := decodeSeed(defaultSeedJSON)
	if err != nil {
		panic("sandbox: embedded default-seed.json: " + err.Error())
	}
	return seed
}

// LoadSeed reads a seed from a JSON file. Unknown fields are an error, so a
// typo does not silently seed nothing; New validates the content.
func LoadSeed(path string) (Seed, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Seed{}, fmt.Errorf("read seed: %w", err)
	}
	seed, err := decodeSeed(data)
	if err != nil {
		return Seed{}, fmt.Errorf("seed %s: %w", path, err)
	}
	return seed, nil
}

func decodeSeed(data []byte) (Seed, error) {
	var seed Seed
	if err := decodeStrict(data, &seed); err != nil {
		return Seed{}, err
	}
	return seed, nil
}

// decodeStrict decodes exactly one JSON value, refusing unknown fields and
// trailing data.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("unexpected data after the JSON value")
	}
	return nil
}

// buildAccounts validates the seed and builds the server's indexed state.
func buildAccounts(seed Seed, channelTypes map[string]string) (map[string]*account, error) {
	accounts := make(map[string]*account, len(seed.Accounts))
	for i, a := range seed.Accounts {
		where := fmt.Sprintf("accounts[%d]", i)
		switch {
		case a.SID == "":
			return nil, fmt.Errorf("%s: sid is empty", where)
		case !validSID(a.SID):
			return nil, fmt.Errorf("%s: sid %q must be letters and digits only", where, a.SID)
		case a.APIKey == "":
			return nil, fmt.Errorf("%s (%s): api_key is empty", where, a.SID)
		case accounts[a.SID] != nil:
			return nil, fmt.Errorf("%s: duplicate sid %q", where, a.SID)
		case a.GenerateBlocklist < 0 || a.GenerateBlocklist > MaxGenerated:
			return nil, fmt.Errorf("%s (%s): generate_blocklist %d is outside 0..%d", where, a.SID, a.GenerateBlocklist, MaxGenerated)
		}
		acc := &account{
			sid:                 a.SID,
			apiKey:              a.APIKey,
			lowBalance:          a.LowBalance,
			contactsUnavailable: a.ContactsUnavailable,
			numbers:             make(map[string]*waNumber, len(a.WhatsAppNumbers)),
		}
		for j, n := range a.WhatsAppNumbers {
			nw := fmt.Sprintf("%s.whatsapp_numbers[%d]", where, j)
			version := n.APIVersion
			if version == "" {
				version = "v2"
			}
			switch {
			case !e164Pattern.MatchString(n.PhoneNumber):
				return nil, fmt.Errorf("%s: phone_number %q is not E.164 (+ and 8 to 15 digits)", nw, n.PhoneNumber)
			case version != "v1" && version != "v2":
				return nil, fmt.Errorf("%s: api_version %q must be v1 or v2", nw, n.APIVersion)
			case acc.numbers[n.PhoneNumber] != nil:
				return nil, fmt.Errorf("%s: duplicate phone_number %q in account %s", nw, n.PhoneNumber, a.SID)
			case n.GenerateBlocked < 0 || n.GenerateBlocked > MaxGenerated:
				return nil, fmt.Errorf("%s: generate_blocked %d is outside 0..%d", nw, n.GenerateBlocked, MaxGenerated)
			}
			if err := validateWAIDs(n.Blocked); err != nil {
				return nil, fmt.Errorf("%s: blocked: %w", nw, err)
			}
			blocked := make([]string, 0, len(n.Blocked)+n.GenerateBlocked)
			blocked = append(blocked, n.Blocked...)
			blocked = appendGeneratedWAIDs(blocked, n.PhoneNumber, n.GenerateBlocked)
			acc.numbers[n.PhoneNumber] = &waNumber{phone: n.PhoneNumber, version: version, inactive: n.Inactive, blocked: blocked}
		}
		entries := make([]BlocklistEntry, 0, len(a.Blocklist)+a.GenerateBlocklist)
		entries = append(entries, a.Blocklist...)
		entries = appendGeneratedEntries(entries, a.SID, a.GenerateBlocklist)
		bl, err := newBlocklist(entries, channelTypes)
		if err != nil {
			return nil, fmt.Errorf("%s: blocklist: %w", where, err)
		}
		acc.blocklist = bl
		accounts[a.SID] = acc
	}
	return accounts, nil
}

func validSID(sid string) bool {
	for _, c := range sid {
		if (c < 'A' || c > 'Z') && (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

func validateWAIDs(ids []string) error {
	for i, id := range ids {
		if !waIDPattern.MatchString(id) {
			return fmt.Errorf("[%d] %q is not a wa_id (6 to 20 digits, no '+')", i, id)
		}
	}
	return nil
}

// Synthetic numbers: index i maps through i·m + offset (mod 10⁹), a bijection
// on [0, 10⁹) because m = 3¹⁸ is coprime with 10⁹. So the generated numbers
// are unique, deterministic and in no particular order.
const (
	genModulus    = 1_000_000_000
	genMultiplier = 387_420_489
)

func genValue(i int, offset uint64) uint64 {
	return (uint64(i)*genMultiplier + offset) % genModulus
}

func genOffset(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64() % genModulus
}

// appendGeneratedWAIDs appends n wa_ids "919" + 9 digits that are not
// already in ids.
func appendGeneratedWAIDs(ids []string, phone string, n int) []string {
	if n == 0 {
		return ids
	}
	seen := make(map[string]struct{}, len(ids))
	for _, id := range ids {
		seen[id] = struct{}{}
	}
	offset := genOffset("wa:" + phone)
	for i, added := 0, 0; added < n; i++ {
		id := padDigits("919", genValue(i, offset))
		if _, dup := seen[id]; dup {
			continue
		}
		ids = append(ids, id)
		added++
	}
	return ids
}

// generatedChannels is the channel pattern of synthetic blocklist numbers, so
// that some numbers are on two or three channels.
var generatedChannels = [][]string{
	{"sms"},
	{"whatsapp"},
	{"sms", "voice"},
	{"voice"},
	{"whatsapp", "sms", "voice"},
	{"sms"},
	{"whatsapp", "sms"},
}

// appendGeneratedEntries appends n blocklist rows for numbers "+918" + 9
// digits, skipping (mobile, channel) pairs already present.
func appendGeneratedEntries(entries []BlocklistEntry, sid string, n int) []BlocklistEntry {
	if n == 0 {
		return entries
	}
	seen := make(map[BlocklistEntry]struct{}, len(entries))
	for _, e := range entries {
		seen[e] = struct{}{}
	}
	offset := genOffset("contacts:" + sid)
	for j, added := 0, 0; added < n; j++ {
		mobile := padDigits("+918", genValue(j, offset))
		for _, ch := range generatedChannels[j%len(generatedChannels)] {
			e := BlocklistEntry{Mobile: mobile, Channel: ch}
			if _, dup := seen[e]; dup || added == n {
				continue
			}
			entries = append(entries, e)
			added++
		}
	}
	return entries
}

// padDigits returns prefix followed by v as exactly nine digits.
func padDigits(prefix string, v uint64) string {
	b := make([]byte, 0, len(prefix)+9)
	b = append(b, prefix...)
	digits := strconv.FormatUint(v, 10)
	for range 9 - len(digits) {
		b = append(b, '0')
	}
	return string(append(b, digits...))
}
