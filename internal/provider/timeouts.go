package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// defaultReadTimeout bounds a whole read when `timeouts { read }` is unset.
const defaultReadTimeout = 20 * time.Minute

// timeoutsBlock is the `timeouts { read = "…" }` block of both data
// sources, in the terraform-plugin-framework-timeouts convention (its Type
// and Value, so `Value.Read` parses it), with a positive-duration validator
// that names the attribute: the library's own accepts "0s" and "-1h".
func timeoutsBlock() schema.Block {
	return schema.SingleNestedBlock{
		MarkdownDescription: "Time limits of this data source.",
		CustomType: timeouts.Type{ObjectType: types.ObjectType{
			AttrTypes: map[string]attr.Type{"read": types.StringType},
		}},
		Attributes: map[string]schema.Attribute{
			"read": schema.StringAttribute{
				MarkdownDescription: fmt.Sprintf("The longest the whole read may take, retries and `Retry-After` "+
					"waits included, as a Go duration such as `90s` or `30m`. Past it the read fails with an error "+
					"naming this timeout; no partial list is returned. Defaults to `%s`.", shortDuration(defaultReadTimeout)),
				Optional:   true,
				Validators: []validator.String{durationValidator{}},
			},
		},
	}
}

// readDeadline is the read timeout configured in t (or the default) and
// how to name it in a diagnostic: `timeouts.read = "3s"`.
func readDeadline(ctx context.Context, t timeouts.Value) (time.Duration, string, error) {
	d, diags := t.Read(ctx, defaultReadTimeout)
	if diags.HasError() {
		return 0, "", errors.New(diags.Errors()[0].Detail())
	}
	if !t.IsNull() && !t.IsUnknown() {
		if v, ok := t.Attributes()["read"].(types.String); ok && !v.IsNull() {
			return d, fmt.Sprintf("`timeouts.read = %q`", v.ValueString()), nil
		}
	}
	return d, fmt.Sprintf("the default read timeout of %s (`timeouts.read`)", shortDuration(defaultReadTimeout)), nil
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

// timedSharedRead runs a data source's read: bounded by its read timeout
// (t, or the default), shared with identical reads of this provider
// configuration under key, and any failure reported as one diagnostic. ok
// is false when it failed; shared tells whether another data source's read
// was used.
func timedSharedRead[T any](ctx context.Context, data *providerData, key string, t timeouts.Value, failure readFailure,
	diags *diag.Diagnostics, read func(context.Context) (T, error),
) (result T, shared, ok bool) {
	timeout, timeoutName, err := readDeadline(ctx, t)
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
