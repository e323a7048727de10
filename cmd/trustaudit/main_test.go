package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/trustaudit/trustaudit/internal/awssim"
	"github.com/trustaudit/trustaudit/internal/finding"
	"github.com/trustaudit/trustaudit/internal/world"
)

// The scripts run the real binary: testscript re-executes this test binary as "trustaudit",
// which runs main.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"trustaudit": main})
}

var updateScripts = flag.Bool("update-scripts", false, "rewrite the scripts' cmp files from actual output")

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:           filepath.Join("testdata", "script"),
		UpdateScripts: *updateScripts,
		Setup: func(env *testscript.Env) error {
			// Never pick up the developer's AWS configuration or instance metadata.
			env.Setenv("AWS_CONFIG_FILE", filepath.Join(env.WorkDir, "no-aws-config"))
			env.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(env.WorkDir, "no-aws-credentials"))
			env.Setenv("AWS_EC2_METADATA_DISABLED", "true")
			env.Setenv("NO_COLOR", "1")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"sim":      cmdSim,
			"simcalls": cmdSimCalls,
			"status":   cmdStatus,
			"findings": cmdFindings,
			"gaps":     cmdGaps,
		},
	})
}

// sims holds each script's simulator so that simcalls can read its counters.
var sims sync.Map // *testscript.TestScript -> *awssim.Server

// cmdSim starts a simulator in the test process and points the AWS SDK of later commands at
// it through AWS_ENDPOINT_URL, the way a user points the AWS CLI at an emulator. It is a
// test-only way to inject faults; users see no flag for it.
//
//	sim [-world FILE] [-timescale N] [-deny service[/region[/operation]]]...
//	    [-unreachable region]... [-quota bucket=rate]... [-errors fraction] [-account ID]
func cmdSim(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! sim")
	}
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	worldFile := fs.String("world", "", "world file (default: the demo world)")
	scale := fs.Float64("timescale", 10, "quota time scale")
	errRate := fs.Float64("errors", 0, "fraction of requests answered 5xx")
	account := fs.String("account", "111122223333", "account whose credentials the SDK gets")
	var deny, unreachable, quotas multi
	fs.Var(&deny, "deny", "service[/region[/operation]] to answer AccessDenied")
	fs.Var(&unreachable, "unreachable", "region whose requests hang")
	fs.Var(&quotas, "quota", "bucket=rate override")
	if err := fs.Parse(args); err != nil {
		ts.Fatalf("sim: %v", err)
	}
	w := awssim.DemoWorld()
	if *worldFile != "" {
		var err error
		if w, err = world.Load(ts.MkAbs(*worldFile)); err != nil {
			ts.Fatalf("sim: %v", err)
		}
	}
	// A snapshot carries no credentials: give every account a key the simulator maps to it.
	key := ""
	for i := range w.Accounts {
		a := &w.Accounts[i]
		k := "AKIATEST" + a.ID
		a.AccessKeys = append(a.AccessKeys, world.AccessKey{ID: k, ARN: "arn:aws:iam::" + a.ID + ":user/test-auditor"})
		if a.ID == *account {
			key = k
		}
	}
	if key == "" {
		ts.Fatalf("sim: account %s is not in the world", *account)
	}
	opts := awssim.Options{World: w, TimeScale: *scale, Faults: awssim.Faults{ErrorRate: *errRate, Unreachable: unreachable, Seed: 1}}
	for _, d := range deny {
		p := strings.SplitN(d, "/", 3)
		m := awssim.Match{Service: p[0]}
		if len(p) > 1 {
			m.Region = p[1]
		}
		if len(p) > 2 {
			m.Operation = p[2]
		}
		opts.Faults.Deny = append(opts.Faults.Deny, m)
	}
	for _, q := range quotas {
		name, rate, ok := strings.Cut(q, "=")
		r, err := strconv.ParseFloat(rate, 64)
		if !ok || err != nil {
			ts.Fatalf("sim: -quota %q: expected bucket=rate", q)
		}
		if opts.Quotas == nil {
			opts.Quotas = map[string]float64{}
		}
		opts.Quotas[name] = r
	}
	srv, err := awssim.Start(opts)
	if err != nil {
		ts.Fatalf("sim: %v", err)
	}
	ts.Defer(func() { srv.Close() })
	sims.Store(ts, srv)
	ts.Setenv("AWS_ENDPOINT_URL", srv.URL())
	ts.Setenv("AWS_ACCESS_KEY_ID", key)
	ts.Setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
	ts.Setenv("AWS_REGION", "us-east-1")
}

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

// cmdSimCalls checks that every request the simulator received is an action of the IAM
// policies in the FILEs (the output of trustaudit permissions; an organization scan needs
// its caller's and its role's): the generated policies are enough and the scan calls
// nothing else. It prints the actions seen.
func cmdSimCalls(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 1 {
		ts.Fatalf("usage: simcalls POLICY-FILE...")
	}
	v, ok := sims.Load(ts)
	if !ok {
		ts.Fatalf("simcalls: no simulator running (use sim first)")
	}
	allowed := map[string]bool{}
	for _, file := range args {
		var pol struct {
			Statement []struct {
				Action []string
			}
		}
		if err := json.Unmarshal([]byte(ts.ReadFile(file)), &pol); err != nil {
			ts.Fatalf("simcalls: %s: %v", file, err)
		}
		for _, st := range pol.Statement {
			for _, a := range st.Action {
				allowed[a] = true
			}
		}
	}
	seen := map[string]bool{}
	for _, c := range v.(*awssim.Server).Counters() {
		seen[awssim.IAMAction(c.Service, c.Operation)] = true
	}
	var outside, all []string
	for a := range seen {
		all = append(all, a)
		if !allowed[a] {
			outside = append(outside, a)
		}
	}
	sort.Strings(all)
	sort.Strings(outside)
	fmt.Fprintln(ts.Stdout(), strings.Join(all, "\n"))
	if len(outside) > 0 != neg {
		ts.Fatalf("simcalls: calls outside the policy: %v", outside)
	}
}

// cmdStatus runs a command and checks its exact exit status (exec and ! exec cannot tell 2
// from 3), optionally within a time bound.
//
//	status [-within DURATION] CODE COMMAND [ARGS...]
func cmdStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! status")
	}
	var within time.Duration
	if len(args) > 2 && args[0] == "-within" {
		d, err := time.ParseDuration(args[1])
		if err != nil {
			ts.Fatalf("status: -within: %v", err)
		}
		within, args = d, args[2:]
	}
	if len(args) < 2 {
		ts.Fatalf("usage: status [-within DURATION] CODE COMMAND [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("status: code %q: %v", args[0], err)
	}
	start := time.Now()
	err = ts.Exec(args[1], args[2:]...)
	took := time.Since(start)
	got := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("status: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("exit status %d, want %d", got, want)
	}
	if within > 0 && took > within {
		ts.Fatalf("took %s, want at most %s", took.Round(time.Millisecond), within)
	}
}

func readScan(ts *testscript.TestScript, file string) *finding.Scan {
	var s finding.Scan
	dec := json.NewDecoder(strings.NewReader(ts.ReadFile(file)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		ts.Fatalf("%s: not a scan document: %v", file, err)
	}
	if s.SchemaVersion != finding.SchemaVersion {
		ts.Fatalf("%s: schema_version %d, want %d", file, s.SchemaVersion, finding.SchemaVersion)
	}
	return &s
}

// cmdFindings prints a scan document's findings as sorted "rule resource_arn" lines, with
// " suppressed" appended to suppressed ones, for cmp against an expected list.
func cmdFindings(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: findings SCAN-FILE")
	}
	var lines []string
	for _, f := range readScan(ts, args[0]).Findings {
		l := f.Rule + " " + f.ResourceARN
		if f.Suppressed {
			l += " suppressed"
		}
		lines = append(lines, l)
	}
	printSorted(ts, lines)
}

// cmdGaps prints a scan document's gaps as sorted "account region kind operation" lines.
func cmdGaps(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: gaps SCAN-FILE")
	}
	var lines []string
	for _, g := range readScan(ts, args[0]).Gaps {
		lines = append(lines, strings.Join([]string{g.Account, g.Region, g.Kind, g.Operation}, " "))
	}
	printSorted(ts, lines)
}

func printSorted(ts *testscript.TestScript, lines []string) {
	w := ts.Stdout() // even with nothing to print, so that stdout is this command's
	slices.Sort(lines)
	lines = slices.Compact(lines)
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
}
