package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
)

var (
	_ datasource.DataSource              = (*contactsBlocklistedDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*contactsBlocklistedDataSource)(nil)
)

// NewContactsBlocklistedDataSource returns the kaleyra_contacts_blocklisted data source.
func NewContactsBlocklistedDataSource() datasource.DataSource {
	return &contactsBlocklistedDataSource{}
}

// contactsBlocklistedDataSource reads the blocklist into state; its schema
// and read are shared with the ephemeral resource (contacts_blocklisted.go).
type contactsBlocklistedDataSource struct {
	data *providerData
}

func (d *contactsBlocklistedDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_contacts_blocklisted"
}

func (d *contactsBlocklistedDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = contactsBlocklistedSchema()
}

func (d *contactsBlocklistedDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configureData(req.ProviderData, dataSourceKind, &resp.Diagnostics)
}

func (d *contactsBlocklistedDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var model contactsBlocklistedModel[timeouts.Value]
	resp.Diagnostics.Append(req.Config.Get(ctx, &model)...)
	if resp.Diagnostics.HasError() || !requireConfigured(d.data, dataSourceKind, &resp.Diagnostics) {
		return
	}
	values, ok := readContactsBlocklisted(ctx, d.data, dataSourceKind, model, &resp.Diagnostics)
	if ok {
		resp.Diagnostics.Append(setLargeState(ctx, &resp.State, "contacts", values)...)
	}
}
