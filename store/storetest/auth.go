package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/store"
)

var authCases = []Case{
	{"Auth/Tokens", func(t *testing.T, db store.Store, clock *Clock) {
		ctx := t.Context()
		secret, tok, err := db.CreateToken(ctx, " ana ", store.RoleReviewer)
		if err != nil || !strings.HasPrefix(secret, "cw_") || tok.Name != "ana" || tok.Role != store.RoleReviewer || tok.Hash == "" || strings.Contains(tok.Hash, secret) || !tok.Created.Equal(clock.Now()) {
			t.Fatalf("token %q %+v, %v", secret, tok, err)
		}
		_, _, err = db.CreateToken(ctx, "ana", store.RoleAdmin)
		wantErr(t, "same name", err, store.ErrExists)
		_, _, err = db.CreateToken(ctx, "", store.RoleAdmin)
		wantErr(t, "no name", err, store.ErrInvalid)
		for _, bad := range []store.Role{"", "root", "Admin"} {
			_, _, err = db.CreateToken(ctx, "cy", bad)
			wantErr(t, "role "+string(bad), err, store.ErrInvalid)
		}
		_, _, err = db.CreateToken(ctx, "bo", store.RoleViewer)
		must(t, "second token", err)
		got, err := db.TokenFor(ctx, secret)
		if err != nil || got.Name != "ana" || got.Role != store.RoleReviewer || got.EffectiveRole() != store.RoleReviewer {
			t.Errorf("TokenFor = %+v, %v", got, err)
		}
		for _, bad := range []string{"", "cw_nope", secret + "x", "x" + secret} {
			_, err := db.TokenFor(ctx, bad)
			wantErr(t, "TokenFor("+bad+")", err, store.ErrNotFound)
		}
		all, err := db.Tokens(ctx)
		names := []string{}
		for _, tk := range all {
			names = append(names, tk.Name+":"+string(tk.EffectiveRole()))
		}
		slices.Sort(names)
		if err != nil || !slices.Equal(names, []string{"ana:reviewer", "bo:viewer"}) {
			t.Errorf("Tokens = %v, %v", names, err)
		}
		wantErr(t, "revoke unknown", db.RevokeToken(ctx, "cy"), store.ErrNotFound)
		must(t, "revoke", db.RevokeToken(ctx, "ana"))
		_, err = db.TokenFor(ctx, secret)
		wantErr(t, "revoked token", err, store.ErrNotFound)
	}},
	{"Auth/Sessions", func(t *testing.T, db store.Store, clock *Clock) {
		ctx := t.Context()
		_, tok, err := db.CreateToken(ctx, "ana", store.RoleViewer)
		must(t, "token", err)
		sec, s, err := db.CreateSession(ctx, tok, time.Hour)
		if err != nil || s.User != "ana" || s.EffectiveRole() != store.RoleViewer || s.CSRF == "" || !s.Expires.Equal(clock.Now().Add(time.Hour)) {
			t.Fatalf("session %+v, %v", s, err)
		}
		got, err := db.SessionFor(ctx, sec)
		if err != nil || got.CSRF != s.CSRF || got.User != "ana" || got.EffectiveRole() != store.RoleViewer {
			t.Errorf("SessionFor = %+v, %v", got, err)
		}
		_, err = db.SessionFor(ctx, "s_nope")
		wantErr(t, "unknown session", err, store.ErrNotFound)
		clock.Advance(time.Hour)
		_, err = db.SessionFor(ctx, sec)
		wantErr(t, "expired session", err, store.ErrNotFound)
		sec2, _, err := db.CreateSession(ctx, tok, time.Hour)
		must(t, "second session", err)
		sec3, _, err := db.CreateSession(ctx, tok, time.Hour)
		must(t, "third session", err)
		must(t, "end", db.EndSession(ctx, sec2))
		_, err = db.SessionFor(ctx, sec2)
		wantErr(t, "ended session", err, store.ErrNotFound)
		if _, err := db.SessionFor(ctx, sec3); err != nil {
			t.Errorf("the other session ended too: %v", err)
		}
		// Revoking the token ends its sessions.
		must(t, "revoke", db.RevokeToken(ctx, "ana"))
		_, err = db.SessionFor(ctx, sec3)
		wantErr(t, "session of a revoked token", err, store.ErrNotFound)
	}},
	{"Auth/SetTokenRole", func(t *testing.T, db store.Store, clock *Clock) {
		ctx := t.Context()
		_, ada, err := db.CreateToken(ctx, "ada", store.RoleAdmin)
		must(t, "ada", err)
		_, vic, err := db.CreateToken(ctx, "vic", store.RoleViewer)
		must(t, "vic", err)
		adaSec, _, err := db.CreateSession(ctx, ada, time.Hour)
		must(t, "ada's session", err)
		vicSec, _, err := db.CreateSession(ctx, vic, time.Hour)
		must(t, "vic's session", err)
		roleOf := func(secret string) store.Role {
			t.Helper()
			s, err := db.SessionFor(ctx, secret)
			must(t, "session", err)
			return s.EffectiveRole()
		}
		// Refusals change nothing.
		for _, c := range []struct {
			name string
			role store.Role
			want error
		}{
			{"ada", store.RoleViewer, store.ErrLastAdmin},
			{"ada", store.RoleReviewer, store.ErrLastAdmin},
			{"nobody", store.RoleAdmin, store.ErrNotFound},
			{"vic", "root", store.ErrInvalid},
			{"vic", "", store.ErrInvalid},
		} {
			_, err := db.SetTokenRole(ctx, c.name, c.role)
			wantErr(t, c.name+" to "+string(c.role), err, c.want)
		}
		if roleOf(adaSec) != store.RoleAdmin || roleOf(vicSec) != store.RoleViewer {
			t.Fatalf("a refused change changed a role: ada %s, vic %s", roleOf(adaSec), roleOf(vicSec))
		}
		// Promotion reaches the signed-in session at once, and the
		// token keeps its secret and creation time.
		got, err := db.SetTokenRole(ctx, "vic", store.RoleAdmin)
		if err != nil || got.Role != store.RoleAdmin || got.Hash != vic.Hash || !got.Created.Equal(vic.Created) {
			t.Fatalf("promote vic: %+v, %v", got, err)
		}
		if r := roleOf(vicSec); r != store.RoleAdmin {
			t.Errorf("vic's session after promotion: %s", r)
		}
		// With two admins, one may be demoted; its session loses admin at
		// once; then the other is the last admin.
		_, err = db.SetTokenRole(ctx, "ada", store.RoleViewer)
		must(t, "demote ada", err)
		if r := roleOf(adaSec); r != store.RoleViewer {
			t.Errorf("ada's session after demotion: %s, want viewer", r)
		}
		_, err = db.SetTokenRole(ctx, "vic", store.RoleReviewer)
		wantErr(t, "demote the last admin", err, store.ErrLastAdmin)
		// Setting the role a token has is allowed (the last admin stays
		// admin).
		_, err = db.SetTokenRole(ctx, "vic", store.RoleAdmin)
		must(t, "admin to admin", err)
		all, err := db.Tokens(ctx)
		roles := []string{}
		for _, tk := range all {
			roles = append(roles, tk.Name+":"+string(tk.EffectiveRole()))
		}
		slices.Sort(roles)
		if err != nil || !slices.Equal(roles, []string{"ada:viewer", "vic:admin"}) {
			t.Errorf("Tokens = %v, %v", roles, err)
		}
	}},
}
