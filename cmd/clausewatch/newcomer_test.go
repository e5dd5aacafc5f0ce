package main

import (
	"fmt"
	"github.com/clausewatch/clausewatch/store"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestSourcesNotCheckedYet: a source added but never fetched reads "not
// checked yet" in `clausewatch sources`, as on the web dashboard, not the
// "ok" of a source tracked well; a paused one says so.
func TestSourcesNotCheckedYet(t *testing.T) {
	db := filepath.Join(t.TempDir(), "cw.db")
	for _, a := range [][]string{
		{"add", "--db", db, "--name", "fresh", "--supplier", "Acme", "https://example.org/privacy"},
	} {
		if out, errOut, code := runCLI(t, "", a...); code != 0 {
			t.Fatalf("%v: %d %q %q", a, code, out, errOut)
		}
	}
	out, errOut, code := runCLI(t, "", "sources", "--db", db)
	if code != 0 {
		t.Fatalf("sources: %d %q", code, errOut)
	}
	var row string
	for line := range strings.Lines(out) {
		if strings.Contains(line, "fresh") {
			row = line
		}
	}
	if !strings.Contains(row, "not checked yet") || strings.Contains(row, " ok ") {
		t.Errorf("sources: the never-checked source's row is %q, want \"not checked yet\":\n%s", row, out)
	}
}

// TestSSRFRefusalSaysHow: a source on a local address added without
// --allow-private is refused by the SSRF guard, and the refusal names
// the flags that allow it.
func TestSSRFRefusalSaysHow(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<html><body><main><h1>Privacy</h1><p>We keep your data for thirty days and then delete it.</p></main></body></html>")
	}))
	defer srv.Close()
	db := filepath.Join(t.TempDir(), "cw.db")
	if out, errOut, code := runCLI(t, "", "add", "--db", db, "--name", "local", "--supplier", "Acme", srv.URL+"/privacy"); code != 0 {
		t.Fatalf("add: %d %q %q", code, out, errOut)
	}
	out, errOut, _ := runCLI(t, "", "check", "--db", db, "local")
	for _, want := range []string{"SSRF guard", "--allow-private", "source edit"} {
		if !strings.Contains(out+errOut, want) {
			t.Errorf("check of a local source: %q not said:\n%s%s", want, out, errOut)
		}
	}
}

// TestSourceEdit: `clausewatch source edit` changes only the flags given,
// makes the source due at once, keeps a private-address grant to the URL
// it was given for, and refuses bad input naming it.
func TestSourceEdit(t *testing.T) {
	var b strings.Builder
	b.WriteString("<html><body><nav>Menu</nav><main><h1>Privacy policy</h1>")
	for _, topic := range []string{"account details", "usage logs", "support messages", "payment records", "device data", "location hints"} {
		fmt.Fprintf(&b, "<h2>%s</h2><p>We collect %s to run the service. We keep %s for thirty days and then delete them. "+
			"We never sell %s to advertisers, and you may ask us for a copy at any time.</p>", topic, topic, topic, topic)
	}
	b.WriteString("</main></body></html>")
	page := b.String()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, page) }))
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "cw.db")
	if out, errOut, code := runCLI(t, "", "add", "--db", path, "--name", "acme", "--supplier", "Acme", "https://example.org/privacy"); code != 0 {
		t.Fatalf("add: %d %q %q", code, out, errOut)
	}
	// A due time far off, as the daemon's schedule leaves it between slots.
	later := time.Now().Add(30 * 24 * time.Hour)
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	src, err := db.Source(t.Context(), "acme")
	if err == nil {
		err = db.SetDue(t.Context(), store.Due{SourceID: src.ID, Schedule: "@daily", Zone: "UTC", Slot: later, At: later})
	}
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		args []string
		code int
		want string // in stdout or stderr
	}{
		{"bad render mode", []string{"--render", "sometimes"}, 2, "--render"},
		{"bad selector", []string{"--select", "main[["}, 2, "main[["},
		{"bad schedule", []string{"--schedule", "every tuesday"}, 2, "every tuesday"},
		{"unknown source", []string{"--url", srv.URL}, 2, "nosuch"},
		{"local URL, selectors, render", []string{"--url", srv.URL + "/privacy", "--select", "main", "--remove", "nav", "--render", "never"}, 0, "due now"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := "acme"
			if tc.name == "unknown source" {
				name = "nosuch"
			}
			out, errOut, code := runCLI(t, "", append([]string{"source", "edit", "--db", path, name}, tc.args...)...)
			if code != tc.code || !strings.Contains(out+errOut, tc.want) {
				t.Errorf("source edit %v: %d %q %q, want %d and %q", tc.args, code, out, errOut, tc.code, tc.want)
			}
		})
	}

	db, err = store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	src, err = db.Source(t.Context(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	due, err := db.DueOf(t.Context(), src.ID)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if src.URL != srv.URL+"/privacy" || !slices.Equal(src.Select, []string{"main"}) || !slices.Equal(src.Remove, []string{"nav"}) ||
		src.Render != store.RenderNever || src.Supplier != "Acme" || src.AllowPrivate {
		t.Errorf("after the edit: %+v", src)
	}
	if !due.At.Before(later) || due.At.After(time.Now()) {
		t.Errorf("after the edit the source is due at %v, want now (it was %v)", due.At, later)
	}

	// The new URL is local: refused until the operator grants it.
	if out, errOut, _ := runCLI(t, "", "check", "--db", path, "acme"); !strings.Contains(out+errOut, "SSRF guard") {
		t.Errorf("check of the local URL without a grant: %q %q", out, errOut)
	}
	if out, errOut, code := runCLI(t, "", "source", "edit", "--db", path, "acme", "--allow-private"); code != 0 {
		t.Fatalf("grant: %d %q %q", code, out, errOut)
	}
	if out, errOut, code := runCLI(t, "", "check", "--db", path, "acme"); code != 0 || !strings.Contains(out, "acme: new, version 1") {
		t.Errorf("check after the grant: %d %q %q", code, out, errOut)
	}
	// The grant belongs to the URL: a new URL is guarded again.
	if out, errOut, code := runCLI(t, "", "source", "edit", "--db", path, "acme", "--url", srv.URL+"/other", "--json"); code != 0 || strings.Contains(out, "allow_private") {
		t.Errorf("new URL after a grant: %d %q %q, want the grant gone", code, out, errOut)
	}
}

// TestHelpSaysWhatItDoes: demo -h and diff -h say what the commands do
// beyond their flags (the demo's temporary database, token and seal
// record; diff's classes, verdict and stored form).
func TestHelpSaysWhatItDoes(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"demo", "-h"}, []string{"temporary", "deleted on exit", "token", "deadlines", "renewal report", "Ctrl-C"}},
		{[]string{"diff", "-h"}, []string{"SOURCE", "substantive", "editorial", "rename-only", "cosmetic", "Re-vet", "--all", "Exit status"}},
		{[]string{"diff", "ims", "-h"}, []string{"stored versions", "--baseline"}},
		{[]string{"source", "edit", "-h"}, []string{"due at once", "--allow-private", "--select"}},
	} {
		out, errOut, code := runCLI(t, "", tc.args...)
		if code != 0 {
			t.Errorf("%v: exit %d %q", tc.args, code, errOut)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v does not say %q:\n%s", tc.args, w, out)
			}
		}
	}
}
