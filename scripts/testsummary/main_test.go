package main

import (
	"strings"
	"testing"
)

const stream = `{"Action":"start","Package":"example.com/p"}
{"Action":"run","Package":"example.com/p","Test":"TestA"}
{"Action":"output","Package":"example.com/p","Test":"TestA","Output":"=== RUN   TestA\n"}
{"Action":"pass","Package":"example.com/p","Test":"TestA","Elapsed":0.1}
{"Action":"run","Package":"example.com/p","Test":"TestB"}
{"Action":"output","Package":"example.com/p","Test":"TestB","Output":"    b_test.go:9: needs Terraform >= 1.8.0; this CLI is Terraform 1.5.7\n"}
{"Action":"output","Package":"example.com/p","Test":"TestB","Output":"--- SKIP: TestB (0.00s)\n"}
{"Action":"skip","Package":"example.com/p","Test":"TestB","Elapsed":0}
{"Action":"run","Package":"example.com/p","Test":"TestC/sub"}
{"Action":"output","Package":"example.com/p","Test":"TestC/sub","Output":"    c_test.go:3: boom\n"}
{"Action":"fail","Package":"example.com/p","Test":"TestC/sub","Elapsed":0}
{"Action":"fail","Package":"example.com/p","Test":"TestC","Elapsed":0}
{"Action":"fail","Package":"example.com/p","Elapsed":1.5}
`

// buildFailure is what go test -json (Go 1.26) writes when a test binary
// does not compile.
const buildFailure = `{"ImportPath":"example.com/p [example.com/p.test]","Action":"build-output","Output":"# example.com/p [example.com/p.test]\n"}
{"ImportPath":"example.com/p [example.com/p.test]","Action":"build-output","Output":"./p.go:2:12: undefined: y\n"}
{"ImportPath":"example.com/p [example.com/p.test]","Action":"build-fail"}
{"Action":"start","Package":"example.com/p"}
{"Action":"output","Package":"example.com/p","Output":"FAIL\texample.com/p [build failed]\n"}
{"Action":"fail","Package":"example.com/p","Elapsed":0,"FailedBuild":"example.com/p [example.com/p.test]"}
`

func TestReportBuildFailure(t *testing.T) {
	r, err := parse("cli", strings.NewReader(buildFailure))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if report(&out, []run{r}) {
		t.Error("a build failure reported success")
	}
	if !strings.Contains(out.String(), "./p.go:2:12: undefined: y\nFAIL\texample.com/p [build failed]\n") {
		t.Errorf("the report does not show the build error:\n%s", out.String())
	}
}

func TestReport(t *testing.T) {
	r, err := parse("terraform-1.5.7", strings.NewReader(stream+"go test exit status 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if report(&out, []run{r}) {
		t.Error("a failed test reported success")
	}
	if row := strings.Fields(strings.Split(out.String(), "\n")[1]); strings.Join(row, " ") != "terraform-1.5.7 example.com/p 1 2 1 2s FAIL" {
		t.Errorf("the table row is %q:\n%s", row, out.String())
	}
	if strings.Contains(out.String(), strayPackage) {
		t.Errorf("go test's exit status is reported beside the failed package:\n%s", out.String())
	}
	for _, want := range []string{
		"example.com/p TestB: needs Terraform >= 1.8.0; this CLI is Terraform 1.5.7 [terraform-1.5.7]",
		"--- TestC/sub\n    c_test.go:3: boom\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the report has no %q:\n%s", want, out.String())
		}
	}
}

func TestReportUnfinishedTest(t *testing.T) {
	// A test binary that exits in the middle of a test (os.Exit in a
	// harness) leaves the test without an end event.
	exited := `{"Action":"start","Package":"example.com/p"}
{"Action":"run","Package":"example.com/p","Test":"TestA"}
{"Action":"pass","Package":"example.com/p","Test":"TestA","Elapsed":0}
{"Action":"run","Package":"example.com/p","Test":"TestExit"}
{"Action":"output","Package":"example.com/p","Test":"TestExit","Output":"cannot run Terraform provider tests\n"}
{"Action":"output","Package":"example.com/p","Output":"FAIL\texample.com/p\t6.6s\n"}
{"Action":"fail","Package":"example.com/p","Elapsed":6.6}
go test exit status 1
`
	r, err := parse("cli", strings.NewReader(exited))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if report(&out, []run{r}) {
		t.Error("a test binary that exited reported success")
	}
	if !strings.Contains(out.String(), "--- TestExit (never finished)\ncannot run Terraform provider tests\n") {
		t.Errorf("the report does not show the unfinished test:\n%s", out.String())
	}
}

func TestReportPassAndBrokenStreams(t *testing.T) {
	passing := strings.NewReplacer(`"Action":"fail"`, `"Action":"pass"`).Replace(stream)
	cases := map[string]struct {
		stream string
		ok     bool
	}{
		"all pass":          {passing, true},
		"not test2json":     {"# example.com/p\np.go:1: syntax error\nFAIL\texample.com/p [build failed]\n", false},
		"build failure":     {buildFailure, false},
		"no tests":          {`{"Action":"pass","Package":"example.com/p","Elapsed":0}` + "\n", false},
		"cut short":         {strings.Join(strings.Split(passing, "\n")[:5], "\n"), false},
		"nothing at all":    {"", false},
		"package fail only": {`{"Action":"fail","Package":"example.com/p","Elapsed":600}` + "\n", false},
	}
	for name, c := range cases {
		r, err := parse("cli", strings.NewReader(c.stream))
		if err != nil {
			t.Fatal(err)
		}
		var out strings.Builder
		if got := report(&out, []run{r}); got != c.ok {
			t.Errorf("%s: report = %v, want %v\n%s", name, got, c.ok, out.String())
		}
	}
}
