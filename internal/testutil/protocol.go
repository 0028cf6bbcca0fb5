package testutil

import (
	"context"
	"fmt"
	"math/big"
	"strings"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// Configure configures server with the provider block attrs (every other
// attribute null), as Terraform does, and returns its schemas.
func Configure(ctx context.Context, server tfprotov6.ProviderServer, attrs map[string]tftypes.Value) (*tfprotov6.GetProviderSchemaResponse, error) {
	schemas, err := server.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		return nil, err
	}
	if err := DiagnosticsError(schemas.Diagnostics); err != nil {
		return nil, err
	}
	config, err := DynamicValue(schemas.Provider.ValueType(), attrs)
	if err != nil {
		return nil, err
	}
	resp, err := server.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{TerraformVersion: "1.11.4", Config: config})
	if err != nil {
		return nil, err
	}
	if err := DiagnosticsError(resp.Diagnostics); err != nil {
		return nil, fmt.Errorf("configuring the provider: %w", err)
	}
	return schemas, nil
}

// DynamicValue encodes an object of typ with attrs set and every other
// attribute null.
func DynamicValue(typ tftypes.Type, attrs map[string]tftypes.Value) (*tfprotov6.DynamicValue, error) {
	obj, ok := typ.(tftypes.Object)
	if !ok {
		return nil, fmt.Errorf("schema type %s is not an object", typ)
	}
	vals := make(map[string]tftypes.Value, len(obj.AttributeTypes))
	for name, t := range obj.AttributeTypes {
		vals[name] = tftypes.NewValue(t, nil)
	}
	for name, v := range attrs {
		if _, ok := obj.AttributeTypes[name]; !ok {
			return nil, fmt.Errorf("the schema has no attribute %q", name)
		}
		vals[name] = v
	}
	dv, err := tfprotov6.NewDynamicValue(obj, tftypes.NewValue(obj, vals))
	if err != nil {
		return nil, err
	}
	return &dv, nil
}

// DataSourceConfig encodes the configuration of data source typeName:
// attrs, and null for every other attribute.
func DataSourceConfig(schemas *tfprotov6.GetProviderSchemaResponse, typeName string, attrs map[string]tftypes.Value) (*tfprotov6.DynamicValue, error) {
	s, ok := schemas.DataSourceSchemas[typeName]
	if !ok {
		return nil, fmt.Errorf("no data source %q", typeName)
	}
	return DynamicValue(s.ValueType(), attrs)
}

// ReadDataSource reads data source typeName with attrs from a configured
// server. It returns the response (diagnostics included) as it came.
func ReadDataSource(ctx context.Context, server tfprotov6.ProviderServer, schemas *tfprotov6.GetProviderSchemaResponse, typeName string, attrs map[string]tftypes.Value) (*tfprotov6.ReadDataSourceResponse, error) {
	config, err := DataSourceConfig(schemas, typeName, attrs)
	if err != nil {
		return nil, err
	}
	return server.ReadDataSource(ctx, &tfprotov6.ReadDataSourceRequest{TypeName: typeName, Config: config})
}

// StateAttributes decodes a data source's state; a missing or null state
// gives every attribute null.
func StateAttributes(schemas *tfprotov6.GetProviderSchemaResponse, typeName string, state *tfprotov6.DynamicValue) (map[string]tftypes.Value, error) {
	typ, ok := schemas.DataSourceSchemas[typeName].ValueType().(tftypes.Object)
	if !ok {
		return nil, fmt.Errorf("%s has no object schema", typeName)
	}
	nulls := func() map[string]tftypes.Value {
		m := make(map[string]tftypes.Value, len(typ.AttributeTypes))
		for name, t := range typ.AttributeTypes {
			m[name] = tftypes.NewValue(t, nil)
		}
		return m
	}
	if state == nil {
		return nulls(), nil
	}
	v, err := state.Unmarshal(typ)
	if err != nil {
		return nil, err
	}
	if v.IsNull() {
		return nulls(), nil
	}
	var attrs map[string]tftypes.Value
	if err := v.As(&attrs); err != nil {
		return nil, err
	}
	return attrs, nil
}

// Int64 reads a known number value.
func Int64(v tftypes.Value) (int64, error) {
	var f big.Float
	if err := v.As(&f); err != nil {
		return 0, err
	}
	n, _ := f.Int64()
	return n, nil
}

// DiagnosticsText renders diagnostics as "SEVERITY: summary: detail" lines.
func DiagnosticsText(diags []*tfprotov6.Diagnostic) string {
	var b strings.Builder
	for _, d := range diags {
		fmt.Fprintf(&b, "%s: %s: %s\n", d.Severity, d.Summary, d.Detail)
	}
	return b.String()
}

// DiagnosticsError is the first error diagnostic as an error, or nil.
func DiagnosticsError(diags []*tfprotov6.Diagnostic) error {
	for _, d := range diags {
		if d.Severity == tfprotov6.DiagnosticSeverityError {
			return fmt.Errorf("%s: %s", d.Summary, d.Detail)
		}
	}
	return nil
}
