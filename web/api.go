package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/clausewatch/clausewatch/diff"
	"github.com/clausewatch/clausewatch/extract"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/watch"
)

// apiSourceRef is a source as changes and webhooks name it.
type apiSourceRef struct {
	ID       uint64     `json:"id"`
	Name     string     `json:"name"`
	URL      string     `json:"url"`
	Supplier string     `json:"supplier"`
	Kind     store.Kind `json:"kind"`
}

// apiChange is a change as the API, the JSON feed and webhooks show it.
type apiChange struct {
	ID         uint64         `json:"id"`
	URL        string         `json:"url"`
	Source     apiSourceRef   `json:"source"`
	From       uint64         `json:"from_version"`
	To         uint64         `json:"to_version"`
	After      time.Time      `json:"after"`
	Detected   time.Time      `json:"detected"`
	Recorded   time.Time      `json:"recorded"`
	Revet      bool           `json:"revet"`
	Summary    string         `json:"summary"`
	Reasons    []string       `json:"reasons"`
	Categories []string       `json:"categories"`
	Counts     map[string]int `json:"counts"`
	// Rewrite, Gist and Rank are the diff's reading aids (diff.Result's
	// rewrite, gist and the top of rank), absent for changes recorded
	// before them.
	Rewrite bool            `json:"rewrite,omitempty"`
	Gist    json.RawMessage `json:"gist,omitempty"`
	Rank    json.RawMessage `json:"rank,omitempty"`
	Triage  store.Triage    `json:"triage"`
	// TriageHistory is every triage decision, oldest first: only on
	// GET /api/changes/{id}, not in lists, feeds or webhooks.
	TriageHistory []store.TriageEntry `json:"triage_history,omitempty"`
	Diff          *diff.Result        `json:"diff,omitempty"`
}

func toAPIChange(base string, e entry) apiChange {
	c := apiChange{ID: e.ID, URL: base + e.Link(),
		Source: apiSourceRef{ID: e.Source.ID, Name: e.Source.Name, URL: e.Source.URL, Supplier: e.Source.Supplier, Kind: e.Source.Kind},
		From:   e.From, To: e.To, After: e.After.UTC(), Detected: e.Detected.UTC(), Recorded: e.Recorded.UTC(),
		Revet: e.Revet, Summary: e.Summary, Reasons: e.Reasons, Categories: e.Categories, Counts: e.Counts, Triage: e.Triage,
		Rewrite: e.Rewrite, Gist: e.Change.Gist, Rank: e.Change.Rank}
	if c.Reasons == nil {
		c.Reasons = []string{}
	}
	if c.Categories == nil {
		c.Categories = []string{}
	}
	return c
}

// apiSource is a source with its tracking state.
type apiSource struct {
	store.Source
	Health         store.Health `json:"health"`
	HealthReason   string       `json:"health_reason,omitempty"`
	LastFetch      time.Time    `json:"last_fetch,omitzero"`
	LastGood       time.Time    `json:"last_good,omitzero"`
	CurrentVersion uint64       `json:"current_version"`
	NextCheck      time.Time    `json:"next_check,omitzero"`
}

func (s *Server) toAPISource(r *http.Request, src store.Source) (apiSource, error) {
	a := apiSource{Source: src}
	st, err := s.db.State(r.Context(), src.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return a, err
	}
	a.Health, a.HealthReason, a.LastFetch, a.LastGood, a.CurrentVersion = st.Health, st.HealthReason, st.LastFetch, st.LastGood, st.Current
	if due, err := s.db.DueOf(r.Context(), src.ID); err == nil {
		a.NextCheck = due.At
	}
	return a, nil
}

// errTooLarge means a request body is over maxForm; the handler edge
// answers 413.
var errTooLarge = errors.New("request body too large")

// decodeBody reads a JSON request body strictly: unknown fields and
// trailing data are errors that name the problem.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxForm))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooLarge *http.MaxBytesError
		switch {
		case errors.Is(err, io.EOF):
			return fmt.Errorf("%w: empty request body (want a JSON object)", store.ErrInvalid)
		case errors.As(err, &tooLarge):
			return fmt.Errorf("%w: the limit is %d bytes", errTooLarge, tooLarge.Limit)
		}
		return fmt.Errorf("%w: request body: %v", store.ErrInvalid, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: request body: more than one JSON value", store.ErrInvalid)
	}
	return nil
}

func (s *Server) apiSources(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("view") == "dashboard" {
		s.apiDashboard(w, r)
		return
	}
	srcs, err := s.db.Sources(r.Context())
	if err != nil {
		s.failErr(w, r, "sources", err)
		return
	}
	out := make([]apiSource, 0, len(srcs))
	for _, src := range srcs {
		a, err := s.toAPISource(r, src)
		if err != nil {
			s.failErr(w, r, "sources", err)
			return
		}
		out = append(out, a)
	}
	writeJSON(w, http.StatusOK, map[string]any{"sources": out})
}

func (s *Server) apiSource(w http.ResponseWriter, r *http.Request) {
	src, err := s.db.Source(r.Context(), r.PathValue("id"))
	if err != nil {
		s.failErr(w, r, "source "+r.PathValue("id"), err)
		return
	}
	a, err := s.toAPISource(r, src)
	if err != nil {
		s.failErr(w, r, "source", err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// sourceInput is the body of POST and PATCH /api/sources: every field is
// optional in a PATCH.
type sourceInput struct {
	Name     *string   `json:"name"`
	URL      *string   `json:"url"`
	Supplier *string   `json:"supplier"`
	Kind     *string   `json:"kind"`
	Schedule *string   `json:"schedule"`
	Select   *[]string `json:"select"`
	Remove   *[]string `json:"remove"`
	Section  *string   `json:"section"`
	Render   *string   `json:"render"`
	Paused   *bool     `json:"paused"`
	Tags     *[]string `json:"tags"`
	Archived *bool     `json:"archived"`
}

// apply copies the given fields onto src and checks what needs more than
// the store's own validation (the schedule's syntax, the selectors).
func (in sourceInput) apply(src *store.Source) error {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	set(&src.Name, in.Name)
	set(&src.URL, in.URL)
	set(&src.Supplier, in.Supplier)
	set(&src.Schedule, in.Schedule)
	set(&src.Section, in.Section)
	if in.Render != nil {
		src.Render = store.RenderMode(strings.TrimSpace(*in.Render))
	}
	if in.Kind != nil {
		src.Kind = store.Kind(*in.Kind)
	}
	if in.Select != nil {
		src.Select = *in.Select
	}
	if in.Remove != nil {
		src.Remove = *in.Remove
	}
	if in.Paused != nil {
		src.Paused = *in.Paused
	}
	if in.Tags != nil {
		src.Tags = *in.Tags
	}
	if in.Archived != nil {
		src.Archived = *in.Archived
	}
	if src.Schedule != "" {
		if err := watch.ParseSchedule(src.Schedule); err != nil {
			return fmt.Errorf("%w: schedule: %v", store.ErrInvalid, err)
		}
	}
	if err := extract.CheckSelectors(src.Select, src.Remove); err != nil {
		return fmt.Errorf("%w: %v", store.ErrInvalid, err)
	}
	return nil
}

func (s *Server) apiAddSource(w http.ResponseWriter, r *http.Request) {
	var in sourceInput
	if err := decodeBody(w, r, &in); err != nil {
		s.failErr(w, r, "add source", err)
		return
	}
	// Sources added over the API never get AllowPrivate: the SSRF guard
	// stays on for them.
	src := store.Source{Kind: store.Privacy, Origin: "api"}
	if err := in.apply(&src); err != nil {
		s.failErr(w, r, "add source", err)
		return
	}
	src, err := s.db.AddSource(r.Context(), src)
	if err != nil {
		s.failErr(w, r, "add source", err)
		return
	}
	s.sourcesChanged()
	s.log.InfoContext(r.Context(), "source added", "source", src.Name, "url", src.URL, "by", identityOf(r.Context()).User)
	a, err := s.toAPISource(r, src)
	if err != nil {
		s.failErr(w, r, "add source", err)
		return
	}
	w.Header().Set("Location", fmt.Sprintf("/api/sources/%d", src.ID))
	writeJSON(w, http.StatusCreated, a)
}

func (s *Server) apiEditSource(w http.ResponseWriter, r *http.Request) {
	src, err := s.db.Source(r.Context(), r.PathValue("id"))
	if err != nil {
		s.failErr(w, r, "source "+r.PathValue("id"), err)
		return
	}
	var in sourceInput
	if err := decodeBody(w, r, &in); err != nil {
		s.failErr(w, r, "edit source", err)
		return
	}
	if err := in.apply(&src); err != nil {
		s.failErr(w, r, "edit source", err)
		return
	}
	// The store keeps allow_private only while the URL stays the one the
	// operator granted it for; what it stored is the answer.
	if err := s.db.UpdateSource(r.Context(), src); err != nil {
		s.failErr(w, r, "edit source", err)
		return
	}
	if src, err = s.db.SourceByID(r.Context(), src.ID); err != nil {
		s.failErr(w, r, "edit source", err)
		return
	}
	s.sourcesChanged()
	s.log.InfoContext(r.Context(), "source edited", "source", src.Name, "by", identityOf(r.Context()).User)
	a, err := s.toAPISource(r, src)
	if err != nil {
		s.failErr(w, r, "edit source", err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// apiPauseSource is DELETE: the source is paused, never erased — its
// history is evidence (a PATCH with "paused": false resumes it).
func (s *Server) apiPauseSource(w http.ResponseWriter, r *http.Request) {
	src, err := s.db.Source(r.Context(), r.PathValue("id"))
	if err != nil {
		s.failErr(w, r, "source "+r.PathValue("id"), err)
		return
	}
	src.Paused = true
	if err := s.db.UpdateSource(r.Context(), src); err != nil {
		s.failErr(w, r, "pause source", err)
		return
	}
	s.sourcesChanged()
	s.log.InfoContext(r.Context(), "source paused", "source", src.Name, "by", identityOf(r.Context()).User)
	a, err := s.toAPISource(r, src)
	if err != nil {
		s.failErr(w, r, "pause source", err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (s *Server) apiCheck(w http.ResponseWriter, r *http.Request) {
	id, ok := idParam(r, "id")
	if !ok {
		s.fail(w, r, http.StatusNotFound, "no such source")
		return
	}
	if err := s.checkNow(r.Context(), id); err != nil {
		s.checkFailed(w, r, id, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"source": id, "status": "queued",
		"note": "the source is checked as soon as a worker is free; a check already running counts as the fresh one"})
}

func (s *Server) apiVersions(w http.ResponseWriter, r *http.Request) {
	src, err := s.db.Source(r.Context(), r.PathValue("id"))
	if err != nil {
		s.failErr(w, r, "source "+r.PathValue("id"), err)
		return
	}
	vs, err := s.db.Versions(r.Context(), src.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.failErr(w, r, "versions", err)
		return
	}
	if vs == nil {
		vs = []store.Version{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"source": src.ID, "versions": vs})
}

func (s *Server) apiVersion(w http.ResponseWriter, r *http.Request) {
	if d, ok := s.versionText(w, r); ok {
		writeJSON(w, http.StatusOK, map[string]any{"version": d.V, "document": d.Doc})
	}
}

func (s *Server) apiChanges(w http.ResponseWriter, r *http.Request) {
	q, err := parseFeedQuery(r)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	entries, next, err := s.entries(r.Context(), q)
	if err != nil {
		s.failErr(w, r, "changes", err)
		return
	}
	base := s.baseURL(r)
	out := make([]apiChange, len(entries))
	for i, e := range entries {
		out[i] = toAPIChange(base, e)
	}
	resp := map[string]any{"changes": out}
	if link := q.nextPage("/api/changes", next); link != "" {
		resp["next"] = link
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) apiChange(w http.ResponseWriter, r *http.Request) {
	// The diff comes a page of changes at a time, like the change page;
	// page says which, and links the next.
	id, page, p, d, release, ok := s.openChange(w, r)
	if !ok {
		return
	}
	defer release()
	pi, ok := p.info(s.baseURL(r)+r.URL.Path, nil)
	if !ok {
		s.fail(w, r, http.StatusNotFound, fmt.Sprintf("change %d has no page %d", id, page))
		return
	}
	c := toAPIChange(s.baseURL(r), d.E)
	c.Diff = d.R
	c.TriageHistory = d.E.TriageHistory
	release()
	writeJSON(w, http.StatusOK, struct {
		apiChange
		Page pageInfo `json:"page"`
	}{c, pi})
}

func (s *Server) apiTriage(w http.ResponseWriter, r *http.Request) {
	id, ok := idParam(r, "id")
	if !ok {
		s.fail(w, r, http.StatusNotFound, "no such change")
		return
	}
	var in struct {
		State string `json:"state"`
		Note  string `json:"note"`
	}
	if err := decodeBody(w, r, &in); err != nil {
		s.failErr(w, r, "triage", err)
		return
	}
	who := identityOf(r.Context()).User
	if err := s.triage(r.Context(), id, in.State, in.Note, who); err != nil {
		s.failErr(w, r, fmt.Sprintf("triage change %d", id), err)
		return
	}
	s.log.InfoContext(r.Context(), "triaged", "change", id, "state", in.State, "by", who)
	c, err := s.db.Change(r.Context(), id)
	if err != nil {
		s.failErr(w, r, "triage", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "triage": c.Triage})
}

// WebhookJSON is a webhook as the API and the CLI show it: without its
// secret, but for the answer that made it.
type WebhookJSON struct {
	ID        uint64    `json:"id"`
	URL       string    `json:"url"`
	Format    string    `json:"format"`
	RevetOnly bool      `json:"revet_only"`
	Created   time.Time `json:"created"`
	Cursor    uint64    `json:"cursor"`
	// Secret is shown once, in the answer to the POST that made it.
	Secret string `json:"secret,omitempty"`
}

// WebhookJSONOf is h as shown, without its secret.
func WebhookJSONOf(h store.Webhook) WebhookJSON {
	return WebhookJSON{ID: h.ID, URL: h.URL, Format: h.Format, RevetOnly: h.RevetOnly, Created: h.Created, Cursor: h.Cursor}
}

func (s *Server) apiWebhooks(w http.ResponseWriter, r *http.Request) {
	hooks, err := s.db.Webhooks(r.Context())
	if err != nil {
		s.failErr(w, r, "webhooks", err)
		return
	}
	out := make([]WebhookJSON, len(hooks))
	for i, h := range hooks {
		out[i] = WebhookJSONOf(h)
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhooks": out})
}

func (s *Server) apiAddWebhook(w http.ResponseWriter, r *http.Request) {
	var in WebhookInput
	if err := decodeBody(w, r, &in); err != nil {
		s.failErr(w, r, "add webhook", err)
		return
	}
	h, err := s.addWebhook(r.Context(), in)
	if err != nil {
		s.failErr(w, r, "add webhook", err)
		return
	}
	out := WebhookJSONOf(h)
	out.Secret = h.Secret
	w.Header().Set("Location", fmt.Sprintf("/api/webhooks/%d", h.ID))
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) apiDeleteWebhook(w http.ResponseWriter, r *http.Request) {
	id, ok := idParam(r, "id")
	if !ok {
		s.fail(w, r, http.StatusNotFound, "no such webhook")
		return
	}
	if err := s.db.DeleteWebhook(r.Context(), id); err != nil {
		s.failErr(w, r, fmt.Sprintf("webhook %d", id), err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiDeliveries(w http.ResponseWriter, r *http.Request) {
	id, ok := idParam(r, "id")
	if !ok {
		s.fail(w, r, http.StatusNotFound, "no such webhook")
		return
	}
	if _, err := s.db.Webhook(r.Context(), id); err != nil {
		s.failErr(w, r, fmt.Sprintf("webhook %d", id), err)
		return
	}
	ds, err := s.db.Deliveries(r.Context(), id, 100)
	if err != nil {
		s.failErr(w, r, "deliveries", err)
		return
	}
	if ds == nil {
		ds = []store.Delivery{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhook": id, "deliveries": ds})
}

func (s *Server) apiAddToken(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name string `json:"name"`
		Role string `json:"role"` // viewer, reviewer or admin; none: admin, as before roles
	}
	if err := decodeBody(w, r, &in); err != nil {
		s.failErr(w, r, "add token", err)
		return
	}
	secret, tok, err := s.createToken(r.Context(), in.Name, in.Role, store.RoleAdmin)
	if err != nil {
		s.failErr(w, r, "add token", err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"name": tok.Name, "role": tok.Role, "created": tok.Created, "token": secret,
		"note": "the token is shown once; it is stored hashed"})
}

func (s *Server) apiSetTokenRole(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Role string `json:"role"`
	}
	if err := decodeBody(w, r, &in); err != nil {
		s.failErr(w, r, "token role", err)
		return
	}
	name := r.PathValue("name")
	tok, err := s.setTokenRole(r.Context(), name, in.Role)
	if err != nil {
		s.failErr(w, r, fmt.Sprintf("token %q", name), err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"name": tok.Name, "role": tok.Role})
}

func (s *Server) apiRevokeToken(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if err := s.db.RevokeToken(r.Context(), name); err != nil {
		s.failErr(w, r, fmt.Sprintf("token %q", name), err)
		return
	}
	s.log.InfoContext(r.Context(), "token revoked", "token", name, "by", identityOf(r.Context()).User)
	w.WriteHeader(http.StatusNoContent)
}
