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
}
