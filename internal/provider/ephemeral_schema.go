package provider

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	dsschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	epschema "github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
)

// ephemeralAbout is what both ephemeral resources' descriptions say of
// being ephemeral, after their first sentence.
const ephemeralAbout = "Use it where a blocklist must not be stored: in `check` blocks, `precondition` and " +
	"`postcondition` conditions, locals and provider configuration. Terraform hides an error message that " +
	"refers to an ephemeral value, so write condition messages that do not. Needs Terraform 1.10 or later, or " +
	"OpenTofu 1.11 or later. Terraform opens it in each phase that needs it (plan, then apply): one read per " +
	"phase. See the guide [Keeping blocklists out of state](https://registry.terraform.io/providers/kaleyra/" +
	"kaleyra/latest/docs/guides/keeping-blocklists-out-of-state) for what lands where with each way of reading.\n\n"

// ephemeralSchema is the schema of the ephemeral resource that reads what
// the data source of schema ds reads: the same attributes, with the same
// types, flags, validators and descriptions, and the same `timeouts`
// block in the timeouts module's ephemeral flavour; only the resource's
// own description is its own. Building one schema from the other is what
// keeps the two kinds from drifting apart, and
// TestEphemeralResources_schemasMatchTheDataSources compares them
// attribute by attribute.
//
// The framework's data source and ephemeral attribute structs have the same
// fields, so most attributes convert with a Go conversion, which stops
// compiling if the framework ever gives one of them a field the other
// lacks. A kind of attribute or block not handled here is a diagnostic,
// never a silently different schema.
func ephemeralSchema(ds dsschema.Schema, description string) (epschema.Schema, diag.Diagnostics) {
	var diags diag.Diagnostics
	attrs, err := ephemeralAttributes(ds.Attributes)
	if err != nil {
		diags.AddError("Unable to Build Ephemeral Resource Schema", err.Error()+" "+reportBug)
	}
	blocks := make(map[string]epschema.Block, len(ds.Blocks))
	for _, name := range slices.Sorted(maps.Keys(ds.Blocks)) {
		if name != "timeouts" {
			diags.AddError("Unable to Build Ephemeral Resource Schema",
				fmt.Sprintf("The data source schema has a block %q; ephemeralSchema only knows `timeouts`. %s", name, reportBug))
			continue
		}
		blocks[name] = ephemeralTimeoutsBlock()
	}
	return epschema.Schema{
		MarkdownDescription: description,
		DeprecationMessage:  ds.DeprecationMessage,
		Attributes:          attrs,
		Blocks:              blocks,
	}, diags
}

func ephemeralAttributes(in map[string]dsschema.Attribute) (map[string]epschema.Attribute, error) {
	out := make(map[string]epschema.Attribute, len(in))
	var errs []string
	for _, name := range slices.Sorted(maps.Keys(in)) {
		a, err := ephemeralAttribute(in[name])
		if err != nil {
			errs = append(errs, fmt.Sprintf("attribute %q: %v", name, err))
			continue
		}
		out[name] = a
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return out, nil
}

func ephemeralAttribute(a dsschema.Attribute) (epschema.Attribute, error) {
	switch a := a.(type) {
	case dsschema.StringAttribute:
		return epschema.StringAttribute(a), nil
	case dsschema.Int64Attribute:
		return epschema.Int64Attribute(a), nil
	case dsschema.BoolAttribute:
		return epschema.BoolAttribute(a), nil
	case dsschema.ListAttribute:
		return epschema.ListAttribute(a), nil
	case dsschema.MapAttribute:
		return epschema.MapAttribute(a), nil
	case dsschema.ListNestedAttribute:
		nested, err := ephemeralAttributes(a.NestedObject.Attributes)
		if err != nil {
			return nil, err
		}
		return epschema.ListNestedAttribute{
			NestedObject: epschema.NestedAttributeObject{
				Attributes: nested,
				CustomType: a.NestedObject.CustomType,
				Validators: a.NestedObject.Validators,
			},
			CustomType:          a.CustomType,
			Required:            a.Required,
			Optional:            a.Optional,
			Computed:            a.Computed,
			Sensitive:           a.Sensitive,
			Description:         a.Description,
			MarkdownDescription: a.MarkdownDescription,
			DeprecationMessage:  a.DeprecationMessage,
			Validators:          a.Validators,
		}, nil
	}
	return nil, fmt.Errorf("a %T has no ephemeral counterpart in ephemeralSchema yet", a)
}
