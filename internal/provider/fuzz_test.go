package provider

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// isE164 is the oracle, written without regular expressions: '+', a
// country code that does not start with 0, and 8 to 15 ASCII digits in all.
func isE164(s string) bool {
	if len(s) < 1+8 || len(s) > 1+15 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// FuzzE164 checks the E.164 pattern and the validator built on it against
// isE164, and that an invalid value's error names the attribute and shows
// the value, with a hint when provider::kaleyra::e164 can convert it. It
// checks the function too: whatever it returns, the validator accepts, and
// converting its result again changes nothing. The seed corpus is in
// testdata/fuzz/FuzzE164.
func FuzzE164(f *testing.F) {
	for _, s := range []string{"+919876543210", "+12345678", "+123456789012345", "+1234567", "919876543210", "",
		"+91 98765-43210", "098765 43210", "(415) 555-0123", "tel:+1-415-555-0123"} {
		f.Add(s)
	}
	v := e164Validator()
	f.Fuzz(func(t *testing.T, s string) {
		want := isE164(s)
		if got := e164.MatchString(s); got != want {
			t.Fatalf("e164.MatchString(%q) = %v, want %v", s, got, want)
		}

		// What provider::kaleyra::e164 makes of s, the validator accepts.
		convertible := false
		for _, region := range []string{"", "IN", "us"} {
			converted, err := toE164(s, region)
			if err != nil {
				continue
			}
			convertible = true
			if !isE164(converted) {
				t.Fatalf("e164(%q, %q) = %q, which is not E.164 as the data sources take it", s, region, converted)
			}
			if again, err := toE164(converted, ""); err != nil || again != converted {
				t.Fatalf("e164(%q, %q) = %q, but e164(%[3]q, \"\") = %q, %v", s, region, converted, again, err)
			}
		}

		resp := &validator.StringResponse{}
		v.ValidateString(context.Background(), validator.StringRequest{
			Path: path.Root("phone_number"), PathExpression: path.MatchRoot("phone_number"), ConfigValue: types.StringValue(s),
		}, resp)
		if got := !resp.Diagnostics.HasError(); got != want {
			t.Fatalf("the validator accepts %q: %v, want %v (%v)", s, got, want, resp.Diagnostics)
		}
		if want {
			return
		}
		detail := resp.Diagnostics.Errors()[0].Detail()
		if !strings.HasPrefix(detail, "Attribute phone_number must be an E.164 number") {
			t.Errorf("the error for %q does not name the attribute and the form: %s", s, detail)
		}
		// The value, quoted (or "an empty string"), ends the detail or
		// comes just before the hint: Terraform wraps long lines, and only
		// quotes show where a value with spaces begins and ends.
		hinted := strings.Contains(detail, "provider::kaleyra::e164(value, ")
		got := "got " + strconv.Quote(s) + "."
		if s == "" {
			got = "got an empty string."
		}
		if !strings.HasSuffix(detail, got) && (!hinted || !strings.Contains(detail, got+" It looks like")) {
			t.Errorf("the error for %q does not show the value quoted: %s", s, detail)
		}
		// '+' and ASCII digits only gets no hint even when libphonenumber
		// reads it some other way ("+0…" is re-read as a national number
		// with the region's international prefix: "+011 98761000" with
		// "US" dials Iran): the number is wrong, not formatted.
		rest, plus := strings.CutPrefix(s, "+")
		plusDigitsOnly := plus && rest != "" && strings.Trim(rest, "0123456789") == ""
		if convertible && !hinted && !plusDigitsOnly {
			t.Errorf("e164 converts %q, but the error does not point at it: %s", s, detail)
		}
	})
}

func TestE164_unknownAndNullAreNotJudged(t *testing.T) {
	for _, value := range []types.String{types.StringUnknown(), types.StringNull()} {
		resp := &validator.StringResponse{}
		e164Validator().ValidateString(context.Background(), validator.StringRequest{
			Path: path.Root("phone_number"), ConfigValue: value,
		}, resp)
		if resp.Diagnostics.HasError() {
			t.Errorf("%v: %v; an unknown value is judged when known, a null one by Required", value, resp.Diagnostics)
		}
	}
}

// TestE164_hint checks which invalid values the validator points at
// provider::kaleyra::e164, and with which default_region.
func TestE164_hint(t *testing.T) {
	national := `provider::kaleyra::e164(value, "IN") converts it, with the ISO code of the number's country in place of "IN"`
	formatted := `provider::kaleyra::e164(value, "") converts it`
	for value, want := range map[string]string{
		"098765 43210":        national,
		"9876543210":          national,
		"(415) 555-0123":      national,
		"tel:+1-415-555-0123": national,
		"+91 98765-43210":     formatted,
		"+91.98765.43210":     formatted,
		"+1 (415) 555-0123":   formatted,
		// No conversion fixes these: no hint.
		"":                  "",
		"+":                 "",
		"+1234567":          "",
		"+0919876543210":    "",
		"+1234567890123456": "",
		"call me":           "",
	} {
		detail := validateE164(value)
		if detail == "" {
			t.Fatalf("%q is valid", value)
		}
		if want == "" {
			if strings.Contains(detail, "provider::kaleyra::e164") {
				t.Errorf("%q: the error suggests the function, which cannot fix it: %s", value, detail)
			}
			continue
		}
		if !strings.Contains(detail, "got "+strconv.Quote(value)+". It looks like") || !strings.Contains(detail, want) ||
			!strings.HasSuffix(detail, "(Terraform 1.8 or later, OpenTofu 1.7 or later).") {
			t.Errorf("%q:\n got %s\nwant the value, then %s (Terraform 1.8 or later, OpenTofu 1.7 or later).", value, detail, want)
		}
	}
}

// TestE164_validatorQuotesTheValue: Terraform wraps long lines, so a value
// shown bare ("got: 098765 43210") can split at its space; quoted, it
// cannot be misread, and an empty one is named.
func TestE164_validatorQuotesTheValue(t *testing.T) {
	for value, want := range map[string]string{
		"":               "; got an empty string.",
		" ":              `; got " ".`,
		"098765 43210":   `; got "098765 43210". It looks like`,
		`+91"98765`:      `; got "+91\"98765". It looks like`,
		"+1234567":       `; got "+1234567".`,
		"+91 98765\t432": `; got "+91 98765\t432". It looks like`,
	} {
		if detail := validateE164(value); !strings.Contains(detail, want) {
			t.Errorf("%q:\n got %s\nwant it to contain %s", value, detail, want)
		}
	}
}
