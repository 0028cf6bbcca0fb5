package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// The data sources build their large results directly as Terraform values
// and set them as the raw state. Going through attr.Value models and
// reflection costs about ten times the memory and time at 100,000 rows
// (see `make bench`), and these lists are what the provider is for.

// stateType is the Terraform object type of the data source's state, and
// the object type of the elements of its list attribute listAttr.
func stateType(ctx context.Context, state tfsdk.State, listAttr string) (tftypes.Object, tftypes.Object, diag.Diagnostics) {
	var diags diag.Diagnostics
	obj, ok := state.Schema.Type().TerraformType(ctx).(tftypes.Object)
	if !ok {
		diags.AddError("Unexpected Schema Type", "The data source schema is not an object. Please report this issue to the provider developers.")
		return tftypes.Object{}, tftypes.Object{}, diags
	}
	list, ok := obj.AttributeTypes[listAttr].(tftypes.List)
	if !ok {
		diags.AddError("Unexpected Schema Type", fmt.Sprintf("Attribute %s is not a list. Please report this issue to the provider developers.", listAttr))
		return tftypes.Object{}, tftypes.Object{}, diags
	}
	elem, ok := list.ElementType.(tftypes.Object)
	if !ok {
		diags.AddError("Unexpected Schema Type", fmt.Sprintf("Attribute %s is not a list of objects. Please report this issue to the provider developers.", listAttr))
	}
	return obj, elem, diags
}

func tfString(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }

func tfNullString() tftypes.Value { return tftypes.NewValue(tftypes.String, nil) }

func tfNumber(n int64) tftypes.Value { return tftypes.NewValue(tftypes.Number, n) }

func tfList(elem tftypes.Type, values []tftypes.Value) tftypes.Value {
	return tftypes.NewValue(tftypes.List{ElementType: elem}, values)
}
