package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/store"
)

// The programme's records managed from the browser: rubric releases, API
// tokens and webhooks (this file), supplier records, notifications,
// capture tokens and baselines (supplier_forms.go), evidence bundles
// (evidence.go). Every form posts, and is answered with a redirect to the
// page it came from, or with that page again showing the refusal next to
// the form, in the words of the function the CLI and the JSON API call
// too. Nothing here needs script.

// failNamed is failErr, except that "not found" keeps the error's own
// words: they name what is missing (a supplier record, a source).
func (s *Server) failNamed(w http.ResponseWriter, r *http.Request, what string, err error) {
	if errors.Is(err, store.ErrNotFound) {
		s.fail(w, r, http.StatusNotFound, err.Error())
		return
	}
	s.failErr(w, r, what, err)
}

// formError is the status and the words a refused form is shown with:
// the reason for bad input, a missing record or a clash; a generic line
// (and a log entry) for a failure of ours.
func (s *Server) formError(r *http.Request, what string, err error) (int, string) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, err.Error()
	case errors.Is(err, store.ErrInvalid):
		return http.StatusBadRequest, err.Error()
	case errors.Is(err, errTooLarge):
		return http.StatusRequestEntityTooLarge, err.Error()
	case errors.Is(err, store.ErrExists), errors.Is(err, store.ErrAmbiguous), errors.Is(err, store.ErrLastAdmin):
		return http.StatusConflict, err.Error()
	}
	s.log.ErrorContext(r.Context(), what, "path", r.URL.Path, "err", err)
	return http.StatusInternalServerError, what + ": internal error (logged)"
}

// parseForm reads a posted form, bounded.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return fmt.Errorf("%w: the limit is %d bytes", errTooLarge, tooLarge.Limit)
		}
		return fmt.Errorf("%w: form: %v", store.ErrInvalid, err)
	}
	return nil
}

// lines splits a text area into its non-blank lines, trimmed.
func lines(s string) []string {
	var out []string
	for l := range strings.SplitSeq(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// doneMessages are the confirmations a redirect may ask for (?done=):
// a fixed list, so the query string cannot put words on the page.
var doneMessages = map[string]string{
	"record":   "Supplier record saved.",
	"notified": "Notification recorded.",
	"pinned":   "Baseline pinned.",
	"unpinned": "Baseline removed.",
	"rubric":   "Rubric release recorded.",
	"revoked":  "Token revoked; its sessions are ended.",
	"role":     "Role changed; the token's signed-in browsers have the new role from their next page on.",
	"hook":     "Webhook added.",
	"unhooked": "Webhook deleted.",
}

func doneMessage(r *http.Request) string { return doneMessages[r.URL.Query().Get("done")] }

// redirectDone answers a form that worked: back to page, with a
// confirmation.
func redirectDone(w http.ResponseWriter, r *http.Request, page, done string) {
	http.Redirect(w, r, page+"?done="+url.QueryEscape(done), http.StatusSeeOther)
}

// rubricsData is the rubric releases page.
type rubricsData struct {
	Who     identity
	Rubrics []store.Rubric
	Revet   []string
	Form    store.Rubric
	Error   string
	Done    string
}

func (rubricsData) title() string { return "Rubric releases" }

func (s *Server) rubricsPage(w http.ResponseWriter, r *http.Request) {
	s.renderRubrics(w, r, http.StatusOK, rubricsData{Done: doneMessage(r)})
}

func (s *Server) renderRubrics(w http.ResponseWriter, r *http.Request, status int, d rubricsData) {
	d.Who = identityOf(r.Context())
	var err error
	if d.Rubrics, err = s.db.Rubrics(r.Context()); err != nil {
		s.failErr(w, r, "rubrics", err)
		return
	}
	if d.Revet, err = s.program().NeedsRevet(r.Context()); err != nil {
		s.failErr(w, r, "rubrics", err)
		return
	}
	s.render(w, r, status, "rubrics", d)
}

func (s *Server) rubricForm(w http.ResponseWriter, r *http.Request) {
	var d rubricsData
	if err := parseForm(w, r); err != nil {
		status, msg := s.formError(r, "rubric", err)
		s.renderRubrics(w, r, status, rubricsData{Error: msg})
		return
	}
	d.Form = store.Rubric{Version: r.PostFormValue("version"), Released: r.PostFormValue("released"), Note: r.PostFormValue("note")}
	if v := strings.TrimSpace(r.PostFormValue("revet_days")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			d.Error = fmt.Sprintf("re-vet period %q: want a whole number of days, 1 or more", v)
			s.renderRubrics(w, r, http.StatusBadRequest, d)
			return
		}
		d.Form.RevetDays = n
	}
	if _, _, err := s.program().AddRubric(r.Context(), d.Form); err != nil {
		status, msg := s.formError(r, "rubric", err)
		d.Error = msg
		s.renderRubrics(w, r, status, d)
		return
	}
	redirectDone(w, r, "/rubrics", "rubric")
}

// tokensData is the API tokens page. Secret is a token just made: shown
// on this one answer, never again.
type tokensData struct {
	Who    identity
	Tokens []store.Token
	Name   string
	Role   store.Role
	Roles  []store.Role
	Secret string
	Error  string
	Done   string
}

func (tokensData) title() string { return "API tokens" }

func (s *Server) tokensPage(w http.ResponseWriter, r *http.Request) {
	s.renderTokens(w, r, http.StatusOK, tokensData{Done: doneMessage(r)})
}

func (s *Server) renderTokens(w http.ResponseWriter, r *http.Request, status int, d tokensData) {
	d.Who = identityOf(r.Context())
	d.Roles = []store.Role{store.RoleViewer, store.RoleReviewer, store.RoleAdmin}
	if d.Role == "" {
		d.Role = store.RoleViewer // the least trusted, unless chosen
	}
	var err error
	if d.Tokens, err = s.db.Tokens(r.Context()); err != nil {
		s.failErr(w, r, "tokens", err)
		return
	}
	for i := range d.Tokens {
		d.Tokens[i].Hash = ""
	}
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, status, "tokens", d)
}

// createToken makes a token named name with the role named role (def
// when none is named), for the form and the API.
func (s *Server) createToken(ctx context.Context, name, role string, def store.Role) (string, store.Token, error) {
	r, err := store.ParseRoleOr(role, def)
	if err != nil {
		return "", store.Token{}, err
	}
	secret, tok, err := s.db.CreateToken(ctx, name, r)
	if err != nil {
		return "", store.Token{}, err
	}
	s.log.InfoContext(ctx, "token created", "token", tok.Name, "role", tok.Role, "by", identityOf(ctx).User)
	return secret, tok, nil
}

// tokenForm makes a token and shows it once, on the answer itself: a
// redirect would have to keep the secret somewhere to show it.
func (s *Server) tokenForm(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		status, msg := s.formError(r, "add token", err)
		s.renderTokens(w, r, status, tokensData{Error: msg})
		return
	}
	d := tokensData{Name: r.PostFormValue("name"), Role: store.Role(r.PostFormValue("role"))}
	secret, tok, err := s.createToken(r.Context(), d.Name, r.PostFormValue("role"), store.RoleViewer)
	if err != nil {
		status, msg := s.formError(r, "add token", err)
		d.Error = msg
		s.renderTokens(w, r, status, d)
		return
	}
	d.Name, d.Role, d.Secret = tok.Name, tok.Role, secret
	s.renderTokens(w, r, http.StatusCreated, d)
}

func (s *Server) revokeTokenForm(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		status, msg := s.formError(r, "revoke token", err)
		s.renderTokens(w, r, status, tokensData{Error: msg})
		return
	}
	name := r.PostFormValue("name")
	if err := s.db.RevokeToken(r.Context(), name); err != nil {
		status, msg := s.formError(r, "revoke token", fmt.Errorf("token %q: %w", name, err))
		s.renderTokens(w, r, status, tokensData{Error: msg})
		return
	}
	s.log.InfoContext(r.Context(), "token revoked", "token", name, "by", identityOf(r.Context()).User)
	if id := identityOf(r.Context()); id.Session != nil && id.User == name {
		// The signed-in user revoked their own token: the session is gone.
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	redirectDone(w, r, "/tokens", "revoked")
}

// setTokenRole gives the token named name the role named role, for the
// form and the API.
func (s *Server) setTokenRole(ctx context.Context, name, role string) (store.Token, error) {
	r, err := store.ParseRole(role)
	if err != nil {
		return store.Token{}, err
	}
	tok, err := s.db.SetTokenRole(ctx, name, r)
	if err != nil {
		return store.Token{}, err
	}
	s.log.InfoContext(ctx, "token role changed", "token", tok.Name, "role", tok.Role, "by", identityOf(ctx).User)
	return tok, nil
}

// tokenRoleForm changes a token's role. Signed-in browsers of that token
// have the new role from their next request on (the session reads the
// token's role each time).
func (s *Server) tokenRoleForm(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		status, msg := s.formError(r, "change role", err)
		s.renderTokens(w, r, status, tokensData{Error: msg})
		return
	}
	name := r.PostFormValue("name")
	tok, err := s.setTokenRole(r.Context(), name, r.PostFormValue("role"))
	if err != nil {
		status, msg := s.formError(r, "change role", fmt.Errorf("token %q: %w", name, err))
		s.renderTokens(w, r, status, tokensData{Error: msg})
		return
	}
	if id := identityOf(r.Context()); id.User == name && !tok.Role.Allows(store.RoleAdmin) {
		// The signed-in user gave up admin: the tokens page is no longer
		// theirs to read.
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	redirectDone(w, r, "/tokens", "role")
}

// WebhookInput is a webhook as staff ask for it: by the form, the API or
// the CLI.
type WebhookInput struct {
	URL       string `json:"url"`
	Format    string `json:"format"`
	RevetOnly bool   `json:"revet_only"`
	Secret    string `json:"secret"`
}

// PrepareWebhook checks a webhook as the form, the API and the CLI all
// do — a secret of at least 16 characters or none (one is made), a
// receiver URL that check (the deliverer's SSRF guard) lets it post to,
// the store's checks of the URL and format — and returns the webhook to
// store. Bad input is a store.ErrInvalid naming it.
func PrepareWebhook(ctx context.Context, in WebhookInput, check func(context.Context, string) error) (store.Webhook, error) {
	in.URL = strings.TrimSpace(in.URL)
	if in.Secret != "" && len(in.Secret) < 16 {
		return store.Webhook{}, fmt.Errorf("%w: secret: at least 16 characters (or leave it out and one is made)", store.ErrInvalid)
	}
	if err := CheckWebhookURL(ctx, in.URL, check); err != nil {
		return store.Webhook{}, fmt.Errorf("%w: %w", store.ErrInvalid, err)
	}
	h := store.Webhook{URL: in.URL, Format: in.Format, RevetOnly: in.RevetOnly, Secret: in.Secret}
	if err := store.PrepareWebhook(&h); err != nil {
		return store.Webhook{}, err
	}
	return h, nil
}

// addWebhook checks and stores a webhook and wakes the deliverer: the
// JSON API and the form both call it.
func (s *Server) addWebhook(ctx context.Context, in WebhookInput) (store.Webhook, error) {
	check := fetch.NewGuard(fetch.GuardOptions{}).CheckURL
	if s.opts.Webhooks != nil {
		check = s.opts.Webhooks.CheckURL
	}
	h, err := PrepareWebhook(ctx, in, check)
	if err != nil {
		return store.Webhook{}, err
	}
	if h, err = s.db.AddWebhook(ctx, h); err != nil {
		return store.Webhook{}, err
	}
	s.log.InfoContext(ctx, "webhook added", "webhook", h.ID, "url", h.URL, "by", identityOf(ctx).User)
	if s.opts.Webhooks != nil {
		s.opts.Webhooks.Notify()
	}
	return h, nil
}

// webhooksData is the webhooks page (staff only: a hook's URL is a
// credential). Added is a webhook just made, with its secret, shown once.
type webhooksData struct {
	Who     identity
	Hooks   []store.Webhook
	Formats []string
	Form    WebhookInput
	Added   *store.Webhook
	Error   string
	Done    string
}

func (webhooksData) title() string { return "Webhooks" }

func (s *Server) webhooksPage(w http.ResponseWriter, r *http.Request) {
	s.renderWebhooks(w, r, http.StatusOK, webhooksData{Done: doneMessage(r)})
}

func (s *Server) renderWebhooks(w http.ResponseWriter, r *http.Request, status int, d webhooksData) {
	d.Who = identityOf(r.Context())
	var err error
	if d.Hooks, err = s.db.Webhooks(r.Context()); err != nil {
		s.failErr(w, r, "webhooks", err)
		return
	}
	for i := range d.Hooks {
		d.Hooks[i].Secret = ""
	}
	d.Formats = []string{store.HookJSON, store.HookSlack}
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, status, "webhooks", d)
}

func (s *Server) webhookForm(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		status, msg := s.formError(r, "add webhook", err)
		s.renderWebhooks(w, r, status, webhooksData{Error: msg})
		return
	}
	d := webhooksData{Form: WebhookInput{URL: strings.TrimSpace(r.PostFormValue("url")), Format: r.PostFormValue("format"),
		RevetOnly: r.PostFormValue("revet_only") != "", Secret: r.PostFormValue("secret")}}
	h, err := s.addWebhook(r.Context(), d.Form)
	if err != nil {
		status, msg := s.formError(r, "add webhook", err)
		d.Error = msg
		d.Form.Secret = ""
		s.renderWebhooks(w, r, status, d)
		return
	}
	d.Form, d.Added = WebhookInput{}, &h
	s.renderWebhooks(w, r, http.StatusCreated, d)
}

func (s *Server) deleteWebhookForm(w http.ResponseWriter, r *http.Request) {
	id, ok := idParam(r, "id")
	if !ok {
		s.renderWebhooks(w, r, http.StatusNotFound, webhooksData{Error: "no such webhook"})
		return
	}
	if err := s.db.DeleteWebhook(r.Context(), id); err != nil {
		status, msg := s.formError(r, "delete webhook", fmt.Errorf("webhook %d: %w", id, err))
		s.renderWebhooks(w, r, status, webhooksData{Error: msg})
		return
	}
	s.log.InfoContext(r.Context(), "webhook deleted", "webhook", id, "by", identityOf(r.Context()).User)
	redirectDone(w, r, "/webhooks", "unhooked")
}
