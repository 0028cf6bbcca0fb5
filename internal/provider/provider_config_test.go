package provider

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/sandbox"
	"github.com/kaleyra/terraform-provider-kaleyra/internal/testutil"
)

// probeRead is one read, for after a provider block (or none): enough to
// make Terraform validate and configure the provider and call the API.
var probeRead = fmt.Sprintf(`
data "kaleyra_contacts_blocklisted" "probe" {
  mobiles = [%[1]q]
}
`, probeMobile)

// probeReadTheSandbox asserts that the probe read reached the sandbox
// account: the number is blocklisted there.
var probeReadTheSandbox = []statecheck.StateCheck{
	statecheck.ExpectKnownValue("data.kaleyra_contacts_blocklisted.probe", tfjsonpath.New("blocked"),
		knownvalue.MapExact(map[string]knownvalue.Check{probeMobile: knownvalue.Bool(true)})),
}

func TestProvider_environmentFallbacks(t *testing.T) {
	sb := startSandbox(t, probeAccount(), sandbox.Options{})
	clearKaleyraEnv(t)
	t.Setenv(EnvSID, testSID)
	t.Setenv(EnvAPIKey, testAPIKey)
	t.Setenv(EnvPod, "in")
	t.Setenv(EnvBaseURL, sb.URL())

	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders(),
		Steps: []resource.TestStep{
			{
				Config:            `provider "kaleyra" {}` + probeRead,
				ConfigStateChecks: probeReadTheSandbox,
			},
			{
				// No provider block at all: the environment configures it.
				Config:            probeRead,
				ConfigStateChecks: probeReadTheSandbox,
			},
		},
	})
	expectRequests(t, sb)
}

func TestProvider_attributesWinOverEnvironment(t *testing.T) {
	sb := startSandbox(t, probeAccount(), sandbox.Options{})

	t.Run("wrong environment, right attributes", func(t *testing.T) {
		clearKaleyraEnv(t)
		t.Setenv(EnvSID, "HXWRONG0000000IN")
		t.Setenv(EnvAPIKey, "wrong-key")
		t.Setenv(EnvPod, "US")
		t.Setenv(EnvBaseURL, "http://kaleyra.example.com")
		resource.UnitTest(t, resource.TestCase{
			ProtoV6ProviderFactories: testProviders(),
			Steps: []resource.TestStep{{
				Config:            sandboxProvider(sb.URL(), map[string]string{"pod": `"IN"`}) + probeRead,
				ConfigStateChecks: probeReadTheSandbox,
			}},
		})
	})

	t.Run("right environment, wrong attribute", func(t *testing.T) {
		clearKaleyraEnv(t)
		t.Setenv(EnvSID, testSID)
		t.Setenv(EnvAPIKey, testAPIKey)
		t.Setenv(EnvBaseURL, sb.URL())
		resource.UnitTest(t, resource.TestCase{
			ProtoV6ProviderFactories: testProviders(),
			Steps: []resource.TestStep{
				{
					Config:      testutil.ProviderBlock(map[string]string{"api_key": `"wrong-key"`}) + probeRead,
					ExpectError: errorLike("HTTP 401 with code RBC001: Incorrect SID or API key."),
				},
				{
					Config:      testutil.ProviderBlock(map[string]string{"sid": `"HXWRONG0000000IN"`}) + probeRead,
					ExpectError: errorLike("HTTP 401 with code RBC001: Incorrect SID or API key."),
				},
			},
		})
	})
}

func TestProvider_missingCredentialsNameAttributeAndEnvironment(t *testing.T) {
	sb := startSandbox(t, probeAccount(), sandbox.Options{})
	clearKaleyraEnv(t)

	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders(),
		Steps: []resource.TestStep{
			{
				Config: sandboxProvider(sb.URL(), map[string]string{"sid": ""}) + probeRead,
				ExpectError: errorLike("Missing Kaleyra Account SID",
					"Set `sid` in the provider block, or the KALEYRA_SID environment variable."),
			},
			{
				Config: sandboxProvider(sb.URL(), map[string]string{"api_key": ""}) + probeRead,
				ExpectError: errorLike("Missing Kaleyra API Key",
					"Set `api_key` in the provider block, or the KALEYRA_API_KEY environment variable"),
			},
			{
				Config: sandboxProvider(sb.URL(), map[string]string{"sid": "", "api_key": ""}) + probeRead,
				ExpectError: errorLike("Missing Kaleyra Account SID", "`sid`", "KALEYRA_SID",
					"Missing Kaleyra API Key", "`api_key`", "KALEYRA_API_KEY"),
			},
		},
	})
	noRequestsSent(t, sb)
}

func TestProvider_invalidArgumentsFailAtPlanNamingAttributeAndValue(t *testing.T) {
	sb := startSandbox(t, probeAccount(), sandbox.Options{})
	clearKaleyraEnv(t)

	for _, tc := range []struct {
		attr, value string // the attribute and its HCL value
		want        []string
	}{
		{"pod", `"US"`, []string{`Attribute pod is "US"; expected one of "IN", "SG", "EU" or "NA", in any letter case.`}},
		{"base_url", `"api.example.com"`, []string{"Invalid Kaleyra Base URL", `Attribute base_url: base URL "api.example.com" must be absolute`}},
		{"base_url", `"http://api.example.com"`, []string{"Invalid Kaleyra Base URL", `Attribute base_url: base URL "http://api.example.com" uses plain http on a host that is not loopback`}},
		{"base_url", `"ftp://127.0.0.1:2121"`, []string{"Invalid Kaleyra Base URL", `Attribute base_url: base URL "ftp://127.0.0.1:2121" has scheme "ftp"`}},
		{"max_retries", `-1`, []string{"Attribute max_retries value must be at least 0, got: -1"}},
		{"request_timeout", `"soon"`, []string{`Attribute request_timeout is "soon"; expected a positive Go duration`}},
		{"request_timeout", `"0s"`, []string{`Attribute request_timeout is "0s"; expected a positive Go duration`}},
		{"request_timeout", `"-5s"`, []string{`Attribute request_timeout is "-5s"; expected a positive Go duration`}},
		{"max_parallel_requests", `0`, []string{"Attribute max_parallel_requests value must be between 1 and 32, got: 0"}},
		{"max_parallel_requests", `33`, []string{"Attribute max_parallel_requests value must be between 1 and 32, got: 33"}},
		{"sid", `""`, []string{"Empty Kaleyra Account SID", "Attribute sid is set to an empty string. Set it to the Kaleyra account SID, or leave it out of the provider block to use the KALEYRA_SID environment variable."}},
		{"api_key", `""`, []string{"Empty Kaleyra API Key", "Attribute api_key is set to an empty string. Set it to the Kaleyra API key, or leave it out of the provider block to use the KALEYRA_API_KEY environment variable."}},
	} {
		t.Run(tc.attr+"="+tc.value, func(t *testing.T) {
			resource.UnitTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testProviders(),
				Steps: []resource.TestStep{{
					Config:      sandboxProvider(sb.URL(), map[string]string{tc.attr: tc.value}) + probeRead,
					PlanOnly:    true,
					ExpectError: errorLike(tc.want...),
				}},
			})
		})
	}
	noRequestsSent(t, sb)
}

func TestProvider_validArgumentsAreAccepted(t *testing.T) {
	sb := startSandbox(t, probeAccount(), sandbox.Options{})
	clearKaleyraEnv(t)

	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders(),
		Steps: []resource.TestStep{
			{
				// The pod is case-insensitive; base_url may be localhost and
				// carry a trailing slash.
				Config: sandboxProvider(sb.URL()+"/", map[string]string{
					"pod":                   `"in"`,
					"max_retries":           "0",
					"request_timeout":       `"90s"`,
					"max_parallel_requests": "32",
				}) + probeRead,
				ConfigStateChecks: probeReadTheSandbox,
			},
			{
				Config:            sandboxProvider(sb.URL(), map[string]string{"pod": `"Sg"`, "max_parallel_requests": "1"}) + probeRead,
				ConfigStateChecks: probeReadTheSandbox,
			},
		},
	})
}

func TestProvider_invalidEnvironmentNamesTheVariable(t *testing.T) {
	sb := startSandbox(t, probeAccount(), sandbox.Options{})

	for _, tc := range []struct {
		env, value string
		want       []string
	}{
		{EnvPod, "US", []string{"Invalid Kaleyra Pod", `The KALEYRA_POD environment variable is "US"; expected one of IN, SG, EU, NA`}},
		{EnvBaseURL, "http://kaleyra.example.com", []string{"Invalid Kaleyra Base URL",
			`The KALEYRA_BASE_URL environment variable: base URL "http://kaleyra.example.com" uses plain http`}},
		{EnvBaseURL, "kaleyra.example.com", []string{"Invalid Kaleyra Base URL",
			`The KALEYRA_BASE_URL environment variable: base URL "kaleyra.example.com" must be absolute`}},
	} {
		t.Run(tc.env+"="+tc.value, func(t *testing.T) {
			clearKaleyraEnv(t)
			t.Setenv(EnvSID, testSID)
			t.Setenv(EnvAPIKey, testAPIKey)
			if tc.env != EnvBaseURL {
				t.Setenv(EnvBaseURL, sb.URL())
			}
			t.Setenv(tc.env, tc.value)
			resource.UnitTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testProviders(),
				Steps: []resource.TestStep{{
					Config:      `provider "kaleyra" {}` + probeRead,
					ExpectError: errorLike(tc.want...),
				}},
			})
		})
	}
	noRequestsSent(t, sb)
}

func TestProvider_maxParallelRequestsBoundsRequestsInFlight(t *testing.T) {
	numbers := numbersFrom("+9180", 500)
	// 5 batches of 100 numbers, each answered slowly enough to overlap if
	// the provider let them.
	sb := startSandbox(t, probeAccount(), sandbox.Options{Latency: 30 * time.Millisecond})

	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders(),
		Steps: []resource.TestStep{{
			Config: contactsConfig(sb.URL(), map[string]string{"max_parallel_requests": "1"}, mobilesArg(numbers)),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("total"), knownvalue.Int64Exact(0)),
			},
		}},
	})
	if got := sb.MaxInFlight(); got != 1 {
		t.Errorf("with max_parallel_requests = 1 the sandbox saw %d requests at once; want 1", got)
	}
}

func TestProvider_schemaMarksAPIKeySensitive(t *testing.T) {
	server, err := ProtocolServer(New("test")())()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := server.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range resp.Diagnostics {
		t.Errorf("schema diagnostic: %s: %s", d.Summary, d.Detail)
	}
	attrs := map[string]*tfprotov6.SchemaAttribute{}
	for _, a := range resp.Provider.Block.Attributes {
		attrs[a.Name] = a
	}
	for _, name := range []string{"pod", "sid", "api_key", "base_url", "max_retries", "request_timeout", "max_parallel_requests"} {
		a, ok := attrs[name]
		switch {
		case !ok:
			t.Errorf("provider schema has no %q", name)
		case !a.Optional || a.Required:
			// Every argument can come from the environment or a default, so
			// an empty provider block is valid.
			t.Errorf("%s: Optional=%v Required=%v; want optional", name, a.Optional, a.Required)
		case a.Sensitive != (name == "api_key"):
			t.Errorf("%s: Sensitive=%v; want %v", name, a.Sensitive, name == "api_key")
		}
	}
	if len(attrs) != 7 {
		t.Errorf("provider schema has %d attributes, want 7: %v", len(attrs), attrs)
	}
	for _, ds := range []string{"kaleyra_whatsapp_blocked_users", "kaleyra_contacts_blocklisted"} {
		if _, ok := resp.DataSourceSchemas[ds]; !ok {
			t.Errorf("no data source %s", ds)
		}
	}
}
