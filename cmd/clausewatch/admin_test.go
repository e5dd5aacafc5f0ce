package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/clausewatch/clausewatch/diff"
)

// testBinary is this test binary, which runs clausewatch's main when
// childEnv is set (see TestMain).
func testBinary(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

// cli runs "clausewatch args..." as a user would, in its own process in
// dir, and returns what it wrote and its exit status.
func cli(t *testing.T, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), testBinary(t), args...)
	cmd.Dir = dir
	// USER is the client's own, not the daemon's: notify and baseline
	// default --by to it.
	cmd.Env = append(os.Environ(), childEnv+"=1", "USER="+clientUser)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return o.String(), e.String(), code
}

// clientUser is USER in the environment of the commands cli runs.
const clientUser = "office-clerk"

var (
	pinned     = regexp.MustCompile(`"pinned": "[^"]*"`)
	warcID     = regexp.MustCompile(`urn:uuid:[0-9a-f-]{36}`)
	warcInfo   = regexp.MustCompile(`(WARC-Type: warcinfo\r\nWARC-Record-ID: \S+\r\nWARC-Date: )\S+`)
	bundleN    = regexp.MustCompile(`\(\d+ bytes\)`)
	tmpN       = regexp.MustCompile(`\.tmp\d+`)
	hookSecret = regexp.MustCompile(`whsec_\S+`)
	// generated is when a renewal report was made.
	generated = regexp.MustCompile(`"generated": "[^"]*"`)
)

// TestCommandsBesideDaemon: with serve running on a database, every
// command the CLI runs on it gives what it gives on a stopped database —
// the same standard output, standard error and exit status, files written
// in the client's working directory — because the daemon runs it. The
// daemon (a real serve process, in a directory of its own) holds A; a
// backup made through it is B, a stopped copy. Each command runs in its
// own process, once in A's directory and once in B's, with --db cw.db.
func TestCommandsBesideDaemon(t *testing.T) {
	a := evidenceHistory(t) // checked daily through May and June 2022
	dirA, dirB, dirD := filepath.Dir(a), t.TempDir(), t.TempDir()
	for _, args := range [][]string{
		{"supplier", "set", "1EdTech", "--award", "2022-05-02", "--rubric", "1.0", "--reviewed", "2022-05-02"},
		{"notify", "1EdTech", "--on", "2022-05-13", "--must", "widen the scope statement", "--by", "office"},
		{"baseline", "pin", "ims", "before", "--at", "2022-05-10", "--by", "office"},
	} {
		if out, errOut, code := cli(t, dirA, append(args, "--db", "cw.db")...); code != 0 {
			t.Fatalf("%v: exit %d\n%s%s", args, code, out, errOut)
		}
	}
	rules := diff.DefaultRulesYAML()
	os.WriteFile(filepath.Join(dirA, "mine.yaml"), rules, 0o644)
	os.WriteFile(filepath.Join(dirB, "mine.yaml"), rules, 0o644)

	d := startDaemonIn(t, dirD, "serve", "--db", a, "--log", "json", "--schedule", "@every 1h", "--jitter", "0")
	d.waitFor(t, 1, `"msg":"checked"`) // the start-up round: once, then idle for an hour
	if out, errOut, code := cli(t, dirA, "backup", "--db", "cw.db", filepath.Join(dirB, "cw.db")); code != 0 {
		t.Fatalf("backup through the daemon: exit %d\n%s%s", code, out, errOut)
	}

	ok := func(s string) string { return s }
	bytesN := func(s string) string { return bundleN.ReplaceAllString(s, "(N bytes)") }
	warcNow := func(s string) string { return warcInfo.ReplaceAllString(warcID.ReplaceAllString(s, "<X>"), "${1}D") }
	tmpName := func(s string) string { return tmpN.ReplaceAllString(s, ".tmpN") }
	forwarded := 1 // the backup
	for _, tt := range []struct {
		args []string
		code int
		// local: answered before the database is opened (help, bad
		// usage), so in the client's own process.
		local bool
		norm  func(string) string // for what differs by the clock between two runs
	}{
		{[]string{"sources"}, 0, false, ok},
		{[]string{"sources", "--json"}, 0, false, ok},
		{[]string{"sources", "-h"}, 0, true, ok},
		{[]string{"changes"}, 0, false, ok},
		{[]string{"changes", "--json", "--revet"}, 0, false, ok},
		{[]string{"history", "ims"}, 0, false, ok},
		{[]string{"history", "--json", "ims"}, 0, false, ok},
		{[]string{"history", "nosuch"}, 2, false, ok},
		{[]string{"show", "ims"}, 0, false, ok},
		{[]string{"show", "--json", "--at", "2022-05-10", "ims"}, 0, false, ok},
		{[]string{"show"}, 2, true, ok},
		{[]string{"diff", "ims"}, 1, false, ok},
		{[]string{"diff", "--json", "--from", "2022-05-10", "ims"}, 1, false, ok},
		{[]string{"diff", "--baseline", "before", "--rules", "mine.yaml", "ims"}, 1, false, ok},
		{[]string{"diff", "--rules", "missing.yaml", "ims"}, 2, true, ok},
		{[]string{"diff", "--baseline", "nosuch", "ims"}, 2, false, ok},
		{[]string{"key"}, 0, false, ok},
		{[]string{"key", "--json"}, 0, false, ok},
		{[]string{"log", "check"}, 0, false, ok},
		{[]string{"log", "check", "--json"}, 0, false, ok},
		{[]string{"log", "rewrite"}, 2, true, ok},
		{[]string{"deadlines", "--at", "2022-05-20"}, 0, false, ok},
		{[]string{"deadlines", "--json", "--at", "2022-05-20"}, 0, false, ok},
		{[]string{"deadlines", "--ics", "--at", "2022-05-20"}, 0, false, ok},
		{[]string{"renewal", "1EdTech", "--to", "2022-06-30"}, 0, false, ok},
		{[]string{"renewal", "1EdTech", "--to", "2022-06-30", "--json", "-o", "renewal.json"}, 0, false, ok},
		{[]string{"renewal", "Nobody"}, 2, false, ok},
		{[]string{"evidence", "ims", "--notified", "2022-05-13", "-o", "met.zip"}, 0, false, bytesN},
		{[]string{"evidence", "ims", "--notified", "2022-06-01"}, 0, false, bytesN},
		{[]string{"evidence", "ims", "--notified", "2022-05-13", "-o", "cw.db.key"}, 2, true, ok},
		{[]string{"evidence", "ims", "--notified", "2022-05-13", "-o", "nodir/met.zip"}, 1, false, tmpName},
		{[]string{"evidence", "ims", "--notified", "2021-01-01"}, 1, false, ok},
		{[]string{"export", "--warc", "ims", "-o", "ims.warc.gz"}, 0, false, ok},
		{[]string{"export", "--warc", "--since", "2022-06-28", "ims"}, 0, false, warcNow},
		{[]string{"export", "ims"}, 2, true, ok},
		// Commands that change the database, last: each changes A and B
		// alike, and nothing reads what the daemon does after them.
		{[]string{"check", "ims"}, 0, false, ok},
		{[]string{"check", "nosuch"}, 2, false, ok},
		{[]string{"baseline", "pin", "ims", "clerk", "--at", "2022-05-10", "--json"}, 0, false, func(s string) string {
			if s != "" && !strings.Contains(s, `"by": "`+clientUser+`"`) { // stdout, not stderr
				t.Errorf("baseline pinned by %s, want the client's USER %s", s, clientUser)
			}
			return pinned.ReplaceAllString(s, `"pinned": "T"`)
		}},
		{[]string{"add", "--name", "cor", "--supplier", "COR", "--allow-private", "http://127.0.0.1:1/cor"}, 0, false, ok},
		{[]string{"add", "--name", "cor", "--supplier", "COR", "http://127.0.0.1:1/cor"}, 1, false, ok},
		{[]string{"source", "edit", "cor", "--select", "main", "--render", "never"}, 0, false, ok},
		{[]string{"source", "edit", "nosuch", "--select", "main"}, 2, false, ok},
		{[]string{"source", "edit", "cor", "--render", "sometimes"}, 2, false, ok},
		{[]string{"subscription", "add", "ann@example.org", "--supplier", "1EdTech", "--floor", "all", "--reminders"}, 0, false, ok},
		{[]string{"subscription", "add", "ann@example.org", "--supplier", "Nobody"}, 2, false, ok},
		{[]string{"subscription", "add", "ann@example.org", "--owner", "nobody"}, 2, false, ok},
		{[]string{"subscription", "list"}, 0, false, ok},
		{[]string{"subscription", "remove", "1"}, 0, false, ok},
		{[]string{"subscription", "remove", "1"}, 2, false, ok},
		{[]string{"subscription", "remove", "one"}, 2, true, ok},
		{[]string{"webhook", "add", "https://93.184.215.14/hook", "--revet-only"}, 0, false, func(s string) string { return hookSecret.ReplaceAllString(s, "whsec_S") }},
		{[]string{"webhook", "add", "http://127.0.0.1:9/hook"}, 2, false, ok},
		{[]string{"webhook", "list"}, 0, false, ok},
		{[]string{"webhook", "remove", "1"}, 0, false, ok},
	} {
		args := append(tt.args, "--db", "cw.db")
		if tt.args[len(tt.args)-1] == "-h" {
			args = tt.args
		}
		outA, errA, codeA := cli(t, dirA, args...)
		outB, errB, codeB := cli(t, dirB, args...)
		name := strings.Join(tt.args, " ")
		if codeA != tt.code || codeB != tt.code {
			t.Errorf("%s: exit %d beside the daemon, %d stopped; want %d\n%s%s", name, codeA, codeB, tt.code, errA, errB)
		}
		if tt.norm(outA) != tt.norm(outB) {
			t.Errorf("%s: standard output beside the daemon:\n%s\nstopped:\n%s", name, outA, outB)
		}
		if tt.norm(errA) != tt.norm(errB) {
			t.Errorf("%s: standard error beside the daemon:\n%s\nstopped:\n%s", name, errA, errB)
		}
		if !tt.local {
			forwarded++
		}
	}
	// Every command that opened the database ran in the daemon (it logs
	// each one after answering), and no other.
	d.waitFor(t, forwarded, `"msg":"admin command"`)
	if n := d.count(`"msg":"admin command"`); n != forwarded {
		t.Errorf("the daemon ran %d commands for clients, want %d", n, forwarded)
	}

	// The files went to the client's directory, not the daemon's, and
	// hold the same.
	for _, name := range []string{"met.zip", "evidence-ims-2022-06-01.zip", "renewal.json", "ims.warc.gz"} {
		fa, errA := os.ReadFile(filepath.Join(dirA, name))
		fb, errB := os.ReadFile(filepath.Join(dirB, name))
		if errA != nil || errB != nil || len(fa) == 0 {
			t.Errorf("%s: beside the daemon %v, stopped %v", name, errA, errB)
		}
		if name == "renewal.json" && !bytes.Equal(generated.ReplaceAll(fa, nil), generated.ReplaceAll(fb, nil)) {
			t.Errorf("renewal.json differs:\n%s\n%s", fa, fb)
		}
	}
	if left, _ := os.ReadDir(dirD); len(left) != 0 {
		t.Errorf("the daemon wrote into its own directory: %v", left)
	}
	// Its evidence verifies against the published key.
	key, _, _ := cli(t, dirA, "key", "--db", "cw.db")
	for _, dir := range []string{dirA, dirB} {
		if out, errOut, code := cli(t, dir, "verify", "met.zip", "--key", strings.TrimSpace(key)); code != 0 || !strings.HasSuffix(out, "met.zip: verified\n") {
			t.Errorf("verify in %s: exit %d\n%s%s", dir, code, out, errOut)
		}
	}
	if _, err := d.stop(t, syscall.SIGTERM); err != nil {
		t.Errorf("daemon exit: %v", err)
	}
}
