package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

func TestLazyList_behavesLikeAListOfItsElements(t *testing.T) {
	ctx := context.Background()
	typ := newLazyListType(types.StringType)
	raw := tfList(tftypes.String, []tftypes.Value{tfString("+911"), tfString("+912")})

	// Types: equal to itself, not to a plain list of the same elements.
	if !typ.Equal(newLazyListType(types.StringType)) || typ.Equal(types.ListType{ElemType: types.StringType}) ||
		typ.Equal(newLazyListType(types.BoolType)) {
		t.Error("lazyListType.Equal compares the wrong things")
	}
	if got := typ.String(); got != "lazyListType[basetypes.StringType]" {
		t.Errorf("String() = %q", got)
	}
	if v, ok := typ.ValueType(ctx).(lazyListValue); !ok || !v.IsNull() {
		t.Errorf("ValueType = %#v, want a null lazyListValue", typ.ValueType(ctx))
	}

	// From Terraform: kept as it is, of the right type only.
	val, err := typ.ValueFromTerraform(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	lazy, ok := val.(lazyListValue)
	if !ok {
		t.Fatalf("ValueFromTerraform made a %T", val)
	}
	if got, _ := lazy.ToTerraformValue(ctx); !got.Equal(raw) {
		t.Errorf("ToTerraformValue = %v, want %v", got, raw)
	}
	if _, err := typ.ValueFromTerraform(ctx, tfList(tftypes.Bool, nil)); err == nil {
		t.Error("a list of bools was accepted as a list of strings")
	}
	if lazy.IsNull() || lazy.IsUnknown() || lazy.String() != raw.String() {
		t.Errorf("IsNull %v, IsUnknown %v, String %q", lazy.IsNull(), lazy.IsUnknown(), lazy.String())
	}
	if !lazy.Type(ctx).Equal(typ) {
		t.Error("the value's type is not its list type")
	}

	// Converted: the same elements as a plain list.
	list, diags := lazy.ToListValue(ctx)
	if diags.HasError() {
		t.Fatal(diags)
	}
	want := types.ListValueMust(types.StringType, []attr.Value{types.StringValue("+911"), types.StringValue("+912")})
	if !list.Equal(want) {
		t.Errorf("ToListValue = %v, want %v", list, want)
	}
	back, diags := typ.ValueFromList(ctx, list)
	if diags.HasError() {
		t.Fatal(diags)
	}

	// Equal: a copy short-circuits; another value compares by content.
	if !lazy.Equal(lazy) || !lazy.Equal(back) || !back.Equal(lazy) {
		t.Error("equal lists compare unequal")
	}
	other, _ := typ.ValueFromTerraform(ctx, tfList(tftypes.String, []tftypes.Value{tfString("+913")}))
	if lazy.Equal(other) || lazy.Equal(list) {
		t.Error("different lists (or a plain list) compare equal")
	}

	// Null and unknown.
	null, _ := typ.ValueFromTerraform(ctx, tftypes.Value{})
	unknown, _ := typ.ValueFromTerraform(ctx, tftypes.NewValue(tftypes.List{ElementType: tftypes.String}, tftypes.UnknownValue))
	zero := lazyListValue{typ: typ}
	switch {
	case !null.IsNull() || null.String() != "<null>":
		t.Errorf("null: IsNull %v, String %q", null.IsNull(), null.String())
	case !unknown.IsUnknown() || unknown.String() != "<unknown>":
		t.Errorf("unknown: IsUnknown %v, String %q", unknown.IsUnknown(), unknown.String())
	case !zero.Equal(lazyListValue{typ: typ}) || zero.Equal(lazy) || lazy.Equal(zero):
		t.Error("the zero value compares wrongly")
	}
	if got, _ := zero.ToTerraformValue(ctx); !got.IsNull() || !got.Type().Equal(tftypes.List{ElementType: tftypes.String}) {
		t.Errorf("zero value as Terraform: %v", got)
	}
	if _, diags := (lazyListValue{typ: typ, raw: tfString("not a list")}).ToListValue(ctx); !diags.HasError() ||
		!strings.Contains(diags[0].Detail(), "List") {
		t.Errorf("converting a non-list gave %v", diags)
	}
	if _, diags := typ.ValueFromList(ctx, types.ListValueMust(types.BoolType, nil)); !diags.HasError() {
		t.Error("a list of bools was accepted as a list of strings")
	}
	var _ basetypes.ListValuable = lazy
}
