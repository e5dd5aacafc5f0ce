package main

import (
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
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
