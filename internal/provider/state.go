package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// The data sources and ephemeral resources build their large results
// directly as Terraform values and set them as the raw state or result.
// Going through attr.Value models and
// reflection costs about ten times the memory and time at 100,000 rows
// (see `make bench`), and these lists are what the provider is for.
//
// buildState keeps that path safe: the object is built from the schema's
// attribute types, so a key the schema lacks, a key the data source forgot,
// or a value of the wrong type is a diagnostic naming the attribute, never
// a panic inside tftypes.NewValue.

// stateValues are a read's state (or ephemeral result) values by attribute
// name. A zero
// tftypes.Value (no type) stands for null: buildState gives it the
// attribute's type.
type stateValues map[string]tftypes.Value

// stateObjectType is the Terraform object type of a schema, given its
// type (a state's or an ephemeral result's Schema.Type()).
func stateObjectType(ctx context.Context, schemaType attr.Type) (tftypes.Object, diag.Diagnostics) {
	var diags diag.Diagnostics
	obj, ok := schemaType.TerraformType(ctx).(tftypes.Object)
	if !ok {
		diags.AddError("Unexpected Schema Type", "The schema is not an object. "+reportBug)
	}
	return obj, diags
}

// listElementObject is the object type of the elements of the list
// attribute name.
func listElementObject(obj tftypes.Object, name string) (tftypes.Object, diag.Diagnostics) {
	var diags diag.Diagnostics
	list, ok := obj.AttributeTypes[name].(tftypes.List)
	if !ok {
		diags.AddError("Unexpected Schema Type", fmt.Sprintf("Attribute %s is not a list. %s", name, reportBug))
		return tftypes.Object{}, diags
	}
	elem, ok := list.ElementType.(tftypes.Object)
	if !ok {
		diags.AddError("Unexpected Schema Type", fmt.Sprintf("Attribute %s is not a list of objects. %s", name, reportBug))
	}
	return elem, diags
}

// buildState builds the state object of type obj from values: every
// attribute of the schema must have a value (a zero tftypes.Value for
// null), no other key may be present, and each value must be of its
// attribute's type.
func buildState(obj tftypes.Object, values stateValues) (tftypes.Value, diag.Diagnostics) {
	var diags diag.Diagnostics
	var missing, unknown []string
	for name := range obj.AttributeTypes {
		if _, ok := values[name]; !ok {
			missing = append(missing, name)
		}
	}
	for name := range values {
		if _, ok := obj.AttributeTypes[name]; !ok {
			unknown = append(unknown, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		diags.AddError("Incomplete Data Source State",
			fmt.Sprintf("The provider built no value for the attribute(s) %s of the schema. %s", strings.Join(missing, ", "), reportBug))
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		diags.AddError("Unexpected Data Source State",
			fmt.Sprintf("The provider built values for %s, which the schema does not have. %s", strings.Join(unknown, ", "), reportBug))
	}
	if diags.HasError() {
		return tftypes.Value{}, diags
	}
	attrs := make(map[string]tftypes.Value, len(values))
	for name, typ := range obj.AttributeTypes {
		v := values[name]
		if v.Type() == nil {
			v = tftypes.NewValue(typ, nil)
		}
		if !v.Type().Equal(typ) {
			diags.AddError("Unexpected Data Source State",
				fmt.Sprintf("The provider built attribute %s as %s; the schema says %s. %s", name, v.Type(), typ, reportBug))
			continue
		}
		attrs[name] = v
	}
	if diags.HasError() {
		return tftypes.Value{}, diags
	}
	if err := tftypes.ValidateValue(obj, attrs); err != nil {
		diags.AddError("Unexpected Data Source State", "The state does not fit the schema: "+err.Error()+". "+reportBug)
		return tftypes.Value{}, diags
	}
	return tftypes.NewValue(obj, attrs), diags
}

const reportBug = "Please report this issue to the provider developers."

func tfString(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }

func tfNumber(n int64) tftypes.Value { return tftypes.NewValue(tftypes.Number, n) }

func tfList(elem tftypes.Type, values []tftypes.Value) tftypes.Value {
	return tftypes.NewValue(tftypes.List{ElementType: elem}, values)
}

// largeValue builds the value of a schema of type schemaType: values
// gets the element object type of the schema's list attribute listAttr.
// See buildState.
func largeValue(ctx context.Context, schemaType attr.Type, listAttr string, values func(elem tftypes.Object) stateValues) (tftypes.Value, diag.Diagnostics) {
	obj, diags := stateObjectType(ctx, schemaType)
	if diags.HasError() {
		return tftypes.Value{}, diags
	}
	elem, diags := listElementObject(obj, listAttr)
	if diags.HasError() {
		return tftypes.Value{}, diags
	}
	return buildState(obj, values(elem))
}

// setLargeState builds a data source's state (see largeValue) and sets it
// (see setState).
func setLargeState(ctx context.Context, state *tfsdk.State, listAttr string, values func(elem tftypes.Object) stateValues) diag.Diagnostics {
	value, diags := largeValue(ctx, state.Schema.Type(), listAttr, values)
	if !diags.HasError() {
		setState(ctx, state, value)
	}
	return diags
}

// setLargeResult builds an ephemeral resource's result (see largeValue)
// and sets it (see setResult).
func setLargeResult(ctx context.Context, result *tfsdk.EphemeralResultData, listAttr string, values func(elem tftypes.Object) stateValues) diag.Diagnostics {
	value, diags := largeValue(ctx, result.Schema.Type(), listAttr, values)
	if !diags.HasError() {
		setResult(ctx, result, value)
	}
	return diags
}
