package main

import (
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestTokenRoles: token add takes --role (flags before or after the
// name), refuses an unknown role with a usage error naming it and makes
// no token then, and token list shows each token's role (admin when none
// was asked for, as before roles).
func TestTokenRoles(t *testing.T) {
	db := filepath.Join(t.TempDir(), "cw.db")
	runOut := func(args ...string) (string, error) {
		var out strings.Builder
		err := run(t.Context(), append([]string{"token", "--db", db}, args...), nil, &out, io.Discard)
		return out.String(), err
	}
	for _, c := range []struct {
		args     []string
		wantRole string
	}{
		{[]string{"add", "vic", "--role", "viewer"}, "viewer"},
		{[]string{"--role", "Reviewer", "add", "rita"}, "reviewer"},
		{[]string{"add", "ada"}, "admin"},
	} {
		out, err := runOut(c.args...)
		if err != nil || !strings.HasPrefix(out, "cw_") || !strings.Contains(out, ", "+c.wantRole+":") {
			t.Errorf("token %v: %q, %v", c.args, out, err)
		}
	}
	out, err := runOut("add", "root", "--role", "superuser")
	if code, msg := exitOf(err); code != 2 || !strings.Contains(msg, `"superuser"`) || out != "" {
		t.Errorf("unknown role: exit %d %q, output %q", code, msg, out)
	}
	out, err = runOut("list", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rows []struct{ Name, Role string }
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("list --json %q: %v", out, err)
	}
	got := map[string]string{}
	for _, r := range rows {
		got[r.Name] = r.Role
	}
	want := map[string]string{"vic": "viewer", "rita": "reviewer", "ada": "admin"}
	if len(got) != len(want) {
		t.Errorf("tokens %v, want %v", got, want)
	}
	for name, role := range want {
		if got[name] != role {
			t.Errorf("token %s: role %q, want %q", name, got[name], role)
		}
	}
	if out, _ := runOut("list"); !strings.Contains(out, "vic\tviewer\t") {
		t.Errorf("token list: %q", out)
	}
}

// TestTokenRoleChange: 'token role NAME ROLE' changes a token's role, by
// itself and beside a running daemon (through its admin socket); it
// refuses to demote the last admin, an unknown token and an unknown role
// (a usage error naming it), and a refusal changes nothing.
func TestTokenRoleChange(t *testing.T) {
	db := filepath.Join(t.TempDir(), "cw.db")
	runOut := func(args ...string) (string, error) {
		var out strings.Builder
		err := run(t.Context(), append([]string{"token", "--db", db}, args...), nil, &out, io.Discard)
		return out.String(), err
	}
	roles := func() string {
		t.Helper()
		out, err := runOut("list")
		if err != nil {
			t.Fatalf("token list: %v", err)
		}
		var got []string
		for l := range strings.Lines(out) {
			f := strings.Split(l, "\t")
			got = append(got, f[0]+":"+f[1])
		}
		return strings.Join(got, " ")
	}
	for _, name := range []string{"ada", "vic"} {
		if _, err := runOut("add", name, "--role", "admin"); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := runOut("role", "vic", "Viewer"); err != nil || !strings.Contains(out, `"vic" is now viewer`) {
		t.Fatalf("role vic viewer: %q, %v", out, err)
	}
	for _, c := range []struct {
		args     []string
		code     int
		wantMsgs []string
	}{
		{[]string{"role", "ada", "reviewer"}, 1, []string{`"ada"`, "only admin"}},
		{[]string{"role", "nobody", "admin"}, 1, []string{`"nobody"`, "not found"}},
		{[]string{"role", "vic", "root"}, 2, []string{`"root"`}},
		{[]string{"role", "vic"}, 2, []string{"token role NAME ROLE"}},
	} {
		out, err := runOut(c.args...)
		code, msg := exitOf(err)
		if code != c.code || out != "" {
			t.Errorf("%v: exit %d (want %d) %q, output %q", c.args, code, c.code, msg, out)
		}
		for _, m := range c.wantMsgs {
			if !strings.Contains(msg, m) {
				t.Errorf("%v: message %q does not name %s", c.args, msg, m)
			}
		}
	}
	if got := roles(); !strings.Contains(got, "ada:admin") || !strings.Contains(got, "vic:viewer") {
		t.Fatalf("after the refusals: %s", got)
	}

	// Beside a daemon, the command goes through its admin socket.
	srv, _ := policyServer(t, func(i, n int) string { return "pages/ims/2022-05-17.html" })
	addSources(t, db, srv.URL, 0, 1)
	d := startDaemon(t, "serve", "--db", db, "--log", "json", "--schedule", "@every 1h", "--jitter", "0")
	d.waitFor(t, 1, `"msg":"admin socket listening"`)
	if out, err := runOut("role", "vic", "admin", "--json"); err != nil || !strings.Contains(out, `"role":"admin"`) {
		t.Fatalf("role through the daemon: %q, %v", out, err)
	}
	d.waitFor(t, 1, `"msg":"admin command"`)
	if out, err := runOut("role", "ada", "viewer"); err != nil {
		t.Fatalf("demote ada through the daemon: %q, %v", out, err)
	}
	if _, err := runOut("role", "vic", "viewer"); err == nil || !strings.Contains(err.Error(), "only admin") {
		t.Errorf("demoting the last admin through the daemon: %v", err)
	}
	if got := roles(); !strings.Contains(got, "ada:viewer") || !strings.Contains(got, "vic:admin") {
		t.Errorf("after the daemon's changes: %s", got)
	}
	if _, err := d.stop(t, syscall.SIGTERM); err != nil {
		t.Errorf("daemon exit: %v", err)
	}
}
