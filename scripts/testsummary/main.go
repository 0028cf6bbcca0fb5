// Command testsummary prints make test-matrix's table: for each
// `go test -json` stream it is given, one row per package with its pass,
// fail and skip counts, then every skipped test with its reason and every
// failed test with its output. It exits 1 when a test or a package failed,
// or a stream holds no test at all.
//
//	go run ./scripts/testsummary terraform-1.5.7=out/terraform-1.5.7.json ...
//
// Counts include subtests, as `go test -v` lists them.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"text/tabwriter"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: testsummary NAME=FILE.json ...")
		os.Exit(2)
	}
	var runs []run
	for _, arg := range os.Args[1:] {
		name, path, ok := strings.Cut(arg, "=")
		if !ok {
			fmt.Fprintf(os.Stderr, "testsummary: %q is not NAME=FILE\n", arg)
			os.Exit(2)
		}
		r, err := readFile(name, path)
		if err != nil {
			fmt.Fprintf(os.Stderr, "testsummary: %v\n", err)
			os.Exit(2)
		}
		runs = append(runs, r)
	}
	if !report(os.Stdout, runs) {
		os.Exit(1)
	}
}

// event is one line of `go test -json` (test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
	Elapsed float64
}

// run is one CLI's stream: the packages in the order they finished.
type run struct {
	name        string
	packages    []*pkg
	buildOutput []string
}

type pkg struct {
	name             string
	pass, fail, skip int
	failed           bool // the package itself: a test failed, or the build, a panic, a timeout
	finished         bool
	elapsed          float64
	skipped          []string // "TestX: reason"
	failedTests      []string
	output           map[string][]string // test => its output lines
	running          []string            // tests started and, after parse, never ended
	ended            map[string]bool
	packageOutput    []string // output outside any test (build errors, panics)
}

func readFile(name, path string) (run, error) {
	f, err := os.Open(path)
	if err != nil {
		return run{}, err
	}
	defer f.Close()
	r, err := parse(name, f)
	if err != nil {
		return run{}, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// parse reads a `go test -json` stream. Lines that are not JSON (go
// test's own messages, such as a build failure) count as package output.
func parse(name string, in io.Reader) (run, error) {
	r := run{name: name}
	byName := map[string]*pkg{}
	get := func(name string) *pkg {
		p := byName[name]
		if p == nil {
			p = &pkg{name: name, output: map[string][]string{}, ended: map[string]bool{}}
			byName[name] = p
			r.packages = append(r.packages, p)
		}
		return p
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64<<10), 64<<20)
	var stray []string
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.Action == "" {
			stray = append(stray, sc.Text()+"\n")
			continue
		}
		if e.Package == "" {
			// build-output and build-fail events carry ImportPath only;
			// the package's own fail event follows.
			r.buildOutput = append(r.buildOutput, e.Output)
			continue
		}
		p := get(e.Package)
		if e.Test != "" && (e.Action == "pass" || e.Action == "fail" || e.Action == "skip") {
			p.ended[e.Test] = true
		}
		switch {
		case e.Action == "output" && e.Test != "":
			p.output[e.Test] = append(p.output[e.Test], e.Output)
		case e.Action == "output":
			p.packageOutput = append(p.packageOutput, e.Output)
		case e.Test == "" && (e.Action == "pass" || e.Action == "fail" || e.Action == "skip"):
			p.finished, p.elapsed = true, e.Elapsed
			p.failed = p.failed || e.Action == "fail"
		case e.Action == "run":
			p.running = append(p.running, e.Test)
		case e.Action == "pass":
			p.pass++
		case e.Action == "fail":
			p.fail++
			p.failedTests = append(p.failedTests, e.Test)
		case e.Action == "skip":
			p.skip++
			p.skipped = append(p.skipped, e.Test+": "+skipReason(p.output[e.Test]))
		}
	}
	if err := sc.Err(); err != nil {
		return r, err
	}
	for _, p := range r.packages {
		p.running = slices.DeleteFunc(p.running, func(test string) bool { return p.ended[test] })
	}
	// go test's exit status alone adds nothing when a package failed.
	if len(stray) == 1 && strings.HasPrefix(stray[0], "go test exit status") &&
		slices.ContainsFunc(r.packages, func(p *pkg) bool { return p.failed || p.fail > 0 }) {
		stray = nil
	}
	if len(stray) > 0 {
		p := get(strayPackage)
		p.failed = true
		p.packageOutput = stray
	}
	return r, nil
}

// strayPackage holds the lines of a stream that are not test2json events.
const strayPackage = "(go test)"

// logLine is a t.Log / t.Skip line: "    file_test.go:12: message".
var logLine = regexp.MustCompile(`^\s+\S+\.go:\d+: (.*)$`)

// skipReason is the last message the test logged before it skipped.
func skipReason(lines []string) string {
	for _, l := range slices.Backward(lines) {
		if m := logLine.FindStringSubmatch(strings.TrimRight(l, "\n")); m != nil {
			return m[1]
		}
	}
	return "(no reason given)"
}

// report writes the table and the details, and reports whether every
// package passed with at least one test.
func report(w io.Writer, runs []run) bool {
	ok := true
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CLI\tpackage\tpass\tfail\tskip\ttime\tresult")
	for _, r := range runs {
		if len(r.packages) == 0 {
			fmt.Fprintf(tw, "%s\t(no tests ran)\t-\t-\t-\t-\tFAIL\n", r.name)
			ok = false
		}
		for _, p := range r.packages {
			result := "ok"
			switch {
			case p.failed || p.fail > 0:
				result = "FAIL"
			case !p.finished:
				result = "FAIL (unfinished)"
			case p.pass+p.skip == 0:
				result = "FAIL (no tests)"
			}
			if result != "ok" {
				ok = false
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%.0fs\t%s\n", r.name, strings.TrimPrefix(p.name, "github.com/kaleyra/terraform-provider-kaleyra/"), p.pass, p.fail, p.skip, p.elapsed, result)
		}
	}
	if err := tw.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return false
	}
	reportSkips(w, runs)
	for _, r := range runs {
		for _, p := range r.packages {
			if len(p.failedTests) > 0 || (p.failed && p.fail == 0) {
				fmt.Fprintf(w, "\n%s %s: FAILED\n", r.name, p.name)
				for _, t := range p.failedTests {
					fmt.Fprintf(w, "--- %s\n%s", t, strings.Join(p.output[t], ""))
				}
				// A test that never ended: the test binary exited or
				// was killed while it ran.
				for _, t := range p.running {
					fmt.Fprintf(w, "--- %s (never finished)\n%s", t, strings.Join(p.output[t], ""))
				}
				if p.fail == 0 {
					// No test failed: the package did (build, panic,
					// timeout), and its output says why.
					if p.name != strayPackage {
						fmt.Fprint(w, strings.Join(r.buildOutput, ""))
					}
					fmt.Fprint(w, strings.Join(p.packageOutput, ""))
				}
			}
		}
	}
	return ok
}

// reportSkips lists each skipped test and reason once, with the CLIs it
// was skipped under ("every CLI" when all of them).
func reportSkips(w io.Writer, runs []run) {
	type skip struct{ pkg, test string }
	var order []skip
	under := map[skip][]string{}
	for _, r := range runs {
		for _, p := range r.packages {
			for _, s := range p.skipped {
				k := skip{p.name, s}
				if under[k] == nil {
					order = append(order, k)
				}
				under[k] = append(under[k], r.name)
			}
		}
	}
	if len(order) == 0 {
		return
	}
	fmt.Fprintln(w, "\nskipped:")
	for _, k := range order {
		where := strings.Join(under[k], ", ")
		if len(runs) > 1 && len(under[k]) == len(runs) {
			where = "every CLI"
		}
		fmt.Fprintf(w, "  %s %s [%s]\n", strings.TrimPrefix(k.pkg, "github.com/kaleyra/terraform-provider-kaleyra/"), k.test, where)
	}
}
