package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/sandbox"
)

const testSeed = `{"accounts":[{"sid":"HXCMD0000001IN","api_key":"cmd-secret-key",
  "whatsapp_numbers":[{"phone_number":"+919400000001","generate_blocked":30}],
  "blocklist":[{"mobile":"+919812345678","channel":"sms"}]}]}`

// TestCommand builds the command, starts it on port 0 with a seed and a
// faults file, reads the URL file, makes requests and stops it with SIGTERM.
func TestCommand(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build with")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "kaleyra-sandbox")
	build := exec.Command(goBin, "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	seedFile := filepath.Join(dir, "seed.json")
	faultsFile := filepath.Join(dir, "faults.json")
	urlFile := filepath.Join(dir, "url")
	mustWriteFile(t, seedFile, []byte(testSeed))
	mustWriteFile(t, faultsFile, []byte(`[{"api":"contacts","status":503,"retry_after":"1"}]`))

	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-seed", seedFile, "-faults", faultsFile,
		"-url-file", urlFile, "-latency", "1ms", "-paging-next")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill() //nolint:errcheck // no-op once it has exited

	lines := make(chan string, 1)
	var rest syncBuffer
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		r := bufio.NewReader(stdout)
		line, _ := r.ReadString('\n')
		lines <- line
		io.Copy(&rest, r) //nolint:errcheck
	}()
	var line string
	select {
	case line = <-lines:
	case <-time.After(10 * time.Second):
		t.Fatal("no listening line")
	}
	base, ok := strings.CutPrefix(strings.TrimSpace(line), "kaleyra-sandbox listening on ")
	if !ok || !strings.HasPrefix(base, "http://127.0.0.1:") || strings.HasSuffix(base, ":0") {
		t.Fatalf("stdout line %q", line)
	}
	fromFile, err := os.ReadFile(urlFile)
	if err != nil || strings.TrimSpace(string(fromFile)) != base {
		t.Fatalf("url file %q (%v), want %q", fromFile, err, base)
	}

	getURL := func(path, apiKey string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		if apiKey != "" {
			req.Header.Set("api-key", apiKey)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	status, body := getURL("/v2/HXCMD0000001IN/whatsapp/%2B919400000001/block_users?limit=10", "cmd-secret-key")
	if status != 200 || !strings.Contains(body, `"code":"WA200"`) || !strings.Contains(body, `"next":"`+base+`/v2/`) {
		t.Errorf("whatsapp: %d %s", status, body)
	}
	if status, body = getURL("/v1/HXCMD0000001IN/contacts/blocklisted", "cmd-secret-key"); status != 503 {
		t.Errorf("contacts with the file's fault: %d %s", status, body)
	}
	if status, body = getURL("/v1/HXCMD0000001IN/contacts/blocklisted", "cmd-secret-key"); status != 200 || !strings.Contains(body, `"channel_type":"1"`) {
		t.Errorf("contacts: %d %s", status, body)
	}
	if status, _ = getURL("/v1/HXCMD0000001IN/contacts/blocklisted", "wrong"); status != 401 {
		t.Errorf("wrong key: %d", status)
	}
	if status, body = getURL("/_sandbox/health", ""); status != 200 || !strings.Contains(body, "ok") {
		t.Errorf("health: %d %s", status, body)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v\nstderr:\n%s", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no exit after SIGTERM")
	}
	logs := stderr.String()
	if strings.Contains(logs, "cmd-secret-key") {
		t.Error("the api key reached the log")
	}
	<-copied
	// After the listening line: how to authenticate, with the seed file's
	// SID but not its key, and the admin endpoints.
	if out := rest.String(); !strings.Contains(out, "export KALEYRA_BASE_URL="+base+" KALEYRA_SID=HXCMD0000001IN KALEYRA_API_KEY=...\n") ||
		!strings.Contains(out, "its api_key is in the file") || strings.Contains(out, "cmd-secret-key") ||
		!strings.Contains(out, "GET    "+base+"/_sandbox/health") {
		t.Errorf("stdout after the listening line:\n%s", out)
	}
	for _, want := range []string{
		"GET /v2/HXCMD0000001IN/whatsapp/+919400000001/block_users 200 WA200",
		"GET /v1/HXCMD0000001IN/contacts/blocklisted 503 WA500",
		"GET /v1/HXCMD0000001IN/contacts/blocklisted 401 RBC001",
		"stopped",
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "_sandbox") {
		t.Errorf("admin requests were logged:\n%s", logs)
	}
}

func TestRunRefusesBadUsage(t *testing.T) {
	dir := t.TempDir()
	badSeed := filepath.Join(dir, "bad.json")
	mustWriteFile(t, badSeed, []byte(`{"accounts":[{"sid":"HXA","api_key":"k","blocklist":[{"mobile":"+919812345678","channel":"fax"}]}]}`))
	badFaults := filepath.Join(dir, "faults.json")
	mustWriteFile(t, badFaults, []byte(`[{"status":42}]`))
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-addr", "0.0.0.0:8787"}, 2, "non-loopback"},
		{[]string{"-addr", ":8787"}, 2, "non-loopback"},
		{[]string{"-addr", "192.168.1.10:0"}, 2, "non-loopback"},
		{[]string{"-addr", "example.com:80"}, 2, "non-loopback"},
		{[]string{"-addr", "nonsense"}, 2, "-addr"},
		{[]string{"-latency", "soon"}, 2, "invalid value"},
		{[]string{"extra"}, 2, "unexpected arguments"},
		{[]string{"-addr", "127.0.0.1:0", "-seed", badSeed}, 1, "fax"},
		{[]string{"-addr", "127.0.0.1:0", "-seed", filepath.Join(dir, "missing.json")}, 1, "missing.json"},
		{[]string{"-addr", "127.0.0.1:0", "-faults", badFaults}, 1, "status 42"},
	}
	for _, tc := range tests {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), tc.args, &stdout, &stderr)
		if code != tc.code || !strings.Contains(stderr.String(), tc.want) || stdout.Len() != 0 {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q", tc.args, code, stderr.String(), tc.code, tc.want)
		}
	}
}

func TestRunServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	urlFile := filepath.Join(t.TempDir(), "url")
	done := make(chan int, 1)
	var stdout, stderr syncBuffer
	go func() { done <- run(ctx, []string{"-addr", "localhost:0", "-url-file", urlFile}, &stdout, &stderr) }()
	var base string
	for deadline := time.Now().Add(5 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		b, _ := os.ReadFile(urlFile)
		base = strings.TrimSpace(string(b))
	}
	if base == "" {
		t.Fatal("no url file")
	}
	// The embedded demo seed.
	req, _ := http.NewRequest(http.MethodGet, base+"/v2/HXDEMO00000000IN/whatsapp/%2B919876543210/block_users", nil)
	req.Header.Set("api-key", "sandbox-demo-key")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("demo seed: %d", resp.StatusCode)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d: %s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return")
	}
	if !strings.HasPrefix(stdout.String(), "kaleyra-sandbox listening on "+base+"\n") ||
		!strings.Contains(stdout.String(), "as the embedded demo seed's account:\n  export KALEYRA_BASE_URL="+base+" KALEYRA_SID=HXDEMO00000000IN KALEYRA_API_KEY=sandbox-demo-key\n") ||
		!strings.Contains(stdout.String(), "POST   "+base+"/_sandbox/faults") {
		t.Errorf("stdout %q", stdout.String())
	}
}

// TestHelpSaysHowToAuthenticate: -help names the demo seed's SID and key,
// the environment that points the provider at the sandbox, and every admin
// endpoint, before the flags.
func TestHelpSaysHowToAuthenticate(t *testing.T) {
	demo := sandbox.DefaultSeed().Accounts
	if len(demo) != 1 || demo[0].SID != demoSID || demo[0].APIKey != demoAPIKey {
		t.Fatalf("the embedded demo seed's account is %+v; update demoSID and demoAPIKey", demo)
	}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"-help"}, &stdout, &stderr); code != 0 {
		t.Fatalf("-help: exit %d", code)
	}
	help := strings.Join(strings.Fields(stderr.String()), " ") // columns aside
	wants := []string{"Usage: kaleyra-sandbox [flags]", "SID HXDEMO00000000IN and API key sandbox-demo-key",
		"export KALEYRA_BASE_URL=http://127.0.0.1:8787", "export KALEYRA_SID=HXDEMO00000000IN", "export KALEYRA_API_KEY=sandbox-demo-key"}
	for _, e := range sandbox.AdminEndpoints {
		wants = append(wants, e.Method+" "+e.Path+" "+e.Does)
	}
	wants = append(wants, "Flags: -addr string")
	last := 0
	for _, want := range wants {
		i := strings.Index(help[last:], want)
		if i < 0 {
			t.Fatalf("-help lacks %q (in this order):\n%s", want, help)
		}
		last += i
	}
}

func TestRunVersion(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"-version"}, &stdout, &stderr); code != 0 || stdout.String() != "kaleyra-sandbox dev\n" {
		t.Errorf("-version: exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
}

func TestCheckLoopback(t *testing.T) {
	for _, ok := range []string{"127.0.0.1:8787", "127.1.2.3:0", "[::1]:8787", "localhost:0"} {
		if err := checkLoopback(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"0.0.0.0:1", "[::]:1", ":1", "10.0.0.1:1", "localhost.example.com:1", "127.0.0.1"} {
		if err := checkLoopback(bad); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// mustWriteFile writes a test input file or stops the test.
func mustWriteFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
