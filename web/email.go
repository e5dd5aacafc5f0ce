package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clausewatch/clausewatch/mail"
	"github.com/clausewatch/clausewatch/store"
)

// E-mail subscriptions: the JSON API (/api/email/...) and one page
// (/settings/email) whose forms work without script. Every signed-in
// user manages their own subscriptions there; admins see and manage
// everyone's (decision record 0046). E-mail addresses are personal data:
// reading them needs sign-in even with OpenRead, and a user never sees
// another's.

// apiSubscription is a subscription as the API shows it.
type apiSubscription struct {
	ID        uint64   `json:"id"`
	User      string   `json:"user"`
	Owner     string   `json:"owner"`
	Email     string   `json:"email"`
	Suppliers []string `json:"suppliers"`
	Floor     string   `json:"floor"`
	Mode      string   `json:"mode"`
	Reminders bool     `json:"reminders"`
	Created   string   `json:"created"`
}

func toAPISubscription(s store.Subscription) apiSubscription {
	sups := s.Suppliers
	if sups == nil {
		sups = []string{}
	}
	return apiSubscription{ID: s.ID, User: s.User, Owner: s.Owner, Email: s.Email, Suppliers: sups, Floor: s.Floor, Mode: s.Mode,
		Reminders: s.Reminders, Created: s.Created.UTC().Format(time.DateOnly)}
}

// SubscriptionRequest is a subscription as the form, the API or the CLI
// ask for it.
type SubscriptionRequest struct {
	Email     string   `json:"email"`
	Suppliers []string `json:"suppliers"`
	Floor     string   `json:"floor"`
	Mode      string   `json:"mode"`
	Reminders bool     `json:"reminders"`
	// Owner is whose it is: the API and the form make it the caller's
	// (an admin may name another user); the CLI's "" is the admins'.
	Owner string `json:"owner"`
}

// PrepareSubscription checks a request as the forms, the API and the CLI
// all do — the address, each supplier by name, the owner (another user
// than by must be a token's name) — and returns the subscription to
// store, made by by. Bad input is a store.ErrInvalid naming it.
func PrepareSubscription(ctx context.Context, db store.Store, in SubscriptionRequest, by string) (store.Subscription, error) {
	in.Email, in.Owner = strings.TrimSpace(in.Email), strings.TrimSpace(in.Owner)
	if err := mail.ValidAddress(in.Email); err != nil {
		return store.Subscription{}, fmt.Errorf("%w: %w", store.ErrInvalid, err)
	}
	if len(in.Suppliers) > 0 {
		known, err := supplierNames(ctx, db)
		if err != nil {
			return store.Subscription{}, err
		}
		for _, name := range in.Suppliers {
			if !slices.Contains(known, strings.TrimSpace(name)) {
				return store.Subscription{}, fmt.Errorf("%w: no supplier named %q (no source or supplier record has that name)", store.ErrInvalid, name)
			}
		}
	}
	if in.Owner != "" && in.Owner != by {
		toks, err := db.Tokens(ctx)
		if err != nil {
			return store.Subscription{}, err
		}
		if !slices.ContainsFunc(toks, func(t store.Token) bool { return t.Name == in.Owner }) {
			return store.Subscription{}, fmt.Errorf("%w: owner %q: no token has that name (an owner is a user, named by a token: see the tokens page or 'clausewatch token list')", store.ErrInvalid, in.Owner)
		}
	}
	sub := store.Subscription{User: by, Owner: in.Owner, Email: in.Email, Suppliers: in.Suppliers, Floor: in.Floor, Mode: in.Mode, Reminders: in.Reminders}
	if err := store.PrepareSubscription(&sub); err != nil {
		return store.Subscription{}, err
	}
	return sub, nil
}

// errNotYours refuses a user who names another owner without being an
// admin.
var errNotYours = errors.New("web: only an admin may subscribe another user")

// addSubscription checks a request and stores it, for the signed-in
// user unless an admin names another owner.
func (s *Server) addSubscription(ctx context.Context, in SubscriptionRequest) (store.Subscription, error) {
	who := identityOf(ctx)
	if in.Owner = strings.TrimSpace(in.Owner); in.Owner == "" {
		in.Owner = who.User
	} else if in.Owner != who.User && !who.Admins() {
		return store.Subscription{}, errNotYours
	}
	sub, err := PrepareSubscription(ctx, s.db, in, who.User)
	if err != nil {
		return store.Subscription{}, err
	}
	if sub, err = s.db.AddSubscription(ctx, sub); err != nil {
		return store.Subscription{}, err
	}
	s.log.InfoContext(ctx, "e-mail subscription added", "subscription", sub.ID, "owner", sub.Owner, "by", sub.User)
	if s.opts.Mail != nil {
		s.opts.Mail.Notify()
	}
	return sub, nil
}

// visibleSubscriptions are the subscriptions the signed-in user may see:
// an admin's, everyone's; anyone else's, their own.
func (s *Server) visibleSubscriptions(ctx context.Context) ([]store.Subscription, error) {
	if who := identityOf(ctx); !who.Admins() {
		return s.db.SubscriptionsOf(ctx, who.User)
	}
	return s.db.Subscriptions(ctx)
}

// deleteSubscription removes a subscription the signed-in user may
// manage: an admin any, anyone else only their own — another's is "not
// found", as one that does not exist, so trying IDs tells nothing.
func (s *Server) deleteSubscription(ctx context.Context, id uint64) error {
	who := identityOf(ctx)
	var err error
	if who.Admins() {
		err = s.db.DeleteSubscription(ctx, id)
	} else {
		err = s.db.DeleteOwnSubscription(ctx, id, who.User)
	}
	if err != nil {
		return err
	}
	s.log.InfoContext(ctx, "e-mail subscription deleted", "subscription", id, "by", who.User)
	return nil
}

// supplierNames are the suppliers one can subscribe to: those named by a
// source or a supplier record, sorted.
func supplierNames(ctx context.Context, db store.Store) ([]string, error) {
	srcs, err := db.Sources(ctx)
	if err != nil {
		return nil, err
	}
	sups, err := db.Suppliers(ctx)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, src := range srcs {
		if src.Supplier != "" {
			names = append(names, src.Supplier)
		}
	}
	for _, sup := range sups {
		names = append(names, sup.Name)
	}
	slices.SortFunc(names, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	return slices.Compact(names), nil
}

func (s *Server) apiSubscriptions(w http.ResponseWriter, r *http.Request) {
	subs, err := s.visibleSubscriptions(r.Context())
	if err != nil {
		s.failErr(w, r, "subscriptions", err)
		return
	}
	out := make([]apiSubscription, len(subs))
	for i, sub := range subs {
		out[i] = toAPISubscription(sub)
	}
	writeJSON(w, http.StatusOK, map[string]any{"subscriptions": out, "mail": s.mailStatus(r.Context())})
}

func (s *Server) apiAddSubscription(w http.ResponseWriter, r *http.Request) {
	var in SubscriptionRequest
	if err := decodeBody(w, r, &in); err != nil {
		s.failErr(w, r, "add subscription", err)
		return
	}
	sub, err := s.addSubscription(r.Context(), in)
	if errors.Is(err, errNotYours) {
		s.fail(w, r, http.StatusForbidden, fmt.Sprintf("owner %q: %s is a %s, and only an admin may subscribe another user", in.Owner, identityOf(r.Context()).User, identityOf(r.Context()).Role))
		return
	}
	if err != nil {
		s.failErr(w, r, "add subscription", err)
		return
	}
	w.Header().Set("Location", fmt.Sprintf("/api/email/subscriptions/%d", sub.ID))
	writeJSON(w, http.StatusCreated, toAPISubscription(sub))
}

func (s *Server) apiDeleteSubscription(w http.ResponseWriter, r *http.Request) {
	id, ok := idParam(r, "id")
	if !ok {
		s.fail(w, r, http.StatusNotFound, "no such subscription")
		return
	}
	if err := s.deleteSubscription(r.Context(), id); err != nil {
		s.failErr(w, r, fmt.Sprintf("subscription %d", id), err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// apiOutbox lists queued mail, newest first (?subscription=ID for one).
func (s *Server) apiOutbox(w http.ResponseWriter, r *http.Request) {
	var sub uint64
	if v := r.URL.Query().Get("subscription"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			s.fail(w, r, http.StatusBadRequest, fmt.Sprintf("subscription %q: want a number", v))
			return
		}
		sub = n
	}
	ms, err := s.db.Mails(r.Context(), sub, 100)
	if err != nil {
		s.failErr(w, r, "outbox", err)
		return
	}
	if ms == nil {
		ms = []store.Mail{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"mail": ms})
}

func (s *Server) apiTestMail(w http.ResponseWriter, r *http.Request) {
	var in struct {
		To string `json:"to"`
	}
	if err := decodeBody(w, r, &in); err != nil {
		s.failErr(w, r, "test e-mail", err)
		return
	}
	if status, msg := s.sendTest(r.Context(), in.To); status != http.StatusOK {
		s.fail(w, r, status, msg)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"sent": in.To})
}

// sendTest sends the test e-mail and says how it went: 200, 400 for a
// bad address, 429 over the user's limit, 503 with no mail server, 502
// when the server refused.
func (s *Server) sendTest(ctx context.Context, to string) (int, string) {
	if s.opts.Mail == nil {
		return http.StatusServiceUnavailable, "e-mail is not configured: start serve with --smtp and --smtp-from"
	}
	err := s.opts.Mail.SendTest(ctx, strings.TrimSpace(to), identityOf(ctx).User)
	switch {
	case err == nil:
		return http.StatusOK, ""
	case errors.Is(err, store.ErrInvalid):
		return http.StatusBadRequest, err.Error()
	case errors.Is(err, errTestLimit):
		return http.StatusTooManyRequests, "too many test e-mails: try again in a few minutes"
	}
	return http.StatusBadGateway, "the mail server did not take the message: " + err.Error()
}

// mailStatus says whether mail goes out, and to an admin how: the
// server's address and account are not for every user to read.
func (s *Server) mailStatus(ctx context.Context) string {
	switch {
	case s.opts.Mail == nil:
		return "not configured"
	case !identityOf(ctx).Admins():
		return "configured"
	}
	return s.opts.Mail.Server()
}

// emailData is the settings page: the user's own subscriptions, and
// for an admin everyone else's.
type emailData struct {
	Who       identity
	Subs      []subRow
	Others    []subRow
	Suppliers []string
	Server    string
	Notice    string
	Error     string
	Form      SubscriptionRequest
}

func (emailData) title() string { return "My e-mail" }

// subRow is a subscription as the page lists it: whose it is when not
// the user's own, and the CSRF token its remove button sends.
type subRow struct {
	store.Subscription
	Whose string
	CSRF  string
}

func (s *Server) emailPage(w http.ResponseWriter, r *http.Request) {
	s.renderEmail(w, r, http.StatusOK, emailData{Notice: noticeFor(r.URL.Query().Get("done"))})
}

// noticeFor is the line shown after a form redirected back.
func noticeFor(done string) string {
	return map[string]string{"added": "Subscription added.", "deleted": "Subscription removed."}[done]
}

// renderEmail fills in the subscriptions the caller may see, and the
// suppliers, and renders the page.
func (s *Server) renderEmail(w http.ResponseWriter, r *http.Request, status int, d emailData) {
	ctx := r.Context()
	subs, err := s.visibleSubscriptions(ctx)
	if err != nil {
		s.failErr(w, r, "subscriptions", err)
		return
	}
	d.Who = identityOf(ctx)
	for _, sub := range subs {
		row := subRow{Subscription: sub, CSRF: d.Who.CSRF()}
		switch {
		case sub.Owner == d.Who.User:
			d.Subs = append(d.Subs, row)
			continue
		case sub.Owner == "":
			row.Whose = "the admins'"
		default:
			row.Whose = sub.Owner + "'s"
		}
		d.Others = append(d.Others, row)
	}
	if d.Suppliers, err = supplierNames(ctx, s.db); err != nil {
		s.failErr(w, r, "suppliers", err)
		return
	}
	d.Server = s.mailStatus(ctx)
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, status, "email", d)
}

func (s *Server) emailAddForm(w http.ResponseWriter, r *http.Request) {
	in := SubscriptionRequest{Email: r.PostFormValue("email"), Suppliers: r.PostForm["supplier"],
		Floor: r.PostFormValue("floor"), Mode: r.PostFormValue("mode"), Reminders: r.PostFormValue("reminders") != ""}
	if _, err := s.addSubscription(r.Context(), in); err != nil {
		if errors.Is(err, store.ErrInvalid) {
			s.renderEmail(w, r, http.StatusBadRequest, emailData{Error: err.Error(), Form: in})
			return
		}
		s.failErr(w, r, "add subscription", err)
		return
	}
	http.Redirect(w, r, "/settings/email?done=added", http.StatusSeeOther)
}

func (s *Server) emailDeleteForm(w http.ResponseWriter, r *http.Request) {
	id, ok := idParam(r, "id")
	if !ok {
		s.fail(w, r, http.StatusNotFound, "no such subscription")
		return
	}
	if err := s.deleteSubscription(r.Context(), id); err != nil {
		s.failErr(w, r, fmt.Sprintf("subscription %d", id), err)
		return
	}
	http.Redirect(w, r, "/settings/email?done=deleted", http.StatusSeeOther)
}

func (s *Server) emailTestForm(w http.ResponseWriter, r *http.Request) {
	to := r.PostFormValue("to")
	status, msg := s.sendTest(r.Context(), to)
	d := emailData{Error: msg}
	if status == http.StatusOK {
		d.Notice = "Test e-mail sent to " + to + "."
	}
	s.renderEmail(w, r, status, d)
}
