package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// lazyListType is the type of the data sources' large computed lists. It is
// a list like types.ListType, except that reading a value from Terraform
// keeps the Terraform value as it is instead of converting every element.
//
// After a read the framework converts each attribute of the new state to
// its attribute value just to check semantic equality against the
// configuration, where computed lists are always null, and then drops it.
// With types.ListType that is one more complete copy of a 100,000-row list
// at the provider's peak memory; with lazyListType it costs nothing. The
// elements are converted only if something asks for them (ToListValue).
type lazyListType struct {
	basetypes.ListType
}

var (
	_ basetypes.ListTypable  = lazyListType{}
	_ basetypes.ListValuable = lazyListValue{}
)

func newLazyListType(elem attr.Type) lazyListType {
	return lazyListType{ListType: basetypes.ListType{ElemType: elem}}
}

func (t lazyListType) Equal(o attr.Type) bool {
	other, ok := o.(lazyListType)
	return ok && t.ListType.Equal(other.ListType)
}

func (t lazyListType) String() string { return "lazyListType[" + t.ElementType().String() + "]" }

func (t lazyListType) ValueType(_ context.Context) attr.Value { return lazyListValue{typ: t} }

// ValueFromTerraform keeps in as it is, after checking its type.
func (t lazyListType) ValueFromTerraform(ctx context.Context, in tftypes.Value) (attr.Value, error) {
	if in.Type() == nil {
		return lazyListValue{typ: t, raw: tftypes.NewValue(t.TerraformType(ctx), nil)}, nil
	}
	if !in.Type().Equal(t.TerraformType(ctx)) {
		return nil, fmt.Errorf("expected %s, got %s", t.TerraformType(ctx), in.Type())
	}
	return lazyListValue{typ: t, raw: in, origin: new(byte)}, nil
}

// ValueFromList wraps a converted list.
func (t lazyListType) ValueFromList(ctx context.Context, list basetypes.ListValue) (basetypes.ListValuable, diag.Diagnostics) {
	var diags diag.Diagnostics
	raw, err := list.ToTerraformValue(ctx)
	if err == nil && !raw.Type().Equal(t.TerraformType(ctx)) {
		err = fmt.Errorf("expected %s, got %s", t.TerraformType(ctx), raw.Type())
	}
	if err != nil {
		diags.AddError("List Conversion Error", err.Error())
		return nil, diags
	}
	return lazyListValue{typ: t, raw: raw}, diags
}

// lazyListValue holds a list as a Terraform value.
type lazyListValue struct {
	typ lazyListType
	raw tftypes.Value
	// origin is shared by the copies of one value read from Terraform, so
	// comparing a value with its own copy (as the framework does after
	// every read) needs no walk over 100,000 elements.
	origin *byte
}

func (v lazyListValue) Type(_ context.Context) attr.Type { return v.typ }

func (v lazyListValue) ToTerraformValue(ctx context.Context) (tftypes.Value, error) {
	if v.raw.Type() == nil {
		return tftypes.NewValue(v.typ.TerraformType(ctx), nil), nil
	}
	return v.raw, nil
}

func (v lazyListValue) Equal(o attr.Value) bool {
	other, ok := o.(lazyListValue)
	if !ok || !v.typ.Equal(other.typ) {
		return false
	}
	if v.origin != nil && v.origin == other.origin {
		return true
	}
	if v.raw.Type() == nil || other.raw.Type() == nil {
		return v.raw.Type() == nil && other.raw.Type() == nil
	}
	return v.raw.Equal(other.raw)
}

func (v lazyListValue) IsNull() bool { return v.raw.Type() == nil || v.raw.IsNull() }

func (v lazyListValue) IsUnknown() bool { return v.raw.Type() != nil && !v.raw.IsKnown() }

func (v lazyListValue) String() string {
	switch {
	case v.IsNull():
		return "<null>"
	case v.IsUnknown():
		return "<unknown>"
	}
	return v.raw.String()
}

// ToListValue converts every element: the cost lazyListType avoids until
// something needs it.
func (v lazyListValue) ToListValue(ctx context.Context) (basetypes.ListValue, diag.Diagnostics) {
	var diags diag.Diagnostics
	raw, _ := v.ToTerraformValue(ctx) // never fails
	val, err := v.typ.ListType.ValueFromTerraform(ctx, raw)
	if err != nil {
		diags.AddError("List Conversion Error", err.Error())
		return basetypes.ListValue{}, diags
	}
	list, _ := val.(basetypes.ListValue) // what ListType always makes
	return list, diags
}
