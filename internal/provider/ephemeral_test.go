package provider

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	dsschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	epschema "github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/echoprovider"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/sandbox"
	"github.com/kaleyra/terraform-provider-kaleyra/internal/testutil"
)

// readKinds pairs each data source with the ephemeral resource of the same
// type name.
func readKinds(t *testing.T) map[string]struct {
	dataSource datasource.DataSource
	ephemeral  ephemeral.EphemeralResource
} {
	t.Helper()
	ctx := context.Background()
	p, ok := New("test")().(interface {
		DataSources(context.Context) []func() datasource.DataSource
		EphemeralResources(context.Context) []func() ephemeral.EphemeralResource
	})
	if !ok {
		t.Fatal("the provider has no ephemeral resources")
	}
	kinds := map[string]struct {
		dataSource datasource.DataSource
		ephemeral  ephemeral.EphemeralResource
	}{}
	for _, newDataSource := range p.DataSources(ctx) {
		ds := newDataSource()
		var resp datasource.MetadataResponse
		ds.Metadata(ctx, datasource.MetadataRequest{ProviderTypeName: "kaleyra"}, &resp)
		k := kinds[resp.TypeName]
		k.dataSource = ds
		kinds[resp.TypeName] = k
	}
	for _, newEphemeral := range p.EphemeralResources(ctx) {
		r := newEphemeral()
		var resp ephemeral.MetadataResponse
		r.Metadata(ctx, ephemeral.MetadataRequest{ProviderTypeName: "kaleyra"}, &resp)
		k := kinds[resp.TypeName]
		k.ephemeral = r
		kinds[resp.TypeName] = k
	}
	return kinds
}

func TestEphemeralResources_schemasMatchTheDataSources(t *testing.T) {
	// Every data source has an ephemeral resource of the same name whose
	// schema is the data source's, attribute by attribute: every field of
	// every attribute (types, flags, validators, descriptions), nested
	// attributes and the timeouts block's attributes included. Only the
	// top-level description and the timeouts block's custom type (the
	// timeouts module's ephemeral flavour) are their own.
	ctx := context.Background()
	kinds := readKinds(t)
	if len(kinds) != 2 {
		t.Errorf("%d types, want kaleyra_contacts_blocklisted and kaleyra_whatsapp_blocked_users", len(kinds))
	}
	for name, k := range kinds {
		t.Run(name, func(t *testing.T) {
			if k.dataSource == nil || k.ephemeral == nil {
				t.Fatalf("data source %v, ephemeral resource %v: want both", k.dataSource != nil, k.ephemeral != nil)
			}
			var dsResp datasource.SchemaResponse
			k.dataSource.Schema(ctx, datasource.SchemaRequest{}, &dsResp)
			var epResp ephemeral.SchemaResponse
			k.ephemeral.Schema(ctx, ephemeral.SchemaRequest{}, &epResp)
			if epResp.Diagnostics.HasError() {
				t.Fatalf("the ephemeral schema: %v", epResp.Diagnostics)
			}
			ds, ep := dsResp.Schema, epResp.Schema
			compared := compareAttributes(t, name, ds.Attributes, ep.Attributes)
			if compared < 8 {
				t.Errorf("compared %d attributes; the comparison proves little", compared)
			}
			if !slices.Equal(slices.Sorted(maps.Keys(ds.Blocks)), slices.Sorted(maps.Keys(ep.Blocks))) {
				t.Fatalf("blocks: data source %v, ephemeral resource %v", slices.Sorted(maps.Keys(ds.Blocks)), slices.Sorted(maps.Keys(ep.Blocks)))
			}
			dsTimeouts, ok1 := ds.Blocks["timeouts"].(dsschema.SingleNestedBlock)
			epTimeouts, ok2 := ep.Blocks["timeouts"].(epschema.SingleNestedBlock)
			if !ok1 || !ok2 {
				t.Fatalf("the timeouts blocks are a %T and a %T", ds.Blocks["timeouts"], ep.Blocks["timeouts"])
			}
			compareAttributes(t, name+".timeouts", dsTimeouts.Attributes, epTimeouts.Attributes)
			if dsTimeouts.MarkdownDescription != epTimeouts.MarkdownDescription {
				t.Errorf("timeouts descriptions differ: %q, %q", dsTimeouts.MarkdownDescription, epTimeouts.MarkdownDescription)
			}
			if !strings.Contains(ep.MarkdownDescription, "never writes its result to state or plan files") {
				t.Errorf("the ephemeral resource's description does not say what it is for:\n%s", ep.MarkdownDescription)
			}
			// Both kinds have the same Terraform type: one result shape.
			if !ds.Type().TerraformType(ctx).Equal(ep.Type().TerraformType(ctx)) {
				t.Errorf("the Terraform types differ:\n%s\n%s", ds.Type().TerraformType(ctx), ep.Type().TerraformType(ctx))
			}
		})
	}
}

// compareAttributes compares two attribute maps field by field, with
// reflection so that a field added to the framework's structs is compared
// too, and returns how many attributes it compared. Nested attribute
// objects are compared the same way.
func compareAttributes[A, B any](t *testing.T, where string, ds map[string]A, ep map[string]B) int {
	t.Helper()
	if !slices.Equal(slices.Sorted(maps.Keys(ds)), slices.Sorted(maps.Keys(ep))) {
		t.Errorf("%s: attributes: data source %v, ephemeral resource %v", where, slices.Sorted(maps.Keys(ds)), slices.Sorted(maps.Keys(ep)))
		return 0
	}
	compared := 0
	for name := range ds {
		a, b := reflect.ValueOf(ds[name]), reflect.ValueOf(ep[name])
		path := where + "." + name
		if a.Type().Name() != b.Type().Name() || a.NumField() != b.NumField() {
			t.Errorf("%s: a %s and a %s", path, a.Type(), b.Type())
			continue
		}
		compared++
		for i := range a.NumField() {
			field := a.Type().Field(i).Name
			fa, fb := a.Field(i), b.FieldByName(field)
			if !fb.IsValid() {
				t.Errorf("%s: the ephemeral %s has no field %s", path, b.Type(), field)
				continue
			}
			if field == "NestedObject" {
				dsNested, ok1 := fa.FieldByName("Attributes").Interface().(map[string]dsschema.Attribute)
				epNested, ok2 := fb.FieldByName("Attributes").Interface().(map[string]epschema.Attribute)
				if !ok1 || !ok2 {
					t.Errorf("%s: nested attributes of %T and %T", path, fa.Interface(), fb.Interface())
					continue
				}
				compared += compareAttributes(t, path, dsNested, epNested)
				continue
			}
			if !reflect.DeepEqual(fa.Interface(), fb.Interface()) {
				t.Errorf("%s: %s differs: data source %#v, ephemeral resource %#v", path, field, fa.Interface(), fb.Interface())
			}
		}
	}
	return compared
}

// ephemeralEchoConfig reads the same query (body) with the data source and
// the ephemeral resource of typeName, and hands the ephemeral result to
// the echo provider, which stores it in echo.test's `data`: the one way to
// look at an ephemeral value in a test.
func ephemeralEchoConfig(baseURL, typeName, body string) string {
	return sandboxProvider(baseURL, nil) + fmt.Sprintf(`
data %[1]q "test" {
  %[2]s
}

ephemeral %[1]q "test" {
  %[2]s
}

provider "echo" {
  data = ephemeral.%[1]s.test
}

resource "echo" "test" {}
`, typeName, body)
}

// sameAsDataSource compares every attribute of echo.test's `data` (the
// ephemeral result) with the data source's.
func sameAsDataSource(t *testing.T, typeName string) []statecheck.StateCheck {
	t.Helper()
	var names []string
	for name, k := range readKinds(t) {
		if name == typeName {
			var resp datasource.SchemaResponse
			k.dataSource.Schema(context.Background(), datasource.SchemaRequest{}, &resp)
			names = append(slices.Collect(maps.Keys(resp.Schema.Attributes)), slices.Collect(maps.Keys(resp.Schema.Blocks))...)
		}
	}
	checks := make([]statecheck.StateCheck, 0, len(names))
	for _, name := range slices.Sorted(slices.Values(names)) {
		checks = append(checks, statecheck.CompareValuePairs(
			"echo.test", tfjsonpath.New("data").AtMapKey(name),
			"data."+typeName+".test", tfjsonpath.New(name),
			compare.ValuesSame()))
	}
	return checks
}

func TestEphemeralResources_resultIsTheDataSourcesState(t *testing.T) {
	skipWithoutEphemeralResources(t)
	// A blocklist with rows on every channel (so that `channel` is null for
	// the undocumented channel types of a whole-list read), and business
	// numbers on both WhatsApp API versions.
	numbers := numbersFrom("+9198", 240)
	var rows []sandbox.BlocklistEntry
	for i, n := range numbers {
		rows = append(rows, sandbox.BlocklistEntry{Mobile: n, Channel: []string{"sms", "voice", "whatsapp"}[i%3]})
	}
	seed := testAccount([]sandbox.WhatsAppNumber{
		{PhoneNumber: faultBusiness, APIVersion: "v2", Blocked: waIDs(919800000000, 230)},
		{PhoneNumber: "+919800022222", APIVersion: "v1", Blocked: waIDs(919700000000, 7)},
	}, rows)
	sb := startSandbox(t, seed, sandbox.Options{})
	lookup := append(slices.Clone(numbers[:130]), "+919999999999", numbers[3])

	cases := []struct {
		name, typeName, body string
		check                statecheck.StateCheck
	}{
		{"contacts whole list", contactsBlocklistedName, `page_size = 50`,
			statecheck.ExpectKnownValue("echo.test", tfjsonpath.New("data").AtMapKey("total"), knownvalue.Int64Exact(240))},
		{"contacts lookup on one channel", contactsBlocklistedName, `channel = "SMS"
  ` + mobilesArg(lookup) + `
  timeouts {
    read = "5m"
  }`,
			statecheck.ExpectKnownValue("echo.test", tfjsonpath.New("data").AtMapKey("total"), knownvalue.Int64Exact(44))},
		{"contacts empty lookup", contactsBlocklistedName, `mobiles = []`,
			statecheck.ExpectKnownValue("echo.test", tfjsonpath.New("data").AtMapKey("total"), knownvalue.Int64Exact(0))},
		{"whatsapp v2", whatsappBlockedUsersName, fmt.Sprintf("phone_number = %q", faultBusiness),
			statecheck.ExpectKnownValue("echo.test", tfjsonpath.New("data").AtMapKey("total"), knownvalue.Int64Exact(230))},
		{"whatsapp v1", whatsappBlockedUsersName, `phone_number = "+919800022222"
  api_version  = "V1"`,
			statecheck.ExpectKnownValue("echo.test", tfjsonpath.New("data").AtMapKey("api_version"), knownvalue.StringExact("V1"))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resource.UnitTest(t, resource.TestCase{
				ProtoV6ProviderFactories: map[string]func() (tfprotov6.ProviderServer, error){
					"kaleyra": testProviders()["kaleyra"],
					"echo":    echoprovider.NewProviderServer(),
				},
				Steps: []resource.TestStep{{
					Config:            ephemeralEchoConfig(sb.URL(), tc.typeName, tc.body),
					ConfigStateChecks: append(sameAsDataSource(t, tc.typeName), tc.check),
				}},
			})
		})
	}
}

func TestEphemeralResources_shareReadsWithDataSources(t *testing.T) {
	// Over the protocol, as Terraform calls one provider configuration: a
	// data source read and an ephemeral resource opened with the same query
	// (page_size aside) cost the requests of one read, in either order,
	// and give the same value.
	rows := []sandbox.BlocklistEntry{}
	for _, n := range numbersFrom("+9198", 250) {
		rows = append(rows, sandbox.BlocklistEntry{Mobile: n, Channel: "sms"})
	}
	sb := startSandbox(t, testAccount(nil, rows), sandbox.Options{})
	ctx := context.Background()
	for _, ephemeralFirst := range []bool{false, true} {
		t.Run(fmt.Sprintf("ephemeral first %v", ephemeralFirst), func(t *testing.T) {
			sb.ResetRequests()
			server, schemas := configuredServer(t, providerAttrs(sb.URL(), map[string]tftypes.Value{"max_parallel_requests": tftypes.NewValue(tftypes.Number, 1)}))
			read := func() *tfprotov6.DynamicValue {
				resp, err := testutil.ReadDataSource(ctx, server, schemas, contactsBlocklistedName, nil)
				if err != nil || hasErrors(resp.Diagnostics) {
					t.Fatalf("read: %v %s", err, diagnosticsText(resp.Diagnostics))
				}
				return resp.State
			}
			open := func() *tfprotov6.DynamicValue {
				config := dynamicValue(t, schemas.EphemeralResourceSchemas[contactsBlocklistedName].ValueType(),
					map[string]tftypes.Value{"page_size": tftypes.NewValue(tftypes.Number, 50)})
				resp, err := server.OpenEphemeralResource(ctx, &tfprotov6.OpenEphemeralResourceRequest{TypeName: contactsBlocklistedName, Config: config})
				if err != nil || hasErrors(resp.Diagnostics) {
					t.Fatalf("open: %v %s", err, diagnosticsText(resp.Diagnostics))
				}
				return resp.Result
			}
			// The first reader's pages: 250 rows at page_size 100 (the data
			// source's) or 50 (the ephemeral resource's), and the empty
			// page after a full last one.
			var state, result *tfprotov6.DynamicValue
			want := 3
			if ephemeralFirst {
				result, state = open(), read()
				want = 6
			} else {
				state, result = read(), open()
			}
			if got := len(sb.Requests()); got != want {
				t.Errorf("the two reads cost %d requests, want %d: the pages of the first one", got, want)
			}
			typ := schemas.DataSourceSchemas[contactsBlocklistedName].ValueType()
			a, errA := state.Unmarshal(typ)
			b, errB := result.Unmarshal(typ)
			if errA != nil || errB != nil {
				t.Fatal(errA, errB)
			}
			var attrsA, attrsB map[string]tftypes.Value
			if err := a.As(&attrsA); err != nil {
				t.Fatal(err)
			}
			if err := b.As(&attrsB); err != nil {
				t.Fatal(err)
			}
			for name := range attrsA {
				if name != "page_size" && !attrsA[name].Equal(attrsB[name]) {
					t.Errorf("%s differs between the data source and the ephemeral resource", name)
				}
			}
		})
	}
}

// ephemeralConfig is sandboxProvider(baseURL, provider) and an ephemeral
// typeName "test" with body, whose result a check block uses.
func ephemeralConfig(baseURL string, provider map[string]string, typeName, body string) string {
	return sandboxProvider(baseURL, provider) + fmt.Sprintf(`
ephemeral %[1]q "test" {
  %[2]s
}

check "read" {
  assert {
    condition     = ephemeral.%[1]s.test.total >= 0
    error_message = "Never shown: the total is never negative."
  }
}
`, typeName, body)
}

func TestEphemeralResources_invalidArgumentsFailAtPlan(t *testing.T) {
	// The data sources' validation, naming the attribute, before any
	// request.
	skipWithoutEphemeralResources(t)
	sb := startSandbox(t, testAccount(nil, nil), sandbox.Options{})
	cases := []struct {
		typeName, body string
		want           []string
	}{
		{contactsBlocklistedName, `mobiles = ["+919876543210", "12345"]`, []string{"Attribute mobiles[1] must be an E.164 number"}},
		{contactsBlocklistedName, `page_size = 101`, []string{"Attribute page_size value must be between 1 and 100"}},
		{contactsBlocklistedName, `channel = "email"`, []string{"Attribute channel", "expected one of", "in any letter case"}},
		{contactsBlocklistedName, `timeouts {
    read = "0s"
  }`, []string{"Invalid Duration", "Attribute timeouts.read", "positive Go duration"}},
		{whatsappBlockedUsersName, `phone_number = "919876543210"`, []string{"Attribute phone_number must be an E.164 number"}},
		{whatsappBlockedUsersName, `phone_number = "+919876543210"
  api_version  = "v3"`, []string{"Attribute api_version", "expected one of", "in any letter case"}},
	}
	steps := make([]resource.TestStep, len(cases))
	for i, tc := range cases {
		steps[i] = resource.TestStep{
			Config:      ephemeralConfig(sb.URL(), nil, tc.typeName, tc.body),
			PlanOnly:    true,
			ExpectError: errorLike(tc.want...),
		}
	}
	resource.UnitTest(t, resource.TestCase{ProtoV6ProviderFactories: testProviders(), Steps: steps})
	noRequestsSent(t, sb)
}

func TestEphemeralResources_failuresNameTheEphemeralResource(t *testing.T) {
	// The data sources' diagnostics, naming the ephemeral resource: an API
	// error with its hint, and the read timeout.
	skipWithoutEphemeralResources(t)
	sb := faultSandbox(t, waIDs(919800000000, 10))
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders(),
		Steps: []resource.TestStep{
			{
				PreConfig: func() { sb.AddFault(sandbox.Fault{API: "contacts", Status: 400, Code: "WA400", Times: -1}) },
				Config:    ephemeralConfig(sb.URL(), nil, contactsBlocklistedName, mobilesArg([]string{"+919800000001", "+919800000002"})),
				ExpectError: errorLike("Unable to Read Contacts Blocklist",
					"The kaleyra_contacts_blocklisted ephemeral resource could not read the blocklist status of 2 numbers on every channel.",
					"No partial list was returned", "HTTP 400 with code WA400", "Check the ephemeral resource's arguments"),
			},
			{
				PreConfig: func() {
					sb.ClearFaults()
					sb.AddFault(sandbox.Fault{API: "whatsapp", Delay: sandbox.Duration(time.Minute), Times: -1})
				},
				Config: ephemeralConfig(sb.URL(), nil, whatsappBlockedUsersName, fmt.Sprintf(`phone_number = %q
  timeouts {
    read = "2s"
  }`, faultBusiness)),
				ExpectError: errorLike("Kaleyra Read Timed Out",
					"The kaleyra_whatsapp_blocked_users ephemeral resource did not finish reading the users blocked by business number",
					"within `timeouts.read = \"2s\"`", "block on the ephemeral resource"),
			},
		},
	})
}
