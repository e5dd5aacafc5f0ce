package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/mail/mailtest"
)

// TestSMTPFlags: serve's e-mail settings, the password from the
// environment or a file and never from a flag value.
func TestSMTPFlags(t *testing.T) {
	pwFile := filepath.Join(t.TempDir(), "smtp-password")
	if err := os.WriteFile(pwFile, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		args    []string
		env     string
		wantErr string // "" for success
		wantPW  string
	}{
		{"off", nil, "", "", ""},
		{"password from the environment", []string{"--smtp", "smtp://cw@mail.example.org", "--smtp-from", "clausewatch <cw@example.org>"}, "from-env", "", "from-env"},
		{"password from a file", []string{"--smtp", "smtps://cw@mail.example.org", "--smtp-from", "cw@example.org", "--smtp-password-file", pwFile}, "from-env", "", "from-file"},
		{"relay without auth", []string{"--smtp", "smtp+plain://localhost", "--smtp-from", "cw@example.org"}, "", "", ""},
		{"password in the URL", []string{"--smtp", "smtp://cw:hunter2@mail.example.org", "--smtp-from", "cw@example.org"}, "", "password in the URL", ""},
		{"user without password", []string{"--smtp", "smtp://cw@mail.example.org", "--smtp-from", "cw@example.org"}, "", "no password is set", ""},
		{"password without user", []string{"--smtp", "smtp://mail.example.org", "--smtp-from", "cw@example.org"}, "pw", "names no user", ""},
		{"password on a plain connection", []string{"--smtp", "smtp+plain://localhost", "--smtp-from", "cw@example.org"}, "pw", "names no user", ""},
		{"no sender", []string{"--smtp", "smtp://mail.example.org"}, "", "needs --smtp-from", ""},
		{"bad sender", []string{"--smtp", "smtp://mail.example.org", "--smtp-from", "cw@example.org\r\nBcc: x@y.z"}, "", "--smtp-from", ""},
		{"from without smtp", []string{"--smtp-from", "cw@example.org"}, "", "need --smtp", ""},
		{"missing password file", []string{"--smtp", "smtp://cw@mail.example.org", "--smtp-from", "cw@example.org", "--smtp-password-file", pwFile + ".nope"}, "", "--smtp-password-file", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			f := addSMTPFlags(fs)
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			s, err := f.sender(func(k string) string {
				if k == envSMTPPassword {
					return tc.env
				}
				return ""
			})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want one saying %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Errorf("the error repeats the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(tc.args) == 0 {
				if s != nil {
					t.Errorf("a sender without --smtp")
				}
				return
			}
			if s.Config().Password != tc.wantPW {
				t.Errorf("password %q, want %q", s.Config().Password, tc.wantPW)
			}
		})
	}
}

// TestServeMail: serve with --smtp sends the test e-mail through a real
// SMTP server on 127.0.0.1 (a local relay: the daemon trusts only the
// system's roots, which the test certificate is not among) and keeps
// subscriptions over the API.
func TestServeMail(t *testing.T) {
	smtp := mailtest.Start(t, mailtest.Options{})
	db := filepath.Join(t.TempDir(), "cw.db")
	var out strings.Builder
	if err := run(t.Context(), []string{"token", "--db", db, "add", "alice"}, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	tok := regexp.MustCompile(`cw_[A-Za-z0-9_-]{43}`).FindString(out.String())
	if tok == "" {
		t.Fatalf("no token in %q", out.String())
	}
	d := startDaemon(t, "serve", "--db", db, "--log", "json", "--schedule", "@every 1h", "--jitter", "0",
		"--smtp", fmt.Sprintf("smtp+plain://127.0.0.1:%d", smtp.Port), "--smtp-from", "clausewatch <cw@example.org>")
	d.waitFor(t, 1, `"msg":"web server listening"`)
	if d.count(`"msg":"e-mail on"`, `"smtp":"smtp+plain://127.0.0.1:`) != 1 {
		t.Errorf("no e-mail line in the log:\n%s", d.log())
	}
	m := regexp.MustCompile(`"url":"(http://127\.0\.0\.1:\d+)/"`).FindStringSubmatch(d.log())
	if m == nil {
		t.Fatalf("no URL in the log:\n%s", d.log())
	}
	post := func(path, body string) (int, string) {
		req, _ := http.NewRequestWithContext(t.Context(), "POST", m[1]+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, body := post("/api/email/test", `{"to":"ops@example.org"}`); status != 200 {
		t.Fatalf("test e-mail: %d %s", status, body)
	}
	got := smtp.Messages()
	if len(got) != 1 || got[0].To[0] != "ops@example.org" {
		t.Fatalf("arrived: %+v", got)
	}
	p, err := mailtest.Parse(got[0].Data)
	if err != nil || p.Subject != "[clausewatch] Test e-mail" || p.Text == "" || p.HTML == "" {
		t.Errorf("test e-mail as received: %+v %v", p, err)
	}
	if status, body := post("/api/email/subscriptions", `{"email":"ops@example.org","mode":"digest"}`); status != 201 {
		t.Errorf("subscribe: %d %s", status, body)
	}
}
