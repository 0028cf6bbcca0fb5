package provider

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

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
// the value. The seed corpus is in testdata/fuzz/FuzzE164.
func FuzzE164(f *testing.F) {
	for _, s := range []string{"+919876543210", "+12345678", "+123456789012345", "+1234567", "919876543210", ""} {
		f.Add(s)
	}
	v := e164Validator()
	f.Fuzz(func(t *testing.T, s string) {
		want := isE164(s)
		if got := e164.MatchString(s); got != want {
			t.Fatalf("e164.MatchString(%q) = %v, want %v", s, got, want)
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
		if !strings.Contains(detail, "phone_number") || !strings.Contains(detail, "E.164") {
			t.Errorf("the error for %q does not name the attribute and the form: %s", s, detail)
		}
		if utf8.ValidString(s) && !strings.HasSuffix(detail, "got: "+s) {
			t.Errorf("the error for %q does not show the value: %s", s, detail)
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
