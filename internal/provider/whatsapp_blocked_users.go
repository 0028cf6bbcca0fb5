package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/kaleyra"
)

// kaleyra_whatsapp_blocked_users is a data source and an ephemeral
// resource (whatsapp_blocked_users_data_source.go,
// whatsapp_blocked_users_ephemeral_resource.go). This file holds what they
// share: the configuration model, the schema (the ephemeral resource's is
// built from the data source's) and the read.

// whatsappBlockedUsersModel is the configuration, of the data source (T is
// the timeouts module's datasource Value) or of the ephemeral resource (its
// ephemeral Value). The result, mostly large lists, is built as Terraform
// values directly: see state.go.
type whatsappBlockedUsersModel[T timeoutsValue] struct {
	PhoneNumber  types.String  `tfsdk:"phone_number"`
	APIVersion   types.String  `tfsdk:"api_version"`
	PageSize     types.Int64   `tfsdk:"page_size"`
	ID           types.String  `tfsdk:"id"`
	Users        lazyListValue `tfsdk:"users"`
	WAIDs        lazyListValue `tfsdk:"wa_ids"`
	PhoneNumbers lazyListValue `tfsdk:"phone_numbers"`
	Total        types.Int64   `tfsdk:"total"`
	Timeouts     T             `tfsdk:"timeouts"`
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

const whatsappBlockedUsersName = "kaleyra_whatsapp_blocked_users"

// whatsappBlockedUsersAbout is what both kinds' descriptions say of the
// read, after their own first paragraph.
var whatsappBlockedUsersAbout = "Paging follows `paging.cursors.after` until a page has no data or no `after` cursor (or, where the " +
	"API sends `paging.next`, until a page has none). A short page is not taken as the end. A cursor that " +
	"comes back a second time fails the read rather than returning a shortened list, and if the API " +
	"reports that the blocklist changed while it was paged (Meta's error `139102`), the read starts " +
	fmt.Sprintf("again from the first page, at most %d times. ", kaleyra.MaxBlocklistRestarts) +
	"Meta caps one business number's blocklist at 64,000 users.\n\n" +
	"Pages are read one after another: each page's `after` cursor is only known from the page before, " +
	"so, unlike the contacts blocklist's offsets, they cannot be fetched in parallel.\n\n" +
	sharedReadsDoc +
	"The request goes to the pod's WhatsApp host (for the `SG` pod, `api.ap.kaleyra.io`), or to the " +
	"provider's `base_url`."

// whatsappBlockedUsersSchema is the data source's schema; the ephemeral
// resource's is built from it (ephemeralSchema).
func whatsappBlockedUsersSchema() schema.Schema {
	versions := []string{kaleyra.WhatsAppV2, kaleyra.WhatsAppV1}
	return schema.Schema{
		MarkdownDescription: "Reads every WhatsApp user that a business number has blocked, paging through " +
			"Kaleyra's *Get List of Blocked WhatsApp User Numbers* API to the very end, and presents them as " +
			"sorted, duplicate-free lists.\n\n" + whatsappBlockedUsersAbout,
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

// readWhatsAppBlockedUsers is the read of the data source and the
// ephemeral resource alike: it reads what model asks for (or takes an
// identical read's result) and returns the values of the state or result.
// ok is false when the read failed, with its one diagnostic in diags.
func readWhatsAppBlockedUsers[T timeoutsValue](ctx context.Context, data *providerData, kind readKind, model whatsappBlockedUsersModel[T],
	diags *diag.Diagnostics,
) (values func(userType tftypes.Object) stateValues, ok bool) {
	ctx = data.withSecretsMasked(ctx)
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
		typeName:   whatsappBlockedUsersName,
		kind:       kind,
		subject:    fmt.Sprintf("the users blocked by business number %s (WhatsApp API %s)", phone, version),
		apiVersion: version,
	}
	result, shared, ok := timedSharedRead(ctx, data, "whatsapp:"+version+":"+phone, model.Timeouts, failure, diags,
		func(ctx context.Context) (whatsappResult, error) {
			users, stats, err := data.client.WhatsAppBlockedUsers(ctx, kaleyra.WhatsAppListRequest{
				PhoneNumber: phone, APIVersion: version, PageSize: int(pageSize),
			})
			return whatsappResult{users: users, stats: stats}, err
		})
	if !ok {
		return nil, false
	}
	users, stats := result.users, result.stats
	tflog.Info(ctx, "Read WhatsApp blocked users", map[string]any{
		"kind": string(kind), "pages": stats.Pages, "rows": stats.Rows, "users": len(users),
		"restarts": stats.Restarts, "elapsed_ms": stats.Elapsed.Milliseconds(), "shared": shared,
	})

	timeoutsValue, err := model.Timeouts.ToTerraformValue(ctx)
	if err != nil {
		diags.AddError("Unexpected Configuration Value", "Converting `timeouts` failed: "+err.Error()+". "+reportBug)
		return nil, false
	}
	return func(userType tftypes.Object) stateValues {
		return whatsappState(userType, phone, apiVersion, pageSize, timeoutsValue, users)
	}, true
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
