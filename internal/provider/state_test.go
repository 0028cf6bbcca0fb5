package provider

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/kaleyra"
)

// dataSourceStates are, per data source, its schema and the state values
// its Read builds for a small result: the very functions Read calls.
func dataSourceStates(t *testing.T) map[string]struct {
	obj    tftypes.Object
	values stateValues
} {
	t.Helper()
	ctx := context.Background()
	objectOf := func(ds datasource.DataSource) tftypes.Object {
		var resp datasource.SchemaResponse
		ds.Schema(ctx, datasource.SchemaRequest{}, &resp)
		obj, diags := stateObjectType(ctx, resp.Schema.Type())
		if diags.HasError() {
			t.Fatal(diags)
		}
		return obj
	}
	element := func(obj tftypes.Object, list string) tftypes.Object {
		elem, diags := listElementObject(obj, list)
		if diags.HasError() {
			t.Fatal(diags)
		}
		return elem
	}

	contacts := objectOf(NewContactsBlocklistedDataSource())
	rows := []kaleyra.BlocklistedContact{{Mobile: "+919800000001", ChannelType: "3"}, {Mobile: "+919800000002", ChannelType: "1"}}
	configured := stateValues{
		"channel":  tfString("SMS"),
		"mobiles":  tfList(tftypes.String, []tftypes.Value{tfString("+919800000001")}),
		"timeouts": tftypes.NewValue(contacts.AttributeTypes["timeouts"], nil),
	}
	whatsapp := objectOf(NewWhatsappBlockedUsersDataSource())
	users := []kaleyra.BlockedUser{{WAID: "919800000001", MessagingProduct: "whatsapp"}}
	return map[string]struct {
		obj    tftypes.Object
		values stateValues
	}{
		"kaleyra_contacts_blocklisted": {contacts, contactsState(element(contacts, "contacts"), configured, "sms", []string{"+919800000001"}, 100, rows)},
		"kaleyra_whatsapp_blocked_users": {whatsapp, whatsappState(element(whatsapp, "users"), "+919800000000", "V2", 100,
			tftypes.NewValue(whatsapp.AttributeTypes["timeouts"], nil), users)},
	}
}

func TestBuildState_everySchemaAttributeHasAValue(t *testing.T) {
	// The data sources build their state as raw Terraform values. A key
	// their state map forgets, or one the schema lacks, fails here with the
	// attribute's name; in Read it is a diagnostic, never a panic.
	for name, ds := range dataSourceStates(t) {
		t.Run(name, func(t *testing.T) {
			state, diags := buildState(ds.obj, ds.values)
			if diags.HasError() {
				t.Fatalf("the state %s builds does not fit its schema: %s", name, diagsText(diags))
			}
			if !state.Type().Equal(ds.obj) {
				t.Fatalf("state type %s, want %s", state.Type(), ds.obj)
			}
		})
	}
}

func TestBuildState_mistakesAreDiagnosticsNotPanics(t *testing.T) {
	for name, ds := range dataSourceStates(t) {
		for _, key := range slices.Sorted(maps.Keys(ds.obj.AttributeTypes)) {
			t.Run(name+"/without_"+key, func(t *testing.T) {
				values := maps.Clone(ds.values)
				delete(values, key)
				_, diags := buildState(ds.obj, values)
				if !diags.HasError() || !strings.Contains(diagsText(diags), key) {
					t.Fatalf("a state without %s: %s, want an error naming it", key, diagsText(diags))
				}
			})
		}
		t.Run(name+"/unknown_key", func(t *testing.T) {
			values := maps.Clone(ds.values)
			values["not_in_schema"] = tfString("x")
			if _, diags := buildState(ds.obj, values); !strings.Contains(diagsText(diags), "not_in_schema") {
				t.Fatalf("an extra key: %s, want an error naming it", diagsText(diags))
			}
		})
		t.Run(name+"/wrong_type", func(t *testing.T) {
			values := maps.Clone(ds.values)
			values["total"] = tfString("two")
			if _, diags := buildState(ds.obj, values); !strings.Contains(diagsText(diags), "total") {
				t.Fatalf("a string total: %s, want an error naming it", diagsText(diags))
			}
		})
		t.Run(name+"/null_is_filled", func(t *testing.T) {
			values := maps.Clone(ds.values)
			values["total"] = tftypes.Value{}
			state, diags := buildState(ds.obj, values)
			if diags.HasError() {
				t.Fatal(diagsText(diags))
			}
			var attrs map[string]tftypes.Value
			if err := state.As(&attrs); err != nil || !attrs["total"].IsNull() || !attrs["total"].Type().Equal(tftypes.Number) {
				t.Fatalf("total = %v (%v), want a null number", attrs["total"], err)
			}
		})
	}
}

func diagsText(diags diag.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		b.WriteString(d.Summary() + ": " + d.Detail() + "\n")
	}
	return b.String()
}
