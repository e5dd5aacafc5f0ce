package store_test

import (
	"errors"
	"testing"

	"github.com/clausewatch/clausewatch/store"
)

func TestRoleParseAndAllows(t *testing.T) {
	for _, c := range []struct {
		in   string
		want store.Role
		ok   bool
	}{
		{"viewer", store.RoleViewer, true},
		{" Reviewer ", store.RoleReviewer, true},
		{"ADMIN", store.RoleAdmin, true},
		{"", "", false},
		{"root", "", false},
	} {
		got, err := store.ParseRole(c.in)
		if got != c.want || (err == nil) != c.ok || (err != nil && !errors.Is(err, store.ErrInvalid)) {
			t.Errorf("ParseRole(%q) = %q, %v", c.in, got, err)
		}
	}
	roles := []store.Role{store.RoleViewer, store.RoleReviewer, store.RoleAdmin}
	for i, have := range roles {
		for j, need := range roles {
			if got := have.Allows(need); got != (i >= j) {
				t.Errorf("%s.Allows(%s) = %v", have, need, got)
			}
		}
	}
	if store.Role("").Allows(store.RoleViewer) || store.Role("root").Allows(store.RoleViewer) {
		t.Error("an unknown role allows something")
	}
	// Tokens and sessions from before roles are admins.
	if r := (store.Token{Name: "old"}).EffectiveRole(); r != store.RoleAdmin {
		t.Errorf("pre-role token: %s", r)
	}
	if r := (store.Session{User: "old"}).EffectiveRole(); r != store.RoleAdmin {
		t.Errorf("pre-role session: %s", r)
	}
}
