package provider

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/kaleyra"
)

// e164 is an E.164 number: '+', a non-zero country-code digit, 8 to 15
// digits in all.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)

const e164Form = "an E.164 number: '+' then 8 to 15 digits, the first not 0, with no spaces or dashes, like \"+919876543210\""

// e164Validator checks one E.164 number and shows the value and the form.
// A number written as people write it gets a pointer to e164's function.
func e164Validator() validator.String {
	return e164NumberValidator{}
}

type e164NumberValidator struct{}

func (e164NumberValidator) Description(context.Context) string { return "value must be " + e164Form }

func (v e164NumberValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

// ValidateString keeps the summary stringvalidator.RegexMatches gave, and
// shows the value quoted ("Attribute mobiles[1] must be an E.164 number: …;
// got \"098765 43210\"."), so that Terraform wrapping the line never splits
// it ambiguously, then the hint.
func (e164NumberValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	value := req.ConfigValue.ValueString()
	if e164.MatchString(value) {
		return
	}
	resp.Diagnostics.AddAttributeError(req.Path, "Invalid Attribute Value Match",
		fmt.Sprintf("Attribute %s must be %s; got %s.%s", req.Path, e164Form, quotedValue(value), e164Hint(value)))
}

// quotedValue shows a value the user wrote, in a diagnostic: quoted like Go
// (and Terraform) strings, or "an empty string".
func quotedValue(s string) string {
	if s == "" {
		return "an empty string"
	}
	return strconv.Quote(s)
}

// e164Hint points at provider::kaleyra::e164 when value looks like a
// number as people write it: digits with spaces, dashes, parentheses or
// other characters, or without the leading '+' (a national number such as
// "098765 43210"). A '+' and ASCII digits only is a number of the wrong
// length or with a leading 0: the number is wrong, not formatted, so no
// hint (libphonenumber may still read "+0…" as a national number with some
// region's international prefix, which would not be the number meant).
func e164Hint(value string) string {
	if !strings.ContainsFunc(value, unicode.IsDigit) {
		return ""
	}
	if rest, ok := strings.CutPrefix(value, "+"); ok && strings.Trim(rest, "0123456789") == "" {
		return ""
	}
	if strings.HasPrefix(value, "+") {
		return " It looks like a formatted number: provider::kaleyra::e164(value, \"\") converts it " + e164HintVersions
	}
	return " It looks like a national or formatted number: provider::kaleyra::e164(value, \"IN\") converts it, " +
		"with the ISO code of the number's country in place of \"IN\" " + e164HintVersions
}

const e164HintVersions = "(Terraform 1.8 or later, OpenTofu 1.7 or later)."

// backticked renders values as "`a`, `b` or `c`".
func backticked(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = "`" + v + "`"
	}
	if len(q) < 2 {
		return strings.Join(q, "")
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// baseURLValidator accepts an absolute https URL, or http on loopback.
type baseURLValidator struct{}

func (baseURLValidator) Description(context.Context) string {
	return "value must be an absolute https URL, or http on a loopback host"
}

func (v baseURLValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (baseURLValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := kaleyra.ParseBaseURL(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Kaleyra Base URL",
			fmt.Sprintf("Attribute %s: %s.", req.Path, strings.TrimPrefix(err.Error(), "kaleyra: ")))
	}
}

// durationValidator accepts a positive Go duration such as "30s".
type durationValidator struct{}

func (durationValidator) Description(context.Context) string {
	return "value must be a positive Go duration such as \"30s\" or \"2m\""
}

func (v durationValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (durationValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	raw := req.ConfigValue.ValueString()
	d, err := time.ParseDuration(raw)
	if err != nil || d <= 0 {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Duration",
			fmt.Sprintf("Attribute %s is %q; expected a positive Go duration such as \"30s\", \"90s\" or \"2m\".", req.Path, raw))
	}
}

// notNullElement rejects a null list element, naming its index: Terraform
// shows only the list otherwise.
type notNullElement struct{}

func (notNullElement) Description(context.Context) string { return "value must not be null" }

func (v notNullElement) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (notNullElement) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() {
		resp.Diagnostics.AddAttributeError(req.Path, "Null Number",
			fmt.Sprintf("Attribute %s is null; every element must be %s.", req.Path, e164Form))
	}
}

// oneOfAnyCase accepts one of values in any letter case and, refusing a
// value, says that any case is accepted: the framework's OneOf messages do
// not.
func oneOfAnyCase(values ...string) validator.String {
	return oneOfAnyCaseValidator{values: values}
}

type oneOfAnyCaseValidator struct{ values []string }

func (v oneOfAnyCaseValidator) Description(context.Context) string {
	return "value must be one of " + quotedList(v.values) + ", in any letter case"
}

func (v oneOfAnyCaseValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v oneOfAnyCaseValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	value := req.ConfigValue.ValueString()
	for _, allowed := range v.values {
		if strings.EqualFold(value, allowed) {
			return
		}
	}
	resp.Diagnostics.AddAttributeError(req.Path, "Invalid Attribute Value",
		fmt.Sprintf("Attribute %s is %q; expected one of %s, in any letter case.", req.Path, value, quotedList(v.values)))
}

// quotedList renders values as `"a", "b" or "c"`.
func quotedList(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = strconv.Quote(v)
	}
	if len(q) < 2 {
		return strings.Join(q, "")
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// notEmpty rejects an empty string set in the provider block, naming the
// environment variable the attribute falls back to when it is left out:
// `sid = ""` is usually a variable that was never set. title names the value
// in the summary ("Account SID"), noun in the sentence ("account SID").
func notEmpty(title, noun, env string) validator.String {
	return notEmptyValidator{title: title, noun: noun, env: env}
}

type notEmptyValidator struct{ title, noun, env string }

func (v notEmptyValidator) Description(context.Context) string {
	return "value must not be empty; leave it out to use the " + v.env + " environment variable"
}

func (v notEmptyValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v notEmptyValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() || req.ConfigValue.ValueString() != "" {
		return
	}
	resp.Diagnostics.AddAttributeError(req.Path, "Empty Kaleyra "+v.title,
		fmt.Sprintf("Attribute %s is set to an empty string. Set it to the Kaleyra %s, or leave it out of the "+
			"provider block to use the %s environment variable.", req.Path, v.noun, v.env))
}
