package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
)

var (
	_ datasource.DataSource              = (*whatsappBlockedUsersDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*whatsappBlockedUsersDataSource)(nil)
)

// NewWhatsappBlockedUsersDataSource returns the kaleyra_whatsapp_blocked_users data source.
func NewWhatsappBlockedUsersDataSource() datasource.DataSource {
	return &whatsappBlockedUsersDataSource{}
}

// whatsappBlockedUsersDataSource reads the blocked users into state; its
// schema and read are shared with the ephemeral resource
// (whatsapp_blocked_users.go).
type whatsappBlockedUsersDataSource struct {
	data *providerData
}

func (d *whatsappBlockedUsersDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_whatsapp_blocked_users"
}

func (d *whatsappBlockedUsersDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = whatsappBlockedUsersSchema()
}

func (d *whatsappBlockedUsersDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configureData(req.ProviderData, dataSourceKind, &resp.Diagnostics)
}

func (d *whatsappBlockedUsersDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var model whatsappBlockedUsersModel[timeouts.Value]
	resp.Diagnostics.Append(req.Config.Get(ctx, &model)...)
	if resp.Diagnostics.HasError() || !requireConfigured(d.data, dataSourceKind, &resp.Diagnostics) {
		return
	}
	values, ok := readWhatsAppBlockedUsers(ctx, d.data, dataSourceKind, model, &resp.Diagnostics)
	if ok {
		resp.Diagnostics.Append(setLargeState(ctx, &resp.State, "users", values)...)
	}
}
