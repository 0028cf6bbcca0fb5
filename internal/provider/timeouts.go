package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	dstimeouts "github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	eptimeouts "github.com/hashicorp/terraform-plugin-framework-timeouts/ephemeral/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	dsschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	epschema "github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// defaultReadTimeout bounds a whole read when `timeouts { read }` is unset.
const defaultReadTimeout = 20 * time.Minute

// timeoutsReadAttribute is the `read` attribute of the `timeouts` block, the
// same for a data source and an ephemeral resource, with a
// positive-duration validator that names it: the timeouts module's own
// accepts "0s" and "-1h".
func timeoutsReadAttribute() dsschema.StringAttribute {
	return dsschema.StringAttribute{
		MarkdownDescription: fmt.Sprintf("The longest the whole read may take, retries and `Retry-After` "+
			"waits included, as a Go duration such as `90s` or `30m`. Past it the read fails with an error "+
			"naming this timeout; no partial list is returned. Defaults to `%s`.", shortDuration(defaultReadTimeout)),
		Optional:   true,
		Validators: []validator.String{durationValidator{}},
	}
}

var timeoutsObjectType = types.ObjectType{AttrTypes: map[string]attr.Type{"read": types.StringType}}

// timeoutsBlock is a data source's `timeouts { read = "…" }` block, in the
// terraform-plugin-framework-timeouts convention (the module's datasource
// Type and Value).
func timeoutsBlock() dsschema.Block {
	return dsschema.SingleNestedBlock{
		MarkdownDescription: "Time limits of the read.",
		CustomType:          dstimeouts.Type{ObjectType: timeoutsObjectType},
		Attributes:          map[string]dsschema.Attribute{"read": timeoutsReadAttribute()},
	}
}

// ephemeralTimeoutsBlock is the same block for an ephemeral resource, of
// the module's ephemeral Type. It keeps the name `read` (the module's
// ephemeral convention is `open`) so that the ephemeral resource takes
// exactly the data source's arguments.
func ephemeralTimeoutsBlock() epschema.Block {
	return epschema.SingleNestedBlock{
		MarkdownDescription: "Time limits of the read.",
		CustomType:          eptimeouts.Type{ObjectType: timeoutsObjectType},
		Attributes:          map[string]epschema.Attribute{"read": epschema.StringAttribute(timeoutsReadAttribute())},
	}
}

// timeoutsValue is the value of a `timeouts` block: the timeouts module's
// datasource or ephemeral Value.
type timeoutsValue interface {
	attr.Value
	Attributes() map[string]attr.Value
}

var (
	_ timeoutsValue = dstimeouts.Value{}
	_ timeoutsValue = eptimeouts.Value{}
)

// readDeadline is the read timeout configured in t (or the default) and
// how to name it in a diagnostic: `timeouts.read = "3s"`.
func readDeadline(t timeoutsValue) (time.Duration, string, error) {
	def := fmt.Sprintf("the default read timeout of %s (`timeouts.read`)", shortDuration(defaultReadTimeout))
	if t.IsNull() || t.IsUnknown() {
		return defaultReadTimeout, def, nil
	}
	v, ok := t.Attributes()["read"].(types.String)
	if !ok || v.IsNull() || v.IsUnknown() {
		return defaultReadTimeout, def, nil
	}
	d, err := time.ParseDuration(v.ValueString())
	if err != nil || d <= 0 {
		return 0, "", fmt.Errorf("`timeouts.read` is %q; expected a positive Go duration such as \"90s\" or \"30m\"", v.ValueString())
	}
	return d, fmt.Sprintf("`timeouts.read = %q`", v.ValueString()), nil
}

// readTimedOut tells whether a read failed because its own deadline
// (readCtx, derived from ctx) passed, rather than Terraform cancelling it.
func readTimedOut(ctx, readCtx context.Context) bool {
	return ctx.Err() == nil && errors.Is(readCtx.Err(), context.DeadlineExceeded)
}

// shortDuration renders 20m0s as 20m and 1h0m0s as 1h.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// timedSharedRead runs a read of a data source or an ephemeral resource:
// bounded by its read timeout (t, or the default), shared with identical
// reads of this provider configuration under key, whatever their kind,
// and any failure reported as one diagnostic. ok is false when it failed;
// shared tells whether another read's result was used.
func timedSharedRead[T any](ctx context.Context, data *providerData, key string, t timeoutsValue, failure readFailure,
	diags *diag.Diagnostics, read func(context.Context) (T, error),
) (result T, shared, ok bool) {
	timeout, timeoutName, err := readDeadline(t)
	if err != nil {
		diags.AddAttributeError(path.Root("timeouts").AtName("read"), "Invalid Read Timeout", err.Error())
		return result, false, false
	}
	readCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	result, shared, err = shareRead(readCtx, data.reads, key, read)
	switch {
	case err != nil && readTimedOut(ctx, readCtx):
		addReadTimeoutError(diags, failure, timeoutName)
		return result, shared, false
	case err != nil:
		addReadError(diags, failure, err, data.client.Redactor())
		return result, shared, false
	}
	return result, shared, true
}
