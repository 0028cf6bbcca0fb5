package provider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/kaleyra"
)

// kaleyra_contacts_blocklisted is a data source and an ephemeral resource
// (contacts_blocklisted_data_source.go,
// contacts_blocklisted_ephemeral_resource.go). This file holds what they
// share: the configuration model, the schema (the ephemeral resource's is
// built from the data source's) and the read.

// contactsBlocklistedModel is the configuration, of the data source (T is
// the timeouts module's datasource Value) or of the ephemeral resource (its
// ephemeral Value). The result, mostly large lists, is built as Terraform
// values directly: see state.go.
type contactsBlocklistedModel[T timeoutsValue] struct {
	Channel            types.String  `tfsdk:"channel"`
	Mobiles            types.List    `tfsdk:"mobiles"`
	PageSize           types.Int64   `tfsdk:"page_size"`
	ID                 types.String  `tfsdk:"id"`
	Contacts           lazyListValue `tfsdk:"contacts"`
	BlocklistedMobiles lazyListValue `tfsdk:"blocklisted_mobiles"`
	Blocked            types.Map     `tfsdk:"blocked"`
	Total              types.Int64   `tfsdk:"total"`
	Timeouts           T             `tfsdk:"timeouts"`
}

// blocklistedContactObject is the element of `contacts`.
var blocklistedContactObject = schema.NestedAttributeObject{
	Attributes: map[string]schema.Attribute{
		"mobile": schema.StringAttribute{
			MarkdownDescription: "The blocklisted number, as the API sends it.",
			Computed:            true,
		},
		"channel_type": schema.StringAttribute{
			MarkdownDescription: "The channel type code exactly as the API sends it, such as `3`.",
			Computed:            true,
		},
		"channel": schema.StringAttribute{
			MarkdownDescription: "The channel's name when it is certain: the `channel` filter of the " +
				"query, or a code Kaleyra documents (`3` is `whatsapp`). Otherwise null: other codes " +
				"are not documented, so they are not guessed.",
			Computed: true,
		},
	},
}

const contactsBlocklistedName = "kaleyra_contacts_blocklisted"

// contactsBlocklistedAbout is what both kinds' descriptions say of the
// read, after their own first paragraph.
var contactsBlocklistedAbout = "Each list pages with `limit` and `offset`: the offset advances by the rows received and a page " +
	"shorter than `page_size` is the last. Offsets are independent requests, so after a full first page " +
	"the following pages are read in parallel, up to the provider's `max_parallel_requests` in flight, " +
	"ahead of the first short page (at most that many requests go past the end, and their answers are " +
	"ignored); the result is exactly what reading one page after another gives. A full page with " +
	"exactly the rows of an earlier full page (an API, or a proxy or gateway, that drops `offset`) fails " +
	"the read after a few requests instead of reading the first page forever. The API takes at most " +
	fmt.Sprint(kaleyra.MaxMobilesPerRequest) + " numbers per request, so `mobiles` is de-duplicated and split " +
	"into batches of at most that many, each paged to its end and read in parallel (up to the provider's " +
	"`max_parallel_requests`, pages and batches together). The rows are merged, de-duplicated by " +
	"(`mobile`, `channel_type`) and sorted. If any request fails, the read fails, and no further batch is " +
	"started: no partial list is ever returned.\n\n" +
	sharedReadsDoc +
	"The request goes to the pod's Contacts host (for the `SG` pod, `api.kaleyra.io`, unlike the " +
	"WhatsApp API), or to the provider's `base_url`."

// contactsBlocklistedSchema is the data source's schema; the ephemeral
// resource's is built from it (ephemeralSchema).
func contactsBlocklistedSchema() schema.Schema {
	return schema.Schema{
		MarkdownDescription: "Reads Kaleyra's contacts blocklist: the whole list, or whether any number of given " +
			"numbers are blocklisted, on one channel or all of them, through the *Get Blocklist* API.\n\n" +
			contactsBlocklistedAbout,
		Attributes: map[string]schema.Attribute{
			"channel": schema.StringAttribute{
				MarkdownDescription: "Only the blocklist of this channel: " + backticked(kaleyra.Channels()) +
					", in any letter case (it is sent lowercase, as the API takes it). Unset, every channel is read.",
				Optional:   true,
				Validators: []validator.String{oneOfAnyCase(kaleyra.Channels()...)},
			},
			"mobiles": schema.ListAttribute{
				MarkdownDescription: "The numbers to check, in E.164 form (`+` then 8 to 15 digits, the first not `0`, like " +
					"`+919876543210`), any count. Duplicates are accepted and looked up once. Unset, the whole " +
					"blocklist is read; an empty list looks nothing up.",
				ElementType: types.StringType,
				Optional:    true,
				Validators: []validator.List{
					listvalidator.ValueStringsAre(notNullElement{}, e164Validator()),
				},
			},
			"page_size": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("How many rows to ask for per request (the API's `limit`), "+
					"between %d and %d. Defaults to `%d`. It changes the number of requests, never the result.",
					kaleyra.ContactsMinPageSize, kaleyra.ContactsMaxPageSize, kaleyra.ContactsDefaultPageSize),
				Optional:   true,
				Computed:   true,
				Validators: []validator.Int64{int64validator.Between(kaleyra.ContactsMinPageSize, kaleyra.ContactsMaxPageSize)},
			},
			"id": schema.StringAttribute{
				MarkdownDescription: "A stable digest (SHA-256, hex) of the query: the channel and the sorted, " +
					"unique numbers. The same query always has the same `id`, whatever `page_size` and order.",
				Computed: true,
			},
			"contacts": schema.ListNestedAttribute{
				MarkdownDescription: "Every blocklisted row, sorted by `mobile` then `channel_type`, unique by the pair. " +
					"A number blocklisted on several channels has one row per channel.",
				Computed:     true,
				CustomType:   newLazyListType(blocklistedContactObject.Type()),
				NestedObject: blocklistedContactObject,
			},
			"blocklisted_mobiles": schema.ListAttribute{
				MarkdownDescription: "Every blocklisted number, sorted ascending, each once.",
				ElementType:         types.StringType,
				CustomType:          newLazyListType(types.StringType),
				Computed:            true,
			},
			"blocked": schema.MapAttribute{
				MarkdownDescription: "Only with `mobiles`: each queried number mapped to whether it is " +
					"blocklisted on the selected channel (or on any channel when `channel` is unset). Null when " +
					"`mobiles` is unset.",
				ElementType: types.BoolType,
				Computed:    true,
			},
			"total": schema.Int64Attribute{
				MarkdownDescription: "The number of `contacts` rows.",
				Computed:            true,
			},
		},
		Blocks: map[string]schema.Block{"timeouts": timeoutsBlock()},
	}
}

// readContactsBlocklisted is the read of the data source and the
// ephemeral resource alike: it reads what model asks for (or takes an
// identical read's result) and returns the values of the state or result.
// ok is false when the read failed, with its one diagnostic in diags.
func readContactsBlocklisted[T timeoutsValue](ctx context.Context, data *providerData, kind readKind, model contactsBlocklistedModel[T],
	diags *diag.Diagnostics,
) (values func(contactType tftypes.Object) stateValues, ok bool) {
	ctx = data.withSecretsMasked(ctx)
	channel := strings.ToLower(model.Channel.ValueString()) // sent lowercase; state keeps what was written
	pageSize := int64(kaleyra.ContactsDefaultPageSize)
	if !model.PageSize.IsNull() {
		pageSize = model.PageSize.ValueInt64()
	}
	var mobiles []string // nil: the whole blocklist
	if !model.Mobiles.IsNull() {
		mobiles = make([]string, 0, len(model.Mobiles.Elements()))
		diags.Append(model.Mobiles.ElementsAs(ctx, &mobiles, false)...)
		if diags.HasError() {
			return nil, false
		}
	}
	failure := readFailure{
		summary:  "Unable to Read Contacts Blocklist",
		typeName: contactsBlocklistedName,
		kind:     kind,
		subject:  contactsSubject(channel, mobiles),
	}
	result, shared, ok := timedSharedRead(ctx, data, "contacts:"+contactsQueryID(channel, mobiles), model.Timeouts, failure, diags,
		func(ctx context.Context) (contactsResult, error) {
			rows, stats, err := data.client.ContactsBlocklisted(ctx, kaleyra.ContactsListRequest{
				Channel: channel, Mobiles: mobiles, PageSize: int(pageSize),
			})
			return contactsResult{rows: rows, stats: stats}, err
		})
	if !ok {
		return nil, false
	}
	rows, stats := result.rows, result.stats
	tflog.Info(ctx, "Read contacts blocklist", map[string]any{
		"kind": string(kind), "batches": stats.Batches, "pages": stats.Pages, "rows": stats.Rows, "contacts": len(rows),
		"elapsed_ms": stats.Elapsed.Milliseconds(), "shared": shared,
	})

	configured := make(stateValues, 3)
	for name, v := range map[string]attr.Value{"channel": model.Channel, "mobiles": model.Mobiles, "timeouts": model.Timeouts} {
		var err error
		if configured[name], err = v.ToTerraformValue(ctx); err != nil {
			diags.AddError("Unexpected Configuration Value", fmt.Sprintf("Converting `%s` failed: %s. %s", name, err, reportBug))
			return nil, false
		}
	}
	return func(contactType tftypes.Object) stateValues {
		return contactsState(contactType, configured, channel, mobiles, pageSize, rows)
	}, true
}

// contactsResult is one read of the blocklist, shared by identical
// queries: never modified once read.
type contactsResult struct {
	rows  []kaleyra.BlocklistedContact
	stats kaleyra.ListStats
}

// contactsState maps a read to the state values: configured holds the
// arguments as written (channel, mobiles, timeouts); channel is the
// lowercase channel read.
func contactsState(contactType tftypes.Object, configured stateValues, channel string, mobiles []string, pageSize int64, rows []kaleyra.BlocklistedContact) stateValues {
	contacts, listed := contactValues(contactType, rows, channel)
	var blocked tftypes.Value // null without mobiles
	if mobiles != nil {
		blocked = blockedValue(mobiles, rows)
	}
	return stateValues{
		"channel":             configured["channel"],
		"mobiles":             configured["mobiles"],
		"timeouts":            configured["timeouts"],
		"page_size":           tfNumber(pageSize),
		"id":                  tfString(contactsQueryID(channel, mobiles)),
		"contacts":            contacts,
		"blocklisted_mobiles": listed,
		"blocked":             blocked,
		"total":               tfNumber(int64(len(rows))),
	}
}

// contactsSubject names what a read looks up, for its diagnostics: the
// count of distinct numbers, never a number itself.
func contactsSubject(channel string, mobiles []string) string {
	what := "the whole blocklist"
	if mobiles != nil {
		distinct := slices.Compact(slices.Sorted(slices.Values(mobiles)))
		what = "the blocklist status of " + plural(len(distinct), "number")
	}
	if channel == "" {
		return what + " on every channel"
	}
	return what + " on channel " + channel
}

// contactsQueryID digests what decides the result: the channel and the set
// of numbers (or "the whole list").
func contactsQueryID(channel string, mobiles []string) string {
	h := sha256.New()
	fmt.Fprintf(h, "channel=%s\n", channel)
	if mobiles == nil {
		h.Write([]byte("mobiles=*\n"))
	} else {
		u := slices.Clone(mobiles)
		slices.Sort(u)
		fmt.Fprintf(h, "mobiles=%s\n", strings.Join(slices.Compact(u), ","))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// contactValues maps sorted rows to `contacts` and `blocklisted_mobiles`.
func contactValues(contactType tftypes.Object, rows []kaleyra.BlocklistedContact, channel string) (contacts, mobiles tftypes.Value) {
	objs := make([]tftypes.Value, len(rows))
	nums := make([]tftypes.Value, 0, len(rows))
	filtered := tftypes.NewValue(tftypes.String, nil)
	if channel != "" {
		filtered = tfString(channel)
	}
	for i, r := range rows {
		name := filtered
		if channel == "" {
			if ch, ok := kaleyra.ChannelForType(r.ChannelType); ok {
				name = tfString(ch)
			}
		}
		mobile := tfString(r.Mobile)
		objs[i] = tftypes.NewValue(contactType, map[string]tftypes.Value{
			"mobile": mobile, "channel_type": tfString(r.ChannelType), "channel": name,
		})
		// Rows are sorted by mobile, so equal numbers are adjacent.
		if i == 0 || rows[i-1].Mobile != r.Mobile {
			nums = append(nums, mobile)
		}
	}
	return tfList(contactType, objs), tfList(tftypes.String, nums)
}

// blockedValue maps every queried number to whether a row came back for it.
// Numbers are compared by their digits, so a row sent without the '+' still
// counts.
func blockedValue(queried []string, rows []kaleyra.BlocklistedContact) tftypes.Value {
	listed := make(map[string]bool, len(rows))
	for _, r := range rows {
		listed[digits(r.Mobile)] = true
	}
	m := make(map[string]tftypes.Value, len(queried))
	for _, q := range queried {
		m[q] = tftypes.NewValue(tftypes.Bool, listed[digits(q)])
	}
	return tftypes.NewValue(tftypes.Map{ElementType: tftypes.Bool}, m)
}

func digits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}
