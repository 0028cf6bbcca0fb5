package provider

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/nyaruka/phonenumbers"
)

var _ function.Function = (*e164Function)(nil)

// NewE164Function returns provider::kaleyra::e164.
func NewE164Function() function.Function {
	return &e164Function{}
}

// e164Function normalises a phone number as people write it to the E.164
// form the data sources take, with libphonenumber's rules.
type e164Function struct{}

// The positions of e164's arguments, for function.NewArgumentFuncError.
const (
	e164ArgNumber int64 = iota
	e164ArgRegion
)

func (f *e164Function) Metadata(_ context.Context, _ function.MetadataRequest, resp *function.MetadataResponse) {
	resp.Name = "e164"
}

func (f *e164Function) Definition(_ context.Context, _ function.DefinitionRequest, resp *function.DefinitionResponse) {
	resp.Definition = function.Definition{
		Summary: "Normalise a phone number to E.164",
		MarkdownDescription: "Converts a phone number as people write it (`\"+91 98765-43210\"`, `\"098765 43210\"`, " +
			"`\"(415) 555-0123\"`) to the E.164 form the data sources take (`\"+919876543210\"`): `+`, the " +
			"country calling code and the national number, digits only. It follows libphonenumber's rules " +
			"for each country: spaces, dashes, dots, parentheses and a national trunk prefix such as India's " +
			"leading `0` are removed, and an international call prefix such as `00` is read as `+`.\n\n" +
			"A number that is not a valid number for its country (too short, too long, not in any number " +
			"range in use, an unknown country calling code) is an error that names the argument, shows the " +
			"value and says why; so is a number with an extension, which E.164 cannot carry. The result is " +
			"always accepted by `kaleyra_contacts_blocklisted`'s `mobiles` and " +
			"`kaleyra_whatsapp_blocked_users`' `phone_number`: the few valid numbers whose E.164 form has " +
			"fewer than 8 digits (some small territories, such as Niue's `+683 7012`) are errors too.\n\n" +
			"Provider-defined functions need Terraform 1.8 or later, or OpenTofu 1.7 or later. The function " +
			"works without any provider configuration: it makes no API call.",
		Parameters: []function.Parameter{
			function.StringParameter{
				Name: "number",
				MarkdownDescription: "The phone number as written: with its `+` and country calling code " +
					"(`\"+91 98765-43210\"`), or in the national form of `default_region` (`\"098765 43210\"`). " +
					"Spaces, dashes, dots, parentheses and the national trunk prefix are allowed.",
			},
			function.StringParameter{
				Name: "default_region",
				MarkdownDescription: "The country whose national form `number` is in when it has no `+`: an " +
					"ISO 3166-1 alpha-2 code such as `\"IN\"` or `\"US\"`, in any letter case. Ignored when " +
					"`number` starts with `+`, but it must still be a known region. `\"\"` means every number " +
					"must start with `+` and its country calling code.",
			},
		},
		Return: function.StringReturn{},
	}
}

func (f *e164Function) Run(ctx context.Context, req function.RunRequest, resp *function.RunResponse) {
	var number, region string
	resp.Error = req.Arguments.Get(ctx, &number, &region)
	if resp.Error != nil {
		return
	}
	result, err := toE164(number, region)
	if err != nil {
		resp.Error = function.NewArgumentFuncError(err.arg, err.reason)
		return
	}
	resp.Error = resp.Result.Set(ctx, result)
}

// e164Error is why toE164 cannot normalise its input, and which argument
// is at fault.
type e164Error struct {
	arg    int64
	reason string
}

func (e *e164Error) Error() string { return e.reason }

func numberError(format string, args ...any) *e164Error {
	return &e164Error{arg: e164ArgNumber, reason: fmt.Sprintf(format, args...)}
}

// toE164 is e164's implementation: number, as people write it, in E.164.
// region is an ISO 3166-1 alpha-2 code, any case, used when number has no
// '+'; "" requires the '+'. The result always matches the data sources'
// E.164 pattern.
func toE164(number, region string) (result string, failure *e164Error) {
	defer func() {
		// libphonenumber has panicked on malformed input before (fixed in
		// v1.8.1); a panic here would take the provider down mid-plan.
		if r := recover(); r != nil {
			result, failure = "", numberError("%q could not be read: libphonenumber failed (%v); please report this "+
				"as a bug of the Kaleyra provider", number, r)
		}
	}()
	region, ok := parseRegion(region)
	if !ok {
		return "", &e164Error{arg: e164ArgRegion, reason: regionFailure(region)}
	}
	if strings.TrimSpace(number) == "" {
		return "", numberError("%q is not a phone number: it is empty", number)
	}
	if !strings.ContainsFunc(number, unicode.IsDigit) {
		return "", numberError("%q is not a phone number: it has no digits", number)
	}

	parsed, err := parsePhoneNumber(number, region)
	if err != nil {
		if stray := strayText(number); stray != "" {
			return "", numberError("%q is not a phone number: %s", number, stray)
		}
		return "", numberError("%q is not a phone number: %s", number, parseFailure(err, number, region))
	}
	if ext := parsed.GetExtension(); ext != "" {
		return "", numberError("%q has an extension (%s), which E.164 cannot carry: remove it", number, ext)
	}
	if !phonenumbers.IsValidNumber(parsed) {
		// libphonenumber reads letters as a keypad's digits, so text after a
		// number ("98765 43210 call me") would otherwise be "too long".
		if stray := strayText(number); stray != "" {
			return "", numberError("%q is not a valid phone number: %s", number, stray)
		}
		return "", numberError("%q is not a valid phone number: %s", number, invalidReason(parsed, region))
	}
	result = phonenumbers.Format(parsed, phonenumbers.E164)
	if !e164.MatchString(result) {
		// Valid for libphonenumber, but outside the 8 to 15 digits the data
		// sources accept (a few small territories have 7-digit numbers).
		return "", numberError("%q is a valid number of %s, but its E.164 form %s has %d digits and the Kaleyra "+
			"data sources take 8 to 15", number, numberPlace(parsed, region), result, len(result)-1)
	}
	return result, nil
}

// parsePhoneNumber is libphonenumber's parser; it keeps how the country
// code was given, which numberPlace reads. A test replaces it.
var parsePhoneNumber = phonenumbers.ParseAndKeepRawInput

// regionFailure says why region is not one parseRegion accepts, with the
// code meant where the mistake is a common one.
func regionFailure(region string) string {
	if strings.EqualFold(region, "UK") {
		return fmt.Sprintf("%q is not an ISO 3166-1 alpha-2 code: the United Kingdom's is \"GB\"", region)
	}
	return fmt.Sprintf("%q is not a region code libphonenumber knows: expected an ISO 3166-1 alpha-2 code such "+
		"as \"IN\" or \"US\" (any letter case), or \"\" when every number starts with \"+\" and its country "+
		"calling code", region)
}

// strayText names the words in number that are not part of a phone number
// ("98765 43210 call me": "call me"), or returns "" when it has none. A
// "tel:" prefix and an extension are part of a number; letters are, to
// libphonenumber, only as a keypad's digits ("1-800-FLOWERS"), so this is
// asked only about a number that failed.
func strayText(number string) string {
	s := strings.TrimSpace(number)
	if len(s) >= 4 && strings.EqualFold(s[:4], "tel:") {
		s = s[4:]
		if i := strings.IndexByte(s, ';'); i >= 0 { // RFC 3966 parameters
			s = s[:i]
		}
	}
	s = extensionSuffix.ReplaceAllString(s, "")

	var phrases []string
	joined := false // the last token was letters only: a phrase can go on
	for _, token := range strings.Fields(s) {
		first := strings.IndexFunc(token, unicode.IsLetter)
		if first < 0 {
			joined = false
			continue
		}
		last := strings.LastIndexFunc(token, unicode.IsLetter)
		_, size := utf8.DecodeRuneInString(token[last:])
		piece := token[first : last+size]
		whole := first == 0 && last+size == len(token)
		if joined && whole {
			phrases[len(phrases)-1] += " " + piece
		} else {
			phrases = append(phrases, piece)
		}
		joined = whole
	}
	switch len(phrases) {
	case 0:
		return ""
	case 1:
		return fmt.Sprintf("it contains %q, which is not part of a phone number", phrases[0])
	}
	quoted := make([]string, len(phrases))
	for i, p := range phrases {
		quoted[i] = strconv.Quote(p)
	}
	return fmt.Sprintf("it contains %s and %s, which are not part of a phone number",
		strings.Join(quoted[:len(quoted)-1], ", "), quoted[len(quoted)-1])
}

// extensionSuffix is an extension at the end of a number, as libphonenumber
// reads them ("ext. 45", "x45", "#45").
var extensionSuffix = regexp.MustCompile(`(?i)[\s,;]*(?:ext(?:ension|n)?\.?|x|#)\s*[:=]?\s*[0-9]{1,7}#?\s*$`)

// parseRegion upper-cases an ISO 3166-1 alpha-2 code and reports whether
// libphonenumber has metadata for it; "" is valid and stays "".
func parseRegion(region string) (string, bool) {
	if region == "" {
		return "", true
	}
	// Only ASCII letters: strings.ToUpper maps some other letters to ASCII
	// ("ı" to "I").
	if len(region) != 2 || !isASCIILetter(region[0]) || !isASCIILetter(region[1]) {
		return region, false
	}
	upper := strings.ToUpper(region)
	if !phonenumbers.GetSupportedRegions()[upper] {
		return region, false
	}
	return upper, true
}

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// parseFailure explains a phonenumbers.Parse error.
func parseFailure(err error, number, region string) string {
	switch {
	case errors.Is(err, phonenumbers.ErrInvalidCountryCode) && region == "" && !strings.ContainsAny(number, "+\uFF0B"):
		return "it does not start with \"+\" and a country calling code, and default_region is \"\": write it " +
			"with its \"+\", or give the region whose national form it is in, like \"IN\""
	case errors.Is(err, phonenumbers.ErrInvalidCountryCode):
		return "its country calling code is not one in use"
	case errors.Is(err, phonenumbers.ErrTooShortNSN), errors.Is(err, phonenumbers.ErrTooShortAfterIDD):
		return "it is too short"
	case errors.Is(err, phonenumbers.ErrNumTooLong):
		return "it is too long"
	default: // phonenumbers.ErrNotANumber
		return "it has too few digits, or characters that are not part of a phone number"
	}
}

// invalidReason says why a parsed number is not valid, with
// libphonenumber's reason.
func invalidReason(n *phonenumbers.PhoneNumber, region string) string {
	place := numberPlace(n, region)
	switch phonenumbers.IsPossibleNumberWithReason(n) {
	case phonenumbers.TOO_SHORT:
		return "it is too short for " + place
	case phonenumbers.TOO_LONG:
		return "it is too long for " + place
	case phonenumbers.INVALID_LENGTH:
		return fmt.Sprintf("no number of %s has %d digits", place, len(phonenumbers.GetNationalSignificantNumber(n)))
	case phonenumbers.IS_POSSIBLE_LOCAL_ONLY:
		return "it is a local number of " + place + ": add the area code"
	case phonenumbers.INVALID_COUNTRY_CODE:
		return fmt.Sprintf("+%d is not a country calling code in use", n.GetCountryCode())
	default: // IS_POSSIBLE: the length is right, the digits are not.
		return "it is not in any number range in use for " + place
	}
}

// numberPlace names where a number belongs: "IN (+91)" when it was read in
// default_region's national form, "+44 (GB)" when its calling code has one
// region, else "+1".
func numberPlace(n *phonenumbers.PhoneNumber, region string) string {
	cc := int(n.GetCountryCode())
	if region != "" && phonenumbers.GetCountryCodeForRegion(region) == cc &&
		n.GetCountryCodeSource() == phonenumbers.PhoneNumber_FROM_DEFAULT_COUNTRY {
		return fmt.Sprintf("%s (+%d)", region, cc)
	}
	if regions := phonenumbers.GetRegionCodesForCountryCode(cc); len(regions) == 1 && regions[0] != phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY {
		return fmt.Sprintf("+%d (%s)", cc, regions[0])
	}
	return fmt.Sprintf("+%d", cc)
}
