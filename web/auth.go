package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/clausewatch/clausewatch/store"
)

// sessionCookie holds the session secret.
const sessionCookie = "cw_session"

// identity is who is asking: nobody, a token holder (API) or a signed-in
// browser (session).
type identity struct {
	User    string
	Role    store.Role     // "" for anonymous readers
	Session *store.Session // nil for tokens and anonymous readers
	Token   bool
}

// SignedIn reports whether anybody is signed in.
func (id identity) SignedIn() bool { return id.User != "" }

// May reports whether the signed-in user's role allows what needs need
// (templates ask it to show only the forms a user may send).
func (id identity) May(need store.Role) bool { return id.SignedIn() && id.Role.Allows(need) }

// Reviews reports whether the user may triage (reviewer or admin).
func (id identity) Reviews() bool { return id.May(store.RoleReviewer) }

// Admins reports whether the user may manage sources, suppliers,
// tokens, webhooks and e-mail.
func (id identity) Admins() bool { return id.May(store.RoleAdmin) }

// CSRF is the token forms carry ("" unless signed in with a session).
func (id identity) CSRF() string {
	if id.Session == nil {
		return ""
	}
	return id.Session.CSRF
}

type identityKey struct{}

func identityOf(ctx context.Context) identity {
	id, _ := ctx.Value(identityKey{}).(identity)
	return id
}

// errBadCredentials is a token or session that was presented but is not
// valid: it is refused, never downgraded to anonymous.
var errBadCredentials = errors.New("web: invalid token or session")

// identify reads the credentials of r: an Authorization header (Bearer
// token, or Basic with the token as password, for feed readers), or the
// session cookie.
func (s *Server) identify(r *http.Request) (identity, error) {
	ctx := r.Context()
	if auth := r.Header.Get("Authorization"); auth != "" {
		secret := ""
		if t, ok := strings.CutPrefix(auth, "Bearer "); ok {
			secret = strings.TrimSpace(t)
		} else if _, p, ok := r.BasicAuth(); ok {
			secret = p
		}
		tok, err := s.db.TokenFor(ctx, secret)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return identity{}, errBadCredentials
			}
			return identity{}, err
		}
		return identity{User: tok.Name, Role: tok.EffectiveRole(), Token: true}, nil
	}
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		sess, err := s.db.SessionFor(ctx, c.Value)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return identity{}, nil // expired or revoked: just signed out
			}
			return identity{}, err
		}
		return identity{User: sess.User, Role: sess.EffectiveRole(), Session: &sess}, nil
	}
	return identity{}, nil
}

// read wraps a handler that only reads: open to all when OpenRead,
// otherwise for token holders and signed-in browsers.
func (s *Server) read(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := s.identify(r)
		if err != nil {
			s.refuse(w, r, err)
			return
		}
		if !id.SignedIn() && !s.opts.OpenRead {
			s.refuse(w, r, nil)
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), identityKey{}, id)))
	}
}

// staffRead wraps a handler that only reads, but reads what anonymous
// readers must not see: it needs a token or a session even with
// OpenRead, and a role that allows need.
func (s *Server) staffRead(need store.Role, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := s.identify(r)
		if err != nil || !id.SignedIn() {
			s.refuse(w, r, err)
			return
		}
		if !id.Role.Allows(need) {
			s.refuseRole(w, r, id, need)
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), identityKey{}, id)))
	}
}

// write wraps a handler that changes state: it needs a token, or a
// session and that session's CSRF token (form field "csrf" or header
// X-CSRF-Token), and a role that allows need (decision record 0043).
func (s *Server) write(need store.Role, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := s.identify(r)
		if err != nil || !id.SignedIn() {
			s.refuse(w, r, err)
			return
		}
		if !id.Role.Allows(need) {
			s.refuseRole(w, r, id, need)
			return
		}
		if id.Session != nil {
			given := r.Header.Get("X-CSRF-Token")
			if given == "" {
				r.Body = http.MaxBytesReader(w, r.Body, maxForm)
				given = r.PostFormValue("csrf")
			}
			if !store.SameSecret(given, id.Session.CSRF) {
				s.fail(w, r.WithContext(context.WithValue(r.Context(), identityKey{}, id)), http.StatusForbidden, "missing or wrong CSRF token: reload the page and try again")
				return
			}
		}
		h(w, r.WithContext(context.WithValue(r.Context(), identityKey{}, id)))
	}
}

// refuseRole answers a signed-in user whose role is below need: 403,
// naming both roles, on a page that shows them signed in.
func (s *Server) refuseRole(w http.ResponseWriter, r *http.Request, id identity, need store.Role) {
	r = r.WithContext(context.WithValue(r.Context(), identityKey{}, id))
	s.log.InfoContext(r.Context(), "refused by role", "user", id.User, "role", id.Role, "needs", need, "method", r.Method, "path", r.URL.Path)
	s.fail(w, r, http.StatusForbidden, fmt.Sprintf("%s is a %s: this needs the %s role (ask an admin)", id.User, id.Role, need))
}

// maxForm bounds a form or JSON request body.
const maxForm = 1 << 20

// refuse answers a request without valid credentials: browsers asking
// for a page are sent to sign in, everything else gets 401.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, err error) {
	if err != nil && !errors.Is(err, errBadCredentials) {
		s.log.ErrorContext(r.Context(), "authenticate", "path", r.URL.Path, "err", err)
		s.fail(w, r, http.StatusInternalServerError, "could not check credentials")
		return
	}
	if r.Method == http.MethodGet && wantsHTML(r) && err == nil {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="clausewatch", Basic realm="clausewatch"`)
	msg := "sign in, or send a token (Authorization: Bearer cw_…)"
	if err != nil {
		msg = "invalid or revoked token"
	}
	s.fail(w, r, http.StatusUnauthorized, msg)
}

// wantsHTML reports whether r is a browser asking for a page.
func wantsHTML(r *http.Request) bool {
	return !strings.HasPrefix(r.URL.Path, "/api/") && strings.Contains(r.Header.Get("Accept"), "text/html")
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	id, _ := s.identify(r)
	s.render(w, r.WithContext(context.WithValue(r.Context(), identityKey{}, id)), http.StatusOK, "login", loginData{Next: safeNext(r.FormValue("next"))})
}

type loginData struct {
	Next, Error string
}

// login exchanges a token for a session cookie.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	next := safeNext(r.PostFormValue("next"))
	tok, err := s.db.TokenFor(r.Context(), strings.TrimSpace(r.PostFormValue("token")))
	if err != nil {
		status, msg := http.StatusUnauthorized, "That token is not valid (or has been revoked)."
		if !errors.Is(err, store.ErrNotFound) {
			s.log.ErrorContext(r.Context(), "sign in", "err", err)
			status, msg = http.StatusInternalServerError, "Could not check the token."
		}
		s.render(w, r, status, "login", loginData{Next: next, Error: msg})
		return
	}
	secret, _, err := s.db.CreateSession(r.Context(), tok, s.opts.SessionTTL)
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "could not start a session")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: secret, Path: "/", MaxAge: int(s.opts.SessionTTL.Seconds()),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: strings.HasPrefix(s.baseURL(r), "https:")})
	s.log.InfoContext(r.Context(), "signed in", "user", tok.Name)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := s.db.EndSession(r.Context(), c.Value); err != nil {
			s.log.ErrorContext(r.Context(), "sign out", "err", err)
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// safeNext keeps a post-sign-in redirect on this site: a path, never
// another host ("//evil.example", "https://…", "/\\evil", or "/\t/evil",
// which browsers read as "//evil" once they drop the tab).
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		return "/"
	}
	for _, c := range []byte(next) {
		if c < 0x20 || c == 0x7f || c == '\\' {
			return "/"
		}
	}
	if u, err := url.Parse(next); err != nil || u.Scheme != "" || u.Host != "" {
		return "/"
	}
	return next
}
