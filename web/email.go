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
// (/settings/email) whose forms work without script. E-mail addresses are
// personal data: reading them needs sign-in even with OpenRead.

// apiSubscription is a subscription as the API shows it.
type apiSubscription struct {
	ID        uint64   `json:"id"`
	User      string   `json:"user"`
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
	return apiSubscription{ID: s.ID, User: s.User, Email: s.Email, Suppliers: sups, Floor: s.Floor, Mode: s.Mode,
		Reminders: s.Reminders, Created: s.Created.UTC().Format(time.DateOnly)}
}

// subscriptionRequest is what a caller asks for (API body or form).
type subscriptionRequest struct {
	Email     string   `json:"email"`
	Suppliers []string `json:"suppliers"`
	Floor     string   `json:"floor"`
	Mode      string   `json:"mode"`
	Reminders bool     `json:"reminders"`
}

// addSubscription checks a request (the address, each supplier by name)
// and stores it for the signed-in user.
func (s *Server) addSubscription(ctx context.Context, in subscriptionRequest) (store.Subscription, error) {
	in.Email = strings.TrimSpace(in.Email)
	if err := mail.ValidAddress(in.Email); err != nil {
		return store.Subscription{}, fmt.Errorf("%w: %w", store.ErrInvalid, err)
	}
	if len(in.Suppliers) > 0 {
		known, err := s.supplierNames(ctx)
		if err != nil {
			return store.Subscription{}, err
		}
		for _, name := range in.Suppliers {
			if !slices.Contains(known, strings.TrimSpace(name)) {
				return store.Subscription{}, fmt.Errorf("%w: no supplier named %q (no source or supplier record has that name)", store.ErrInvalid, name)
			}
		}
	}
	sub, err := s.db.AddSubscription(ctx, store.Subscription{User: identityOf(ctx).User, Email: in.Email,
		Suppliers: in.Suppliers, Floor: in.Floor, Mode: in.Mode, Reminders: in.Reminders})
	if err != nil {
		return store.Subscription{}, err
	}
	s.log.InfoContext(ctx, "e-mail subscription added", "subscription", sub.ID, "by", sub.User)
	if s.opts.Mail != nil {
		s.opts.Mail.Notify()
	}
	return sub, nil
}

// supplierNames are the suppliers one can subscribe to: those named by a
// source or a supplier record, sorted.
func (s *Server) supplierNames(ctx context.Context) ([]string, error) {
	srcs, err := s.db.Sources(ctx)
	if err != nil {
		return nil, err
	}
	sups, err := s.db.Suppliers(ctx)
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
	subs, err := s.db.Subscriptions(r.Context())
	if err != nil {
		s.failErr(w, r, "subscriptions", err)
		return
	}
	out := make([]apiSubscription, len(subs))
	for i, sub := range subs {
		out[i] = toAPISubscription(sub)
	}
	writeJSON(w, http.StatusOK, map[string]any{"subscriptions": out, "mail": s.mailStatus()})
}

func (s *Server) apiAddSubscription(w http.ResponseWriter, r *http.Request) {
	var in subscriptionRequest
	if err := decodeBody(w, r, &in); err != nil {
		s.failErr(w, r, "add subscription", err)
		return
	}
	sub, err := s.addSubscription(r.Context(), in)
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
	if err := s.db.DeleteSubscription(r.Context(), id); err != nil {
		s.failErr(w, r, fmt.Sprintf("subscription %d", id), err)
		return
	}
	s.log.InfoContext(r.Context(), "e-mail subscription deleted", "subscription", id, "by", identityOf(r.Context()).User)
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

// mailStatus says whether and how mail goes out.
func (s *Server) mailStatus() string {
	if s.opts.Mail == nil {
		return "not configured"
	}
	return s.opts.Mail.Server()
}

// emailData is the settings page.
type emailData struct {
	Who       identity
	Subs      []store.Subscription
	Others    int
	Suppliers []string
	Server    string
	Notice    string
	Error     string
	Form      subscriptionRequest
}

func (emailData) title() string { return "E-mail" }

func (s *Server) emailPage(w http.ResponseWriter, r *http.Request) {
	s.renderEmail(w, r, http.StatusOK, emailData{Notice: noticeFor(r.URL.Query().Get("done"))})
}

// noticeFor is the line shown after a form redirected back.
func noticeFor(done string) string {
	return map[string]string{"added": "Subscription added.", "deleted": "Subscription removed."}[done]
}

// renderEmail fills in the caller's subscriptions and the suppliers and
// renders the page.
func (s *Server) renderEmail(w http.ResponseWriter, r *http.Request, status int, d emailData) {
	ctx := r.Context()
	subs, err := s.db.Subscriptions(ctx)
	if err != nil {
		s.failErr(w, r, "subscriptions", err)
		return
	}
	d.Who = identityOf(ctx)
	me := d.Who.User
	for _, sub := range subs {
		if sub.User == me {
			d.Subs = append(d.Subs, sub)
		} else {
			d.Others++
		}
	}
	if d.Suppliers, err = s.supplierNames(ctx); err != nil {
		s.failErr(w, r, "suppliers", err)
		return
	}
	d.Server = s.mailStatus()
	s.render(w, r, status, "email", d)
}

func (s *Server) emailAddForm(w http.ResponseWriter, r *http.Request) {
	in := subscriptionRequest{Email: r.PostFormValue("email"), Suppliers: r.PostForm["supplier"],
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
	sub, err := s.db.Subscription(r.Context(), id)
	if err != nil {
		s.failErr(w, r, fmt.Sprintf("subscription %d", id), err)
		return
	}
	if who := identityOf(r.Context()).User; sub.User != who {
		s.fail(w, r, http.StatusForbidden, fmt.Sprintf("subscription %d belongs to %s, not %s", id, sub.User, who))
		return
	}
	if err := s.db.DeleteSubscription(r.Context(), id); err != nil {
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
