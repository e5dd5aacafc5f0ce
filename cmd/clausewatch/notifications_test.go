package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/store"
)

// TestSubscriptionAndWebhookCommands: subscription and webhook list, add
// and remove, in order on one database, with the web forms' checks —
// bad input is exit status 2 with a message naming it, and stores
// nothing.
func TestSubscriptionAndWebhookCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "cw.db")
	os.WriteFile(filepath.Join(dir, "short"), []byte("tooshort\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "secret"), []byte("a-secret-of-24-characters\n"), 0o600)
	for _, args := range [][]string{
		{"add", "--name", "acme", "--supplier", "ACME", "--allow-private", "http://127.0.0.1:1/p"},
		{"token", "add", "vic", "--role", "viewer"},
	} {
		if err := run(t.Context(), append(args, "--db", db), nil, io.Discard, io.Discard); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
	}
	for _, tc := range []struct {
		args []string
		code int
		// out is in standard output (code 0) or the message (otherwise).
		out []string
	}{
		{[]string{"subscription", "list"}, 0, []string{"ID  OWNER"}},
		{[]string{"subscription", "add", "ops@example.org"}, 0, []string{"subscription 1: ops@example.org, changes that call for re-vetting of every supplier, as they happen (the admins')"}},
		{[]string{"subscription", "add", "vic@example.org", "--owner", "vic", "--supplier", "ACME", "--floor", "all", "--mode", "digest", "--reminders"}, 0,
			[]string{"subscription 2: vic@example.org, every change of ACME, in a daily digest, with deadline reminders (vic's)"}},
		{[]string{"subscription", "add", "not-an-address"}, 2, []string{`invalid address: "not-an-address"`}},
		{[]string{"subscription", "add", "a@example.org\r\nBcc: x@example.org"}, 2, []string{"invalid address"}},
		{[]string{"subscription", "add", "a@example.org", "--supplier", "Nobody Ltd"}, 2, []string{`no supplier named "Nobody Ltd"`}},
		{[]string{"subscription", "add", "a@example.org", "--floor", "some"}, 2, []string{`floor "some" (want revet or all)`}},
		{[]string{"subscription", "add", "a@example.org", "--mode", "hourly"}, 2, []string{`mode "hourly"`}},
		{[]string{"subscription", "add", "a@example.org", "--owner", "rita"}, 2, []string{`owner "rita": no token has that name`}},
		{[]string{"subscription", "add"}, 2, []string{"want 'subscription list', 'subscription add EMAIL'"}},
		{[]string{"subscription", "drop", "1"}, 2, []string{"see clausewatch subscription -h"}},
		{[]string{"subscription", "remove", "0"}, 2, []string{`"0" is not a subscription number`}},
		{[]string{"subscription", "remove", "7"}, 2, []string{"no subscription 7 (clausewatch subscription list shows them)"}},
		{[]string{"subscription", "list", "--owner", "vic"}, 0, []string{"2   vic    vic@example.org  all    digest  ACME       true"}},
		{[]string{"subscription", "remove", "1"}, 0, []string{"subscription 1 removed"}},
		{[]string{"webhook", "add", "http://127.0.0.1:9/hook"}, 2, []string{"refused by the SSRF guard", "127.0.0.1 is loopback", "webhook add --allow-private"}},
		{[]string{"webhook", "add", "ftp://93.184.215.14/hook"}, 2, []string{"webhook URL"}},
		{[]string{"webhook", "add", "https://93.184.215.14/hook", "--format", "xml"}, 2, []string{`webhook format "xml" (want json or slack)`}},
		{[]string{"webhook", "add", "https://93.184.215.14/hook", "--secret-file", "short"}, 2, []string{"secret: at least 16 characters"}},
		{[]string{"webhook", "add", "https://93.184.215.14/hook", "--secret-file", "missing"}, 2, []string{"--secret-file", "missing"}},
		{[]string{"webhook", "add", "https://93.184.215.14/hook", "--secret-file", "secret", "--revet-only"}, 0,
			[]string{"webhook 1: https://93.184.215.14/hook (json, re-vet changes only)", "secret: a-secret-of-24-characters\n"}},
		{[]string{"webhook", "add", "http://127.0.0.1:9/hook", "--allow-private", "--format", "slack"}, 0, []string{"webhook 2: http://127.0.0.1:9/hook (slack)", "secret: whsec_"}},
		{[]string{"webhook", "list"}, 0, []string{"1   https://93.184.215.14/hook  json    true", "2   http://127.0.0.1:9/hook"}},
		{[]string{"webhook", "remove", "x"}, 2, []string{`"x" is not a webhook number`}},
		{[]string{"webhook", "remove", "9"}, 2, []string{"no webhook 9"}},
		{[]string{"webhook", "remove", "2"}, 0, []string{"webhook 2 removed"}},
	} {
		var out strings.Builder
		args := append(append([]string{}, tc.args...), "--db", db)
		// Relative files (--secret-file) are read against the invoking
		// directory, as a client's through the daemon.
		e := processEnv(nil, &out, io.Discard)
		e.dir = dir
		code, msg := exitOf(dispatch(t.Context(), e, args))
		got := out.String()
		if code != 0 {
			got = msg
		}
		if code != tc.code {
			t.Errorf("%v: exit %d (%s), want %d", tc.args, code, got, tc.code)
			continue
		}
		for _, want := range tc.out {
			if !strings.Contains(got, want) {
				t.Errorf("%v: %q does not say %q", tc.args, got, want)
			}
		}
	}

	// What is left, as JSON: vic's subscription; webhook 1 without its secret.
	var out strings.Builder
	if err := run(t.Context(), []string{"subscription", "list", "--json", "--db", db}, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var subs []store.Subscription
	if err := json.Unmarshal([]byte(out.String()), &subs); err != nil || len(subs) != 1 || subs[0].Owner != "vic" || subs[0].User != cliMaker ||
		subs[0].Mode != store.MailDigest || !subs[0].Reminders {
		t.Errorf("subscriptions left: %s %v", out.String(), err)
	}
	out.Reset()
	if err := run(t.Context(), []string{"webhook", "list", "--json", "--db", db}, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); strings.Contains(got, "secret") || !strings.Contains(got, `"revet_only": true`) || strings.Count(got, `"id"`) != 1 {
		t.Errorf("webhooks left: %s", got)
	}
}
