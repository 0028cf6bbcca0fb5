// Package provider implements the Kaleyra Terraform provider on
// terraform-plugin-framework. Each file holds one thing:
//
//   - provider.go: the provider block, its environment fallbacks, Configure.
//   - whatsapp_blocked_users.go, contacts_blocklisted.go: what the data
//     source and the ephemeral resource of each type share: the schema,
//     the read, the mappers to Terraform values.
//   - *_data_source.go, *_ephemeral_resource.go: the data sources and
//     ephemeral resources themselves, thin: config in, shared read, state
//     or result out. ephemeral_schema.go builds an ephemeral resource's
//     schema from its data source's.
//   - e164_function.go: provider::kaleyra::e164.
//   - diagnostics.go: every read error as one diagnostic.
//   - validators.go: the plan-time validators.
//   - timeouts.go: the timeouts { read } block and the timed, shared read
//     every read runs; shared_reads.go: identical reads read once.
//   - state.go: the state (or ephemeral result) built from the schema's
//     types (buildState), never a panic; lazy_list.go: the list type that
//     spares the framework a conversion of every element; server.go:
//     ProtocolServer, which carries large results past the framework's
//     post-read passes (DESIGN.md, "Workarounds").
//   - configure.go, logging.go: provider data for data sources and
//     ephemeral resources; tflog.
//
// Tests: helpers_test.go holds the helpers the tests share (and
// internal/testutil those shared with the benchmarks).
package provider

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/kaleyra"
)

// Environment variables the provider block falls back to.
const (
	EnvPod     = "KALEYRA_POD"
	EnvSID     = "KALEYRA_SID"
	EnvAPIKey  = "KALEYRA_API_KEY"
	EnvBaseURL = "KALEYRA_BASE_URL"
)

// Provider-level bounds.
const (
	maxParallelRequestsLimit = 32
)

var (
	_ provider.Provider                       = (*kaleyraProvider)(nil)
	_ provider.ProviderWithFunctions          = (*kaleyraProvider)(nil)
	_ provider.ProviderWithEphemeralResources = (*kaleyraProvider)(nil)
)

// Option adjusts the provider; tests use it to shorten retry waits.
type Option func(*kaleyraProvider)

// WithClientConfig lets a test adjust the client configuration after the
// provider block has been applied to it.
func WithClientConfig(fn func(*kaleyra.Config)) Option {
	return func(p *kaleyraProvider) { p.tuneClient = fn }
}

// New returns the provider factory for a release version.
func New(version string, opts ...Option) func() provider.Provider {
	return func() provider.Provider {
		p := &kaleyraProvider{version: version}
		for _, o := range opts {
			o(p)
		}
		return p
	}
}

type kaleyraProvider struct {
	version    string
	tuneClient func(*kaleyra.Config)
}

type kaleyraProviderModel struct {
	Pod                 types.String `tfsdk:"pod"`
	SID                 types.String `tfsdk:"sid"`
	APIKey              types.String `tfsdk:"api_key"`
	BaseURL             types.String `tfsdk:"base_url"`
	MaxRetries          types.Int64  `tfsdk:"max_retries"`
	RequestTimeout      types.String `tfsdk:"request_timeout"`
	MaxParallelRequests types.Int64  `tfsdk:"max_parallel_requests"`
}

// providerData is what data sources and ephemeral resources receive from
// Configure.
type providerData struct {
	client *kaleyra.Client
	apiKey string
	// reads shares identical reads between this configuration's data
	// sources and ephemeral resources: see sharedReads.
	reads *sharedReads
}

// withSecretsMasked returns ctx whose tflog output masks the API key.
func (d *providerData) withSecretsMasked(ctx context.Context) context.Context {
	return maskSecrets(ctx, d.apiKey)
}

func maskSecrets(ctx context.Context, apiKey string) context.Context {
	ctx = tflog.MaskFieldValuesWithFieldKeys(ctx, "api_key", "api-key", "apiKey")
	if apiKey != "" {
		ctx = tflog.MaskAllFieldValuesStrings(ctx, apiKey)
		ctx = tflog.MaskMessageStrings(ctx, apiKey)
	}
	return ctx
}

func (p *kaleyraProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "kaleyra"
	resp.Version = p.version
}

func podNames() []string {
	pods := kaleyra.Pods()
	names := make([]string, 0, len(pods))
	for _, pod := range pods {
		names = append(names, string(pod))
	}
	return names
}

func (p *kaleyraProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	var hostRows strings.Builder
	for _, pod := range kaleyra.Pods() {
		fmt.Fprintf(&hostRows, "| `%s` | `%s` | `%s` |\n", pod, kaleyra.Host(kaleyra.APIWhatsApp, pod), kaleyra.Host(kaleyra.APIContacts, pod))
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "The Kaleyra provider reads Kaleyra blocklists (WhatsApp users blocked by a " +
			"business number, and numbers blocklisted per channel) so that configurations, policy checks " +
			"and drift reports can use them. It authenticates with an account SID and API key, and pages " +
			"through the Kaleyra APIs completely.\n\n" +
			"The pod selects the API hosts. The two APIs do not share a host table:\n\n" +
			"| pod | WhatsApp API host | Contacts API host |\n| --- | --- | --- |\n" + hostRows.String(),
		Attributes: map[string]schema.Attribute{
			"pod": schema.StringAttribute{
				MarkdownDescription: "The Kaleyra pod (data-centre region) of the account: one of " + backticked(podNames()) +
					", in any letter case. It selects the API hosts. Falls back to the `" + EnvPod +
					"` environment variable, then to `" + string(kaleyra.DefaultPod) + "`.",
				Optional:   true,
				Validators: []validator.String{oneOfAnyCase(podNames()...)},
			},
			"sid": schema.StringAttribute{
				MarkdownDescription: "The Kaleyra account SID (Security Identifier), as shown in the Kaleyra console " +
					"with the API key. Falls back to the `" + EnvSID + "` environment variable; one of the two is required.",
				Optional:   true,
				Validators: []validator.String{notEmpty("Account SID", "account SID", EnvSID)},
			},
			"api_key": schema.StringAttribute{
				MarkdownDescription: "The Kaleyra API key. Sensitive: it is sent only in the `api-key` header to the " +
					"configured host and never appears in logs, plans or state. Falls back to the `" + EnvAPIKey +
					"` environment variable; one of the two is required.",
				Optional:   true,
				Sensitive:  true,
				Validators: []validator.String{notEmpty("API Key", "API key", EnvAPIKey)},
			},
			"base_url": schema.StringAttribute{
				MarkdownDescription: "Replaces the pod's host for every API: a proxy, an API gateway or a local " +
					"sandbox, like `https://kaleyra-gateway.example.com`. It must be `https`, or `http` on a loopback " +
					"host (`localhost`, `127.0.0.1`, `[::1]`) only. Falls back to the `" + EnvBaseURL + "` environment variable.",
				Optional:   true,
				Validators: []validator.String{baseURLValidator{}},
			},
			"max_retries": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("How many times one request is retried after HTTP 429, 5xx, `WA500`, "+
					"202 `WA202` (accepted, not ready) or a network error, with exponential backoff and jitter, "+
					"honouring `Retry-After`. `0` disables retries. Defaults to `%d`.", kaleyra.DefaultMaxRetries),
				Optional:   true,
				Validators: []validator.Int64{int64validator.AtLeast(0)},
			},
			"request_timeout": schema.StringAttribute{
				MarkdownDescription: fmt.Sprintf("The time limit of one HTTP attempt, from the moment it holds a request "+
					"slot (see `max_parallel_requests`) until its answer has arrived, as a Go duration such as `30s` or `2m`; "+
					"an attempt over it is retried like a network error. The wait for a slot does not count: only the read's "+
					"`timeouts.read` bounds it. Defaults to `%s`.", kaleyra.DefaultRequestTimeout),
				Optional:   true,
				Validators: []validator.String{durationValidator{}},
			},
			"max_parallel_requests": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("The most requests this provider has in flight at once, across "+
					"all its data sources. `kaleyra_contacts_blocklisted` reads its batches of numbers in parallel "+
					"up to this bound. Between 1 and %d; defaults to `%d`.", maxParallelRequestsLimit, kaleyra.DefaultMaxParallel),
				Optional:   true,
				Validators: []validator.Int64{int64validator.Between(1, maxParallelRequestsLimit)},
			},
		},
	}
}

func (p *kaleyraProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var config kaleyraProviderModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}

	if unknown := unknownAttributes(config); len(unknown) > 0 {
		if req.ClientCapabilities.DeferralAllowed {
			resp.Deferred = &provider.Deferred{Reason: provider.DeferredReasonProviderConfigUnknown}
			return
		}
		for _, name := range unknown {
			resp.Diagnostics.AddAttributeError(path.Root(name), "Unknown Kaleyra Provider Configuration",
				fmt.Sprintf("The provider cannot read from Kaleyra because `%s` is not known until apply. "+
					"Set it to a value known at plan time, or use the environment variable instead.", name))
		}
		return
	}

	cfg, diags := p.clientConfig(config, req.TerraformVersion)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx = maskSecrets(ctx, cfg.APIKey)
	if p.tuneClient != nil {
		p.tuneClient(&cfg)
	}
	client, err := kaleyra.New(cfg)
	if err != nil {
		resp.Diagnostics.AddError("Unable to Create Kaleyra API Client", "The provider configuration could not be used: "+err.Error())
		return
	}
	tflog.Debug(ctx, "Configured Kaleyra client", map[string]any{
		"pod": string(cfg.Pod), "base_url_set": cfg.BaseURL != "", "max_retries": cfg.MaxRetries,
		"request_timeout": cfg.RequestTimeout.String(), "max_parallel_requests": cfg.MaxParallel,
	})
	data := &providerData{client: client, apiKey: cfg.APIKey, reads: newSharedReads()}
	resp.DataSourceData = data
	resp.EphemeralResourceData = data
	resp.ResourceData = data
}

func unknownAttributes(c kaleyraProviderModel) []string {
	var names []string
	for name, unknown := range map[string]bool{
		"pod": c.Pod.IsUnknown(), "sid": c.SID.IsUnknown(), "api_key": c.APIKey.IsUnknown(),
		"base_url": c.BaseURL.IsUnknown(), "max_retries": c.MaxRetries.IsUnknown(),
		"request_timeout": c.RequestTimeout.IsUnknown(), "max_parallel_requests": c.MaxParallelRequests.IsUnknown(),
	} {
		if unknown {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// clientConfig resolves the provider block against the environment:
// attribute values win over environment variables, which win over defaults.
func (p *kaleyraProvider) clientConfig(c kaleyraProviderModel, terraformVersion string) (kaleyra.Config, diag.Diagnostics) {
	var diags diag.Diagnostics
	cfg := kaleyra.Config{
		MaxRetries:     kaleyra.DefaultMaxRetries,
		RequestTimeout: kaleyra.DefaultRequestTimeout,
		MaxParallel:    kaleyra.DefaultMaxParallel,
		UserAgent:      userAgent(p.version, terraformVersion),
		Logger:         tflogLogger{},
	}

	pod, fromEnv := stringOrEnv(c.Pod, EnvPod)
	if pod == "" {
		cfg.Pod = kaleyra.DefaultPod
	} else if parsed, err := kaleyra.ParsePod(pod); err == nil {
		cfg.Pod = parsed
	} else {
		diags.AddAttributeError(path.Root("pod"), "Invalid Kaleyra Pod",
			fmt.Sprintf("%s is %q; expected one of %s (any letter case).", sourceName("pod", EnvPod, fromEnv), pod, strings.Join(podNames(), ", ")))
	}

	cfg.SID, _ = stringOrEnv(c.SID, EnvSID)
	if cfg.SID == "" {
		diags.AddAttributeError(path.Root("sid"), "Missing Kaleyra Account SID",
			"The provider needs the Kaleyra account SID. Set `sid` in the provider block, or the "+EnvSID+
				" environment variable. The SID and API key are shown together in the Kaleyra console.")
	}
	cfg.APIKey, _ = stringOrEnv(c.APIKey, EnvAPIKey)
	if cfg.APIKey == "" {
		diags.AddAttributeError(path.Root("api_key"), "Missing Kaleyra API Key",
			"The provider needs a Kaleyra API key. Set `api_key` in the provider block, or the "+EnvAPIKey+
				" environment variable (better: it keeps the key out of configuration files).")
	}

	baseURL, fromEnv := stringOrEnv(c.BaseURL, EnvBaseURL)
	if baseURL != "" {
		if _, err := kaleyra.ParseBaseURL(baseURL); err != nil {
			diags.AddAttributeError(path.Root("base_url"), "Invalid Kaleyra Base URL",
				fmt.Sprintf("%s: %s", sourceName("base_url", EnvBaseURL, fromEnv), strings.TrimPrefix(err.Error(), "kaleyra: ")))
		}
		cfg.BaseURL = baseURL
	}

	if !c.MaxRetries.IsNull() {
		cfg.MaxRetries = int(c.MaxRetries.ValueInt64())
	}
	if !c.RequestTimeout.IsNull() {
		d, err := time.ParseDuration(c.RequestTimeout.ValueString())
		if err != nil || d <= 0 {
			diags.AddAttributeError(path.Root("request_timeout"), "Invalid Request Timeout",
				fmt.Sprintf("`request_timeout` is %q; expected a positive Go duration such as \"30s\" or \"2m\".", c.RequestTimeout.ValueString()))
		}
		cfg.RequestTimeout = d
	}
	if !c.MaxParallelRequests.IsNull() {
		cfg.MaxParallel = int(c.MaxParallelRequests.ValueInt64())
	}
	return cfg, diags
}

// stringOrEnv returns the attribute's value, else the environment
// variable's, and whether it came from the environment.
func stringOrEnv(v types.String, env string) (string, bool) {
	if !v.IsNull() {
		return v.ValueString(), false
	}
	e := strings.TrimSpace(os.Getenv(env))
	return e, e != ""
}

func sourceName(attr, env string, fromEnv bool) string {
	if fromEnv {
		return "The " + env + " environment variable"
	}
	return "`" + attr + "`"
}

func userAgent(version, terraformVersion string) string {
	ua := "terraform-provider-kaleyra/" + version + " (+https://registry.terraform.io/providers/kaleyra/kaleyra)"
	if terraformVersion != "" {
		ua += " Terraform/" + terraformVersion
	}
	return ua
}

func (p *kaleyraProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		NewWhatsappBlockedUsersDataSource,
		NewContactsBlocklistedDataSource,
	}
}

func (p *kaleyraProvider) EphemeralResources(_ context.Context) []func() ephemeral.EphemeralResource {
	return []func() ephemeral.EphemeralResource{
		NewWhatsappBlockedUsersEphemeralResource,
		NewContactsBlocklistedEphemeralResource,
	}
}

func (p *kaleyraProvider) Resources(_ context.Context) []func() resource.Resource {
	return nil
}

func (p *kaleyraProvider) Functions(_ context.Context) []func() function.Function {
	return []func() function.Function{
		NewE164Function,
	}
}
