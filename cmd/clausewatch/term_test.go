package main

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/vetting"
)

// Hostile text: a window title (OSC 0), a screen clear, a clipboard
// write (OSC 52), a fake row and a right-to-left override.
const (
	hostileName     = "evil\x1b]0;pwned\x07\x1b[2Jfake\nrow\u202e"
	hostileSupplier = "acme\x1b]52;c;cHduZWQ=\x07\nrow2"
)

// hostilePage is a policy whose heading and clauses carry terminal
// escapes; version 2 adds a clause.
func hostilePage(version int) string {
	page := "<html><head><title>Policy \x1b]0;pwned\x07</title></head><body><main>" +
		"<h1>Privacy \x1b]0;pwned\x07 policy</h1>" +
		"<p>We collect your email \x1b[2J address and \u009b31m name when you sign up for an account or write to our support team.</p>" +
		"<p>We keep it for a year\u202e, then delete it from our systems and from every backup we hold, unless the law requires otherwise.</p>" +
		"<p>You may ask us for a copy of everything we hold about you, and ask us to correct or erase it, at any time.</p>"
	if version > 1 {
		page += "<p>We sell your data to \x1b]52;c;cHduZWQ=\x07 brokers.</p>"
	}
	return page + "</main></body></html>"
}

// hostileHistory is a database with one source (ID 1) checked at both
// versions of hostilePage, whose name and supplier were then given
// hostile values directly in the file, as a database written before
// names were validated holds them. It returns the database and the
// page's URL.
func hostileHistory(t *testing.T) (string, string) {
	t.Helper()
	var version atomic.Int32
	version.Store(1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, hostilePage(int(version.Load())))
	}))
	t.Cleanup(srv.Close)
	db := filepath.Join(t.TempDir(), "cw.db")
	must := func(args ...string) {
		t.Helper()
		if out, errOut, code := runCLI(t, "", args...); code != 0 {
			t.Fatalf("%v: exit %d\n%s%s", args, code, out, errOut)
		}
	}
	must("add", srv.URL+"/privacy", "--name", "plain", "--supplier", "acme", "--allow-private", "--db", db)
	must("check", "--db", db, "--confirm-delay", "1ms")
	version.Store(2)
	must("check", "--db", db, "--confirm-delay", "1ms")

	renameSource(t, db, "plain", hostileName, hostileSupplier)
	return db, srv.URL + "/privacy"
}

// renameSource gives source 1 (named old) a new name and supplier
// directly in the database file, bypassing any validation.
func renameSource(t *testing.T, db, old, name, supplier string) {
	t.Helper()
	b, err := bbolt.Open(db, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = b.Update(func(tx *bbolt.Tx) error {
		id := binary.BigEndian.AppendUint64(nil, 1)
		var src map[string]any
		if err := json.Unmarshal(tx.Bucket([]byte("sources")).Get(id), &src); err != nil {
			return err
		}
		src["name"], src["supplier"] = name, supplier
		data, err := json.Marshal(src)
		if err != nil {
			return err
		}
		if err := tx.Bucket([]byte("sources")).Put(id, data); err != nil {
			return err
		}
		names := tx.Bucket([]byte("names"))
		if err := names.Delete([]byte(old)); err != nil {
			return err
		}
		return names.Put([]byte(name), id)
	})
	b.Close()
	if err != nil {
		t.Fatal(err)
	}
}

// TestTerminalOutputEscaped: names and policy text with terminal escapes
// and newlines are printed escaped by every text command: no raw ESC,
// BEL, C1 or bidi override reaches the terminal, and no extra line
// appears; the escapes are shown, visibly.
func TestTerminalOutputEscaped(t *testing.T) {
	db, url := hostileHistory(t)
	dir := t.TempDir()
	v1, v2 := filepath.Join(dir, "v1.html"), filepath.Join(dir, "v2.html")
	os.WriteFile(v1, []byte(hostilePage(1)), 0o644)
	os.WriteFile(v2, []byte(hostilePage(2)), 0o644)
	tests := []struct {
		args  []string
		code  int
		shows string // an escaped form the output must show
		color bool   // the output colours on its own (SGR codes allowed)
	}{
		{args: []string{"sources", "--db", db}, shows: `evil\x1b]0;pwned\x07\x1b[2Jfake\nrow\u202e`},
		{args: []string{"show", "1", "--db", db}, shows: `Privacy \x1b]0;pwned\x07 policy`},
		{args: []string{"diff", "1", "--db", db}, code: 1, shows: `evil\x1b]0;pwned\x07`},
		{args: []string{"history", "1", "--db", db}, shows: `acme\x1b]52;c;cHduZWQ=\x07\nrow2`},
		{args: []string{"changes", "--db", db}, shows: `evil\x1b]0;pwned\x07`},
		{args: []string{"check", "1", "--db", db, "--confirm-delay", "1ms"}, shows: `evil\x1b]0;pwned\x07`},
		{args: []string{"reextract", "1", "--db", db}, shows: `evil\x1b]0;pwned\x07`},
		{args: []string{"extract", url}, shows: `your email \x1b[2J address and \u009b31m name`},
		{args: []string{"diff", v1, v2}, code: 1, shows: `(Policy \x1b]0;pwned\x07)`},
		{args: []string{"diff", "--color", "always", v1, v2}, code: 1, shows: `(Policy \x1b]0;pwned\x07)`, color: true},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args[:1], " "), func(t *testing.T) {
			out, errOut, code := runCLI(t, "", tt.args...)
			if code != tt.code {
				t.Fatalf("%v: exit %d, want %d\n%s%s", tt.args, code, tt.code, out, errOut)
			}
			all := out + errOut
			if tt.color {
				all = stripSGR(all)
			}
			for _, bad := range []string{"\x1b", "\x07", "\u009b", "\u202e"} {
				if strings.Contains(all, bad) {
					t.Errorf("%v: output holds %q:\n%s", tt.args, bad, all)
				}
			}
			for _, line := range strings.Split(all, "\n") {
				if strings.HasPrefix(line, "row") {
					t.Errorf("%v: a name's newline made a line %q", tt.args, line)
				}
			}
			if !strings.Contains(out, tt.shows) {
				t.Errorf("%v: output does not show %s:\n%s", tt.args, tt.shows, out)
			}
		})
	}
}

// stripSGR removes the colour codes the diff report writes itself
// (ESC [ digits/semicolons m).
func stripSGR(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "\x1b[")
		if i < 0 {
			return b.String() + s
		}
		j := i + 2
		for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == ';') {
			j++
		}
		if j < len(s) && s[j] == 'm' {
			b.WriteString(s[:i])
			s = s[j+1:]
			continue
		}
		b.WriteString(s[:i+1])
		s = s[i+1:]
	}
}

// TestExportHostileName: a source whose stored name carries terminal
// escapes and a newline still exports; the warcinfo record shows them
// percent-encoded on one line.
func TestExportHostileName(t *testing.T) {
	db, _ := hostileHistory(t)
	path := filepath.Join(t.TempDir(), "evil.warc")
	out, errOut, code := runCLI(t, "", "export", "--warc", "--db", db, "-o", path, "1")
	if code != 0 {
		t.Fatalf("export: exit %d\n%s%s", code, out, errOut)
	}
	if strings.ContainsAny(out, "\x1b\x07") {
		t.Errorf("export printed raw escapes: %q", out)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	info, _, _ := strings.Cut(string(data), "\r\n\r\nWARC/1.1\r\n")
	want := "description: clausewatch captures of evil%1B]0;pwned%07%1B[2Jfake%0Arow\u202e ("
	if !strings.Contains(info, want) {
		t.Errorf("warcinfo record:\n%q\nwant a line with %q", info, want)
	}
	if strings.Contains(info, "\nrow") || strings.Contains(info, "\x1b") {
		t.Errorf("warcinfo record holds the raw name:\n%q", info)
	}
}

// TestEvidenceHostileName: evidence and verify print a source name from
// the database, and from the bundle, escaped.
func TestEvidenceHostileName(t *testing.T) {
	db := evidenceHistory(t)
	renameSource(t, db, "ims", hostileName, hostileSupplier)
	bundle := filepath.Join(t.TempDir(), "b.zip")
	key, _, _ := runCLI(t, "", "key", "--db", db)
	for _, args := range [][]string{
		{"evidence", "1", "--notified", "2022-05-13", "-o", bundle, "--db", db},
		{"verify", bundle, "--key", strings.TrimSpace(key)},
	} {
		out, errOut, code := runCLI(t, "", args...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s%s", args, code, out, errOut)
		}
		if strings.ContainsAny(out, "\x1b\x07\u202e") || strings.Contains(out, "\nrow") {
			t.Errorf("%v printed the raw name:\n%s", args, out)
		}
		if !strings.Contains(out, `evil\x1b]0;pwned\x07\x1b[2Jfake\nrow\u202e`) {
			t.Errorf("%v does not show the escaped name:\n%s", args, out)
		}
	}
}

// TestTermSafe: what is escaped, and how.
func TestTermSafe(t *testing.T) {
	tests := []struct{ in, one, text string }{
		{"plain ünïcode — ok", "plain ünïcode — ok", "plain ünïcode — ok"},
		{"a\x1b]0;t\x07b", `a\x1b]0;t\x07b`, `a\x1b]0;t\x07b`},
		{"two\nlines\tand tab", `two\nlines\tand tab`, "two\nlines\tand tab"},
		{"cr\r del\x7f nul\x00", `cr\r del\x7f nul\x00`, `cr\r del\x7f nul\x00`},
		{"c1 \u009b2J \u0085", `c1 \u009b2J \u0085`, `c1 \u009b2J \u0085`},
		{"bidi \u202e\u2066\u200f\u061c", `bidi \u202e\u2066\u200f\u061c`, `bidi \u202e\u2066\u200f\u061c`},
		{"sep \u2028\u2029", `sep \u2028\u2029`, `sep \u2028\u2029`},
		{"bad \xff\x9b", `bad \xff\x9b`, `bad \xff\x9b`},
	}
	for _, tt := range tests {
		if got := termSafe(tt.in); got != tt.one {
			t.Errorf("termSafe(%q) = %q, want %q", tt.in, got, tt.one)
		}
		if got := termSafeText(tt.in); got != tt.text {
			t.Errorf("termSafeText(%q) = %q, want %q", tt.in, got, tt.text)
		}
	}
}

// TestRenewalTextEscaped: a renewal report's text shows hostile names
// and notes escaped, each on its own line.
func TestRenewalTextEscaped(t *testing.T) {
	rep := &vetting.Report{
		Supplier: store.Supplier{Name: hostileSupplier},
		Verdict:  "Re-vet: material changes in " + hostileName,
		Sources: []vetting.SourceReport{{Source: hostileName, URL: "https://example.org/p", Kind: store.Privacy,
			Notes:   []string{"note on " + hostileName},
			Changes: []vetting.ChangeRow{{ID: 1, Summary: "Re-vet: \x1b[2J\nrow3"}}}},
		Deadlines: []vetting.Item{{Day: "2024-01-01", State: "open", Title: hostileName, Detail: "x"}},
	}
	var b strings.Builder
	if err := writeReportText(&b, rep); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.ContainsAny(out, "\x1b\x07\u202e") || strings.Contains(out, "\nrow") {
		t.Errorf("renewal text holds raw escapes or a fake row:\n%s", out)
	}
	if !strings.Contains(out, `evil\x1b]0;pwned\x07\x1b[2Jfake\nrow\u202e`) {
		t.Errorf("renewal text does not show the escaped name:\n%s", out)
	}
}
