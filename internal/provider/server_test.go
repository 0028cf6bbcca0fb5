package provider

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	dstimeouts "github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	eptimeouts "github.com/hashicorp/terraform-plugin-framework-timeouts/ephemeral/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	dsschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	epschema "github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/sandbox"
	"github.com/kaleyra/terraform-provider-kaleyra/internal/testutil"
)

// The large-state path (server.go; DESIGN.md, "Workarounds") skips the
// framework's post-read passes. These tests hold it to the invariants that
// make skipping them safe, so that a framework upgrade that changes what
// the passes do fails here, loudly, instead of being skipped silently.

// largeStateCase is one read, by the data source or the ephemeral
// resource of typeName, with these arguments.
type largeStateCase struct {
	name     string
	typeName string
	attrs    map[string]tftypes.Value
}

func largeStateCases() []largeStateCase {
	str := func(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }
	return []largeStateCase{
		{"contacts whole list, channel null", contactsBlocklistedName, nil},
		{"contacts lookup of one number", contactsBlocklistedName, mobilesAttrs([]string{"+919800000003"})},
		{"contacts lookup of many, one channel", contactsBlocklistedName, mergeAttrs(mobilesAttrs(numbersFrom("+9198", 150)), map[string]tftypes.Value{
			"channel": str("SMS"),
		})},
		{"contacts empty mobiles", contactsBlocklistedName, mobilesAttrs([]string{})},
		{"whatsapp v2", whatsappBlockedUsersName, whatsappAttrs(faultBusiness)},
		{"whatsapp v1", whatsappBlockedUsersName, mergeAttrs(whatsappAttrs("+919800022222"), map[string]tftypes.Value{
			"api_version": str("V1"), "page_size": tftypes.NewValue(tftypes.Number, 3),
		})},
	}
}

func mergeAttrs(a, b map[string]tftypes.Value) map[string]tftypes.Value {
	out := make(map[string]tftypes.Value, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// largeStateSandbox serves rows on every channel (so a whole-list read
// has null `channel`s) and business numbers on both API versions.
func largeStateSandbox(t *testing.T) *sandbox.Server {
	t.Helper()
	var rows []sandbox.BlocklistEntry
	for i, n := range numbersFrom("+9198", 240) {
		rows = append(rows, sandbox.BlocklistEntry{Mobile: n, Channel: []string{"sms", "voice", "whatsapp"}[i%3]})
	}
	return startSandbox(t, testAccount([]sandbox.WhatsAppNumber{
		{PhoneNumber: faultBusiness, APIVersion: "v2", Blocked: waIDs(919800000000, 230)},
		{PhoneNumber: "+919800022222", APIVersion: "v1", Blocked: waIDs(919700000000, 7)},
	}, rows), sandbox.Options{})
}

// withTimeouts sets the timeouts block of typ's schema to read = "5m".
func withTimeouts(t *testing.T, typ tftypes.Type, attrs map[string]tftypes.Value) map[string]tftypes.Value {
	t.Helper()
	obj, ok := typ.(tftypes.Object)
	if !ok {
		t.Fatalf("%s is not an object", typ)
	}
	return mergeAttrs(attrs, map[string]tftypes.Value{
		"timeouts": tftypes.NewValue(obj.AttributeTypes["timeouts"], map[string]tftypes.Value{"read": tftypes.NewValue(tftypes.String, "5m")}),
	})
}

// readBoth reads c through server as a data source and opens it as an
// ephemeral resource, and returns the encoded state and result.
func readBoth(t *testing.T, server tfprotov6.ProviderServer, schemas *tfprotov6.GetProviderSchemaResponse, c largeStateCase) (state, result *tfprotov6.DynamicValue) {
	t.Helper()
	ctx := context.Background()
	dsType := schemas.DataSourceSchemas[c.typeName].ValueType()
	read, err := server.ReadDataSource(ctx, &tfprotov6.ReadDataSourceRequest{
		TypeName: c.typeName, Config: dynamicValue(t, dsType, withTimeouts(t, dsType, c.attrs)),
	})
	if err != nil || hasErrors(read.Diagnostics) || read.State == nil {
		t.Fatalf("read: %v %s", err, diagnosticsText(read.Diagnostics))
	}
	epType := schemas.EphemeralResourceSchemas[c.typeName].ValueType()
	open, err := server.OpenEphemeralResource(ctx, &tfprotov6.OpenEphemeralResourceRequest{
		TypeName: c.typeName, Config: dynamicValue(t, epType, withTimeouts(t, epType, c.attrs)),
	})
	if err != nil || hasErrors(open.Diagnostics) || open.Result == nil {
		t.Fatalf("open: %v %s", err, diagnosticsText(open.Diagnostics))
	}
	return read.State, open.Result
}

func TestLargeStatePath_sameBytesAsTheFramework(t *testing.T) {
	// Each read through the plain framework server (every post-read pass
	// run) and through ProtocolServer (the passes skipped) encodes the
	// same state, and the same ephemeral result, byte for byte. The one
	// exception is a map of several keys (`blocked`): tftypes encodes map
	// keys in Go's random map order, on both paths, so such a value is
	// compared decoded.
	sb := largeStateSandbox(t)
	provider := providerAttrs(sb.URL(), nil)
	framework, err := providerserver.NewProtocol6WithError(New("test")())()
	if err != nil {
		t.Fatal(err)
	}
	frameworkSchemas, err := testutil.Configure(context.Background(), framework, provider)
	if err != nil {
		t.Fatal(err)
	}
	wrapped, wrappedSchemas := configuredServer(t, provider)
	for _, c := range largeStateCases() {
		t.Run(c.name, func(t *testing.T) {
			wantState, wantResult := readBoth(t, framework, frameworkSchemas, c)
			gotState, gotResult := readBoth(t, wrapped, wrappedSchemas, c)
			typ := wrappedSchemas.DataSourceSchemas[c.typeName].ValueType()
			sameEncoding(t, "state", typ, wantState, gotState)
			sameEncoding(t, "ephemeral result", typ, wantResult, gotResult)
		})
	}
}

// sameEncoding compares two encodings of a value of typ: byte for byte,
// or decoded when the value holds a map of several keys.
func sameEncoding(t *testing.T, what string, typ tftypes.Type, want, got *tfprotov6.DynamicValue) {
	t.Helper()
	if len(want.MsgPack) == 0 || len(got.MsgPack) == 0 {
		t.Fatalf("%s: empty encoding (framework %d bytes, ProtocolServer %d bytes)", what, len(want.MsgPack), len(got.MsgPack))
	}
	wantValue, err1 := want.Unmarshal(typ)
	gotValue, err2 := got.Unmarshal(typ)
	if err1 != nil || err2 != nil {
		t.Fatalf("%s: decoding: %v, %v", what, err1, err2)
	}
	if !wantValue.Equal(gotValue) {
		diffs, _ := wantValue.Diff(gotValue)
		t.Fatalf("%s: ProtocolServer's value differs from the framework's: %v", what, diffs)
	}
	if bytes.Equal(want.MsgPack, got.MsgPack) {
		return
	}
	if !holdsMapOfSeveralKeys(gotValue) {
		t.Errorf("%s: the same value, encoded differently (%d bytes, %d bytes), with no map to explain it", what, len(want.MsgPack), len(got.MsgPack))
	}
}

func holdsMapOfSeveralKeys(v tftypes.Value) bool {
	found := false
	_ = tftypes.Walk(v, func(_ *tftypes.AttributePath, v tftypes.Value) (bool, error) {
		if _, ok := v.Type().(tftypes.Map); ok && v.IsKnown() && !v.IsNull() {
			var m map[string]tftypes.Value
			if v.As(&m) == nil && len(m) > 1 {
				found = true
			}
		}
		return !found, nil
	})
	return found
}

func TestLargeStatePath_frameworkPassesTheCarrierAndTakesANullState(t *testing.T) {
	// What the path relies on in the framework itself: the context of the
	// RPC reaches the data source's Read and the ephemeral resource's Open
	// (so the carrier is filled), and a null state or result after them is
	// encoded without a complaint.
	sb := largeStateSandbox(t)
	wrapped, schemas := configuredServer(t, providerAttrs(sb.URL(), nil))
	inner := wrapped.(protocolServer).frameworkServer //nolint:forcetypeassert // ProtocolServer makes a protocolServer
	ctx := context.Background()
	for _, c := range largeStateCases() {
		t.Run(c.name, func(t *testing.T) {
			dsCarrier, epCarrier := &carrier{}, &carrier{}
			read, err := inner.ReadDataSource(context.WithValue(ctx, carrierKey{}, dsCarrier), &tfprotov6.ReadDataSourceRequest{
				TypeName: c.typeName, Config: dataSourceConfig(t, schemas, c.typeName, c.attrs),
			})
			if err != nil || hasErrors(read.Diagnostics) {
				t.Fatalf("read: %v %s", err, diagnosticsText(read.Diagnostics))
			}
			open, err := inner.OpenEphemeralResource(context.WithValue(ctx, carrierKey{}, epCarrier), &tfprotov6.OpenEphemeralResourceRequest{
				TypeName: c.typeName, Config: dynamicValue(t, schemas.EphemeralResourceSchemas[c.typeName].ValueType(), c.attrs),
			})
			if err != nil || hasErrors(open.Diagnostics) {
				t.Fatalf("open: %v %s", err, diagnosticsText(open.Diagnostics))
			}
			if !dsCarrier.set || !epCarrier.set {
				t.Fatalf("the carrier was not filled (read %v, open %v): the framework no longer passes the RPC's context "+
					"to Read or Open, and the large-state path is lost (make alloc-guard would show it)", dsCarrier.set, epCarrier.set)
			}
			typ := schemas.DataSourceSchemas[c.typeName].ValueType()
			for what, dv := range map[string]*tfprotov6.DynamicValue{"state": read.State, "result": open.Result} {
				v, err := dv.Unmarshal(typ)
				if err != nil || !v.IsNull() {
					t.Errorf("the framework's %s after a carried read: %v (error %v), want null", what, v, err)
				}
			}
		})
	}
}

// customTypes are the custom attribute types the large-state path has been
// checked with: none of them has semantic equality, and lazyListValue's
// Equal (which the framework's post-read pass calls) is exact.
var customTypes = map[string]bool{
	fmt.Sprintf("%T", lazyListType{}):    true,
	fmt.Sprintf("%T", dstimeouts.Type{}): true,
	fmt.Sprintf("%T", eptimeouts.Type{}): true,
}

func TestLargeStatePath_schemasHaveNothingThePassesWouldChange(t *testing.T) {
	// The framework's post-read passes change a state only through list or
	// set blocks (null ones become empty), dynamic values, and types with
	// semantic equality. The schemas must have none of them, or the path
	// would skip a change the framework makes. This fails, saying which,
	// when a schema gains one.
	ctx := context.Background()
	for name, k := range readKinds(t) {
		var ds datasource.SchemaResponse
		k.dataSource.Schema(ctx, datasource.SchemaRequest{}, &ds)
		var ep ephemeral.SchemaResponse
		k.ephemeral.Schema(ctx, ephemeral.SchemaRequest{}, &ep)
		for attribute, a := range ds.Schema.Attributes {
			checkLargeStateAttribute(t, "data source "+name+"."+attribute, a)
		}
		for attribute, a := range ep.Schema.Attributes {
			checkLargeStateAttribute(t, "ephemeral resource "+name+"."+attribute, a)
		}
		for block, b := range ds.Schema.Blocks {
			if _, ok := b.(dsschema.SingleNestedBlock); !ok {
				t.Errorf("data source %s.%s is a %T: the framework reifies null list and set blocks after a read, which "+
					"the large-state path skips (server.go; DESIGN.md, Workarounds)", name, block, b)
			}
			checkLargeStateType(t, "data source "+name+"."+block, b.Type())
		}
		for block, b := range ep.Schema.Blocks {
			if _, ok := b.(epschema.SingleNestedBlock); !ok {
				t.Errorf("ephemeral resource %s.%s is a %T: the framework reifies null list and set blocks, which the "+
					"large-state path skips (server.go; DESIGN.md, Workarounds)", name, block, b)
			}
			checkLargeStateType(t, "ephemeral resource "+name+"."+block, b.Type())
		}
	}
}

func checkLargeStateAttribute(t *testing.T, path string, a interface{ GetType() attr.Type }) {
	t.Helper()
	switch a.(type) {
	case dsschema.DynamicAttribute, epschema.DynamicAttribute:
		t.Errorf("%s is a dynamic attribute: the framework's post-read passes may change dynamic values, which the "+
			"large-state path skips (server.go; DESIGN.md, Workarounds)", path)
	}
	checkLargeStateType(t, path, a.GetType())
}

// semanticEquality lists the framework's semantic-equality interfaces, by
// the kind of value they are for.
var semanticEquality = map[string]func(attr.Value) bool{
	"bool":    func(v attr.Value) bool { _, ok := v.(basetypes.BoolValuableWithSemanticEquals); return ok },
	"float32": func(v attr.Value) bool { _, ok := v.(basetypes.Float32ValuableWithSemanticEquals); return ok },
	"float64": func(v attr.Value) bool { _, ok := v.(basetypes.Float64ValuableWithSemanticEquals); return ok },
	"int32":   func(v attr.Value) bool { _, ok := v.(basetypes.Int32ValuableWithSemanticEquals); return ok },
	"int64":   func(v attr.Value) bool { _, ok := v.(basetypes.Int64ValuableWithSemanticEquals); return ok },
	"number":  func(v attr.Value) bool { _, ok := v.(basetypes.NumberValuableWithSemanticEquals); return ok },
	"string":  func(v attr.Value) bool { _, ok := v.(basetypes.StringValuableWithSemanticEquals); return ok },
	"list":    func(v attr.Value) bool { _, ok := v.(basetypes.ListValuableWithSemanticEquals); return ok },
	"map":     func(v attr.Value) bool { _, ok := v.(basetypes.MapValuableWithSemanticEquals); return ok },
	"set":     func(v attr.Value) bool { _, ok := v.(basetypes.SetValuableWithSemanticEquals); return ok },
	"object":  func(v attr.Value) bool { _, ok := v.(basetypes.ObjectValuableWithSemanticEquals); return ok },
	"dynamic": func(v attr.Value) bool { _, ok := v.(basetypes.DynamicValuableWithSemanticEquals); return ok },
}

// checkLargeStateType checks a type and every type inside it: no dynamic
// type, no semantic equality, and custom types only of those checked.
func checkLargeStateType(t *testing.T, path string, typ attr.Type) {
	t.Helper()
	ctx := context.Background()
	if typ.TerraformType(ctx).Equal(tftypes.DynamicPseudoType) {
		t.Errorf("%s has a dynamic type: the framework's post-read passes may change dynamic values, which the "+
			"large-state path skips (server.go; DESIGN.md, Workarounds)", path)
	}
	value := typ.ValueType(ctx)
	for kind, has := range semanticEquality {
		if has(value) {
			t.Errorf("%s is of %s, whose values have %s semantic equality: the framework may rewrite them after a read, "+
				"which the large-state path skips (server.go; DESIGN.md, Workarounds)", path, typ, kind)
		}
	}
	switch typed := typ.(type) {
	case basetypes.StringType, basetypes.Int64Type, basetypes.BoolType, basetypes.NumberType:
	case basetypes.ListType:
		checkLargeStateType(t, path+"[]", typed.ElemType)
	case basetypes.MapType:
		checkLargeStateType(t, path+"{}", typed.ElemType)
	case basetypes.ObjectType:
		for name, at := range typed.AttrTypes {
			checkLargeStateType(t, path+"."+name, at)
		}
	default:
		if !customTypes[fmt.Sprintf("%T", typ)] {
			t.Errorf("%s is of the custom type %T, which the large-state path has not been checked with: check that "+
				"the framework's post-read passes leave its values as they are, then add it to customTypes", path, typ)
		}
		if elem, ok := typ.(interface{ ElementType() attr.Type }); ok {
			checkLargeStateType(t, path+"[]", elem.ElementType())
		}
		if obj, ok := typ.(interface{ AttributeTypes() map[string]attr.Type }); ok {
			for name, at := range obj.AttributeTypes() {
				checkLargeStateType(t, path+"."+name, at)
			}
		}
	}
}

func TestLargeStatePath_wrapperKeepsTheFrameworksInterfaces(t *testing.T) {
	// ProtocolServer's wrapper must not hide what the framework's server
	// implements: each of terraform-plugin-go's optional server interfaces
	// (its ProviderServerWith* interfaces, read from its source so that a
	// new one is not missed) holds for the wrapper exactly when it holds
	// for the framework's server.
	interfaces := map[string]func(tfprotov6.ProviderServer) bool{
		"ProviderServerWithListResource": func(s tfprotov6.ProviderServer) bool {
			_, ok := s.(tfprotov6.ProviderServerWithListResource) //nolint:staticcheck // what is checked is this very interface
			return ok
		},
		"ProviderServerWithActions": func(s tfprotov6.ProviderServer) bool {
			_, ok := s.(tfprotov6.ProviderServerWithActions) //nolint:staticcheck // idem
			return ok
		},
		"ProviderServerWithStateStores": func(s tfprotov6.ProviderServer) bool {
			_, ok := s.(tfprotov6.ProviderServerWithStateStores) //nolint:staticcheck // idem
			return ok
		},
	}
	if declared := optionalServerInterfaces(t); !slices.Equal(declared, slices.Sorted(maps.Keys(interfaces))) {
		t.Fatalf("terraform-plugin-go declares the optional server interfaces %v; this test checks %v: add the new ones "+
			"here and to frameworkServer in server.go", declared, slices.Sorted(maps.Keys(interfaces)))
	}
	framework, err := providerserver.NewProtocol6WithError(New("test")())()
	if err != nil {
		t.Fatal(err)
	}
	wrapped, err := ProtocolServer(New("test")())()
	if err != nil {
		t.Fatal(err)
	}
	held := 0
	for name, implements := range interfaces {
		if implements(framework) != implements(wrapped) {
			t.Errorf("%s: the framework's server %v, ProtocolServer's %v", name, implements(framework), implements(wrapped))
		}
		if implements(framework) {
			held++
		}
	}
	if held == 0 {
		t.Error("the framework's server implements none of the optional interfaces; the test proves nothing")
	}
}

// optionalServerInterfaces lists the ProviderServerWith* interfaces of the
// terraform-plugin-go this module builds with, from its source.
func optionalServerInterfaces(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/hashicorp/terraform-plugin-go").Output()
	if err != nil {
		t.Fatalf("go list -m github.com/hashicorp/terraform-plugin-go: %v", err)
	}
	files, err := filepath.Glob(filepath.Join(strings.TrimSpace(string(out)), "tfprotov6", "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("terraform-plugin-go's tfprotov6 sources: %v (%d files)", err, len(files))
	}
	declaration := regexp.MustCompile(`(?m)^type (ProviderServerWith\w+) interface`)
	var names []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range declaration.FindAllSubmatch(data, -1) {
			names = append(names, string(m[1]))
		}
	}
	slices.Sort(names)
	return names
}
