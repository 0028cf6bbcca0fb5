package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/kaleyra"
)

var (
	_ datasource.DataSource              = (*whatsappBlockedUsersDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*whatsappBlockedUsersDataSource)(nil)
)

// NewWhatsappBlockedUsersDataSource returns the kaleyra_whatsapp_blocked_users data source.
func NewWhatsappBlockedUsersDataSource() datasource.DataSource {
	return &whatsappBlockedUsersDataSource{}
}

type whatsappBlockedUsersDataSource struct {
	data *providerData
}

// whatsappBlockedUsersModel is the configuration. The state, mostly large
// lists, is built as Terraform values directly: see state.go.
type whatsappBlockedUsersModel struct {
	PhoneNumber  types.String   `tfsdk:"phone_number"`
	APIVersion   types.String   `tfsdk:"api_version"`
	PageSize     types.Int64    `tfsdk:"page_size"`
	ID           types.String   `tfsdk:"id"`
	Users        lazyListValue  `tfsdk:"users"`
	WAIDs        lazyListValue  `tfsdk:"wa_ids"`
	PhoneNumbers lazyListValue  `tfsdk:"phone_numbers"`
	Total        types.Int64    `tfsdk:"total"`
	Timeouts     timeouts.Value `tfsdk:"timeouts"`
}

// blockedUserObject is the element of `users`.
var blockedUserObject = schema.NestedAttributeObject{
	Attributes: map[string]schema.Attribute{
		"wa_id": schema.StringAttribute{
			MarkdownDescription: "The user's WhatsApp ID, digits without `+`. It is usually, but not " +
				"always, the user's phone number in E.164 without the `+`.",
			Computed: true,
		},
		"phone_number": schema.StringAttribute{
			MarkdownDescription: "`wa_id` with a `+` prefix: the user's E.164 number whenever the " +
				"WhatsApp ID is the phone number, which is usual but not guaranteed.",
			Computed: true,
		},
		"messaging_product": schema.StringAttribute{
			MarkdownDescription: "The messaging product, as the API sends it: `whatsapp`.",
			Computed:            true,
		},
	},
}

func (d *whatsappBlockedUsersDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_whatsapp_blocked_users"
}

func (d *whatsappBlockedUsersDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	versions := []string{kaleyra.WhatsAppV2, kaleyra.WhatsAppV1}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads every WhatsApp user that a business number has blocked, paging through " +
			"Kaleyra's *Get List of Blocked WhatsApp User Numbers* API to the very end, and presents them as " +
			"sorted, duplicate-free lists.\n\n" +
			"Paging follows `paging.cursors.after` until a page has no data or no `after` cursor (or, where the " +
			"API sends `paging.next`, until a page has none). A short page is not taken as the end. A cursor that " +
			"comes back a second time fails the read rather than returning a shortened list, and if the API " +
			"reports that the blocklist changed while it was paged (Meta's error `139102`), the read starts " +
			fmt.Sprintf("again from the first page, at most %d times. ", kaleyra.MaxBlocklistRestarts) +
			"Meta caps one business number's blocklist at 64,000 users.\n\n" +
			"Pages are read one after another: each page's `after` cursor is only known from the page before, " +
			"so, unlike the contacts blocklist's offsets, they cannot be fetched in parallel.\n\n" +
			sharedReadsDoc +
			"The request goes to the pod's WhatsApp host (for the `SG` pod, `api.ap.kaleyra.io`), or to the " +
			"provider's `base_url`.",
		Attributes: map[string]schema.Attribute{
			"phone_number": schema.StringAttribute{
				MarkdownDescription: "The WhatsApp business number whose blocked users are read, in E.164 form: `+` " +
					"then 8 to 15 digits, the first not `0`, like `+919876543210`.",
				Required:   true,
				Validators: []validator.String{e164Validator()},
			},
			"api_version": schema.StringAttribute{
				MarkdownDescription: "The version of Kaleyra's WhatsApp API the business number is registered on: " +
					backticked(versions) + ", in any letter case. Defaults to `" + kaleyra.WhatsAppV2 + "`. A number " +
					"registered on the other version answers `WA-401`.",
				Optional:   true,
				Computed:   true,
				Validators: []validator.String{oneOfAnyCase(versions...)},
			},
			"page_size": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("How many users to ask for per request (the API's `limit`), "+
					"between %d and %d. Defaults to `%d`. It changes the number of requests, never the result.",
					kaleyra.WhatsAppMinPageSize, kaleyra.WhatsAppMaxPageSize, kaleyra.WhatsAppDefaultPageSize),
				Optional:   true,
				Computed:   true,
				Validators: []validator.Int64{int64validator.Between(kaleyra.WhatsAppMinPageSize, kaleyra.WhatsAppMaxPageSize)},
			},
			"id": schema.StringAttribute{
				MarkdownDescription: "The business number, as given in `phone_number`.",
				Computed:            true,
			},
			"users": schema.ListNestedAttribute{
				MarkdownDescription: "Every blocked user, sorted by `wa_id` ascending, without duplicates.",
				Computed:            true,
				CustomType:          newLazyListType(blockedUserObject.Type()),
				NestedObject:        blockedUserObject,
			},
			"wa_ids": schema.ListAttribute{
				MarkdownDescription: "Every blocked `wa_id`, sorted ascending, without duplicates: handy for " +
					"`for_each` (with `toset()`) and `contains()`.",
				ElementType: types.StringType,
				CustomType:  newLazyListType(types.StringType),
				Computed:    true,
			},
			"phone_numbers": schema.ListAttribute{
				MarkdownDescription: "The same users as `wa_ids`, in the same order, as E.164 numbers (`+` and the " +
					"`wa_id`). A WhatsApp ID is usually, not always, the user's phone number.",
				ElementType: types.StringType,
				CustomType:  newLazyListType(types.StringType),
				Computed:    true,
			},
			"total": schema.Int64Attribute{
				MarkdownDescription: "How many users are blocked (the length of `users`).",
				Computed:            true,
			},
		},
		Blocks: map[string]schema.Block{"timeouts": timeoutsBlock()},
	}
}

func (d *whatsappBlockedUsersDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configureData(req.ProviderData, &resp.Diagnostics)
}

func (d *whatsappBlockedUsersDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var model whatsappBlockedUsersModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &model)...)
	if resp.Diagnostics.HasError() || !requireConfigured(d.data, &resp.Diagnostics) {
		return
	}
	ctx = d.data.withSecretsMasked(ctx)

	apiVersion := kaleyra.WhatsAppV2 // as written, for the state
	if !model.APIVersion.IsNull() {
		apiVersion = model.APIVersion.ValueString()
	}
	version := strings.ToLower(apiVersion) // as sent
	pageSize := int64(kaleyra.WhatsAppDefaultPageSize)
	if !model.PageSize.IsNull() {
		pageSize = model.PageSize.ValueInt64()
	}
	phone := model.PhoneNumber.ValueString()
	failure := readFailure{
		summary:    "Unable to Read WhatsApp Blocked Users",
		dataSource: "kaleyra_whatsapp_blocked_users",
		subject:    fmt.Sprintf("the users blocked by business number %s (WhatsApp API %s)", phone, version),
		apiVersion: version,
	}
	result, shared, ok := timedSharedRead(ctx, d.data, "whatsapp:"+version+":"+phone, model.Timeouts, failure, &resp.Diagnostics,
		func(ctx context.Context) (whatsappResult, error) {
			users, stats, err := d.data.client.WhatsAppBlockedUsers(ctx, kaleyra.WhatsAppListRequest{
				PhoneNumber: phone, APIVersion: version, PageSize: int(pageSize),
			})
			return whatsappResult{users: users, stats: stats}, err
		})
	if !ok {
		return
	}
	users, stats := result.users, result.stats
	tflog.Info(ctx, "Read WhatsApp blocked users", map[string]any{
		"pages": stats.Pages, "rows": stats.Rows, "users": len(users),
		"restarts": stats.Restarts, "elapsed_ms": stats.Elapsed.Milliseconds(), "shared": shared,
	})

	timeoutsValue, err := model.Timeouts.ToTerraformValue(ctx)
	if err != nil {
		resp.Diagnostics.AddError("Unexpected Configuration Value", "Converting `timeouts` failed: "+err.Error()+". "+reportBug)
		return
	}
	resp.Diagnostics.Append(setLargeState(ctx, &resp.State, "users", func(userType tftypes.Object) stateValues {
		return whatsappState(userType, phone, apiVersion, pageSize, timeoutsValue, users)
	})...)
}

// whatsappResult is one read of a blocked-users list, shared by identical
// queries: never modified once read.
type whatsappResult struct {
	users []kaleyra.BlockedUser
	stats kaleyra.ListStats
}

// whatsappState maps a read to the state values; apiVersion is as written.
func whatsappState(userType tftypes.Object, phone, apiVersion string, pageSize int64, timeouts tftypes.Value, users []kaleyra.BlockedUser) stateValues {
	objects, ids, phones := blockedUserValues(userType, users)
	return stateValues{
		"phone_number":  tfString(phone),
		"api_version":   tfString(apiVersion),
		"page_size":     tfNumber(pageSize),
		"timeouts":      timeouts,
		"id":            tfString(phone),
		"users":         objects,
		"wa_ids":        ids,
		"phone_numbers": phones,
		"total":         tfNumber(int64(len(users))),
	}
}

// blockedUserValues maps sorted users to `users`, `wa_ids` and
// `phone_numbers`. An empty result is an empty list, not null.
func blockedUserValues(userType tftypes.Object, users []kaleyra.BlockedUser) (objects, waIDs, phones tftypes.Value) {
	objs := make([]tftypes.Value, len(users))
	ids := make([]tftypes.Value, len(users))
	nums := make([]tftypes.Value, len(users))
	for i, u := range users {
		ids[i] = tfString(u.WAID)
		nums[i] = tfString("+" + u.WAID)
		objs[i] = tftypes.NewValue(userType, map[string]tftypes.Value{
			"wa_id": ids[i], "phone_number": nums[i], "messaging_product": tfString(u.MessagingProduct),
		})
	}
	return tfList(userType, objs), tfList(tftypes.String, ids), tfList(tftypes.String, nums)
}
