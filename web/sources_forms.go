package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/watch"
)

// Previewer fetches a source once and records nothing: what the add and
// edit forms show before saving. *watch.Checker is one, and the daemon
// passes its own, so a preview goes through the same guarded client,
// browser and decision as a check.
type Previewer interface {
	Preview(ctx context.Context, src store.Source) (watch.Preview, error)
}

// previewTimeout bounds a preview: under the server's write timeout, so
// the page always arrives.
const previewTimeout = 25 * time.Second

// preview runs a preview of src with Options.Preview, or without one
// with a guarded client of its own (no browser).
func (s *Server) preview(ctx context.Context, src store.Source) (watch.Preview, error) {
	ctx, cancel := context.WithTimeout(ctx, previewTimeout)
	defer cancel()
	if s.opts.Preview != nil {
		return s.opts.Preview.Preview(ctx, src)
	}
	c := fetch.NewClient(fetch.Options{Attempts: 1, Logger: s.log})
	defer c.CloseIdleConnections()
	return (&watch.Checker{Client: c, Logger: s.log}).Preview(ctx, src)
}

// sourceForm is the add and edit form's fields as typed, to show again.
type sourceForm struct {
	Name, URL, Supplier, Kind, Schedule, Select, Remove, Section, Render, Tags string
}

// formOf reads the form's fields.
func formOf(r *http.Request) sourceForm {
	v := func(k string) string { return r.PostFormValue(k) }
	return sourceForm{Name: v("name"), URL: v("url"), Supplier: v("supplier"), Kind: v("kind"), Schedule: v("schedule"),
		Select: v("select"), Remove: v("remove"), Section: v("section"), Render: v("render"), Tags: v("tags")}
}

// formFrom fills the form from a stored source.
func formFrom(src store.Source) sourceForm {
	return sourceForm{Name: src.Name, URL: src.URL, Supplier: src.Supplier, Kind: string(src.Kind), Schedule: src.Schedule,
		Select: strings.Join(src.Select, "\n"), Remove: strings.Join(src.Remove, "\n"), Section: src.Section,
		Render: string(src.Render), Tags: strings.Join(src.Tags, ", ")}
}

// input is the form as the API's input: the same apply, the same checks.
// Selectors are one a line; tags are comma-separated.
func (f sourceForm) input() sourceInput {
	sel, rem, tags := lines(f.Select), lines(f.Remove), splitTags(f.Tags)
	return sourceInput{Name: &f.Name, URL: &f.URL, Supplier: &f.Supplier, Kind: &f.Kind, Schedule: &f.Schedule,
		Select: &sel, Remove: &rem, Section: &f.Section, Render: &f.Render, Tags: &tags}
}

func splitTags(s string) []string {
	var out []string
	for _, t := range strings.Split(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// formData is the add or edit page.
type formData struct {
	// ID is the source edited (0: a new one).
	ID      uint64
	Source  store.Source // the stored source being edited
	Form    sourceForm
	Errors  []string
	Preview *previewView
	Who     identity
	Kinds   []string
	Renders []string
}

func (d formData) title() string {
	if d.ID != 0 {
		return "Edit " + d.Source.Name
	}
	return "Add a source"
}

// Action is where the form posts.
func (d formData) Action() string {
	if d.ID != 0 {
		return fmt.Sprintf("/sources/%d/edit", d.ID)
	}
	return "/sources/new"
}

func (s *Server) newFormData(r *http.Request, f sourceForm) formData {
	return formData{Form: f, Who: identityOf(r.Context()), Kinds: []string{string(store.Privacy), string(store.Terms)},
		Renders: []string{string(store.RenderAuto), string(store.RenderNever), string(store.RenderAlways)}}
}

// newSourcePage is GET /sources/new.
func (s *Server) newSourcePage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "source_form", s.newFormData(r, sourceForm{Kind: string(store.Privacy)}))
}

// editSourcePage is GET /sources/{id}/edit.
func (s *Server) editSourcePage(w http.ResponseWriter, r *http.Request) {
	src, err := s.db.Source(r.Context(), r.PathValue("id"))
	if err != nil {
		s.failErr(w, r, "source "+r.PathValue("id"), err)
		return
	}
	d := s.newFormData(r, formFrom(src))
	d.ID, d.Source = src.ID, src
	s.render(w, r, http.StatusOK, "source_form", d)
}

// addSourceForm is POST /sources/new: preview (do=preview) or save.
func (s *Server) addSourceForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	d := s.newFormData(r, formOf(r))
	// Like the API's, never AllowPrivate: the SSRF guard stays on.
	src := store.Source{Kind: store.Privacy, Origin: "web"}
	if err := d.Form.input().apply(&src); err != nil {
		s.formFailed(w, r, d, err)
		return
	}
	if r.PostFormValue("do") == "preview" {
		s.previewForm(w, r, d, src)
		return
	}
	src, err := s.db.AddSource(r.Context(), src)
	if err != nil {
		s.formFailed(w, r, d, err)
		return
	}
	s.sourcesChanged()
	s.log.InfoContext(r.Context(), "source added", "source", src.Name, "url", src.URL, "by", identityOf(r.Context()).User, "via", "form")
	http.Redirect(w, r, fmt.Sprintf("/sources/%d?done=added", src.ID), http.StatusSeeOther)
}

// editSourceForm is POST /sources/{id}/edit: preview or save. A saved
// source that is not paused is due at once, to show the new settings'
// reading.
func (s *Server) editSourceForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	src, err := s.db.Source(r.Context(), r.PathValue("id"))
	if err != nil {
		s.failErr(w, r, "source "+r.PathValue("id"), err)
		return
	}
	d := s.newFormData(r, formOf(r))
	d.ID, d.Source = src.ID, src
	if err := d.Form.input().apply(&src); err != nil {
		s.formFailed(w, r, d, err)
		return
	}
	// An operator's grant of a private address belongs to the URL it was
	// given for (decision record 0016): a preview of another URL goes
	// through the SSRF guard, as the saved source would.
	src.AllowPrivate = src.AllowPrivate && src.URL == d.Source.URL
	if r.PostFormValue("do") == "preview" {
		s.previewForm(w, r, d, src)
		return
	}
	if err := s.db.UpdateSource(r.Context(), src); err != nil {
		s.formFailed(w, r, d, err)
		return
	}
	s.sourcesChanged()
	s.log.InfoContext(r.Context(), "source edited", "source", src.Name, "by", identityOf(r.Context()).User, "via", "form")
	if !src.Paused && s.opts.Scheduler != nil {
		if err := s.opts.Scheduler.CheckSoon(r.Context(), src.ID); err != nil {
			s.log.WarnContext(r.Context(), "check edited source", "source", src.Name, "err", err)
		}
	}
	http.Redirect(w, r, fmt.Sprintf("/sources/%d?done=saved", src.ID), http.StatusSeeOther)
}

// previewForm fetches src once (nothing is stored) and shows the form
// again with what the extractor keeps.
func (s *Server) previewForm(w http.ResponseWriter, r *http.Request, d formData, src store.Source) {
	if err := store.ValidURL("URL", src.URL); err != nil {
		s.formFailed(w, r, d, err)
		return
	}
	release, ok := s.acquire(w, r)
	if !ok {
		return
	}
	defer release()
	p, err := s.preview(r.Context(), src)
	if err != nil {
		if r.Context().Err() != nil {
			return // the client went away
		}
		d.Errors = append(d.Errors, "preview: the page did not answer in time ("+err.Error()+")")
		s.render(w, r, http.StatusGatewayTimeout, "source_form", d)
		return
	}
	v := newPreviewView(src, p)
	d.Preview = &v
	s.log.InfoContext(r.Context(), "source previewed", "url", src.URL, "outcome", p.Fetch.Outcome, "by", identityOf(r.Context()).User)
	body, err := s.execute(r, "source_form", d)
	release()
	s.send(w, r, http.StatusOK, "source_form", body, err)
}

// formFailed shows the form again with the error, at the status
// failErr would give it.
func (s *Server) formFailed(w http.ResponseWriter, r *http.Request, d formData, err error) {
	status, msg := statusOf(err)
	if status == http.StatusInternalServerError {
		s.log.ErrorContext(r.Context(), "source form", "path", r.URL.Path, "err", err)
	}
	d.Errors = append(d.Errors, msg)
	s.render(w, r, status, "source_form", d)
}

// statusOf maps an error to a status and a message to show, as failErr
// does.
func statusOf(err error) (int, string) {
	switch {
	case errors.Is(err, store.ErrInvalid):
		return http.StatusBadRequest, err.Error()
	case errors.Is(err, store.ErrExists), errors.Is(err, store.ErrAmbiguous):
		return http.StatusConflict, err.Error()
	case errors.Is(err, errTooLarge):
		return http.StatusRequestEntityTooLarge, err.Error()
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, "not found"
	}
	return http.StatusInternalServerError, "internal error (logged)"
}

// sourceStateForm is POST /sources/{id}/{pause,resume,archive,restore}:
// nothing is deleted. Archive hides a source from the default lists and
// pauses it; restore brings it back, still paused; resume also restores.
func (s *Server) sourceStateForm(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		src, err := s.db.Source(r.Context(), r.PathValue("id"))
		if err != nil {
			s.failErr(w, r, "source "+r.PathValue("id"), err)
			return
		}
		switch action {
		case "pause":
			src.Paused = true
		case "resume":
			src.Paused, src.Archived = false, false
		case "archive":
			src.Archived, src.Paused = true, true
		case "restore":
			src.Archived = false
		}
		if err := s.db.UpdateSource(r.Context(), src); err != nil {
			s.failErr(w, r, action+" source", err)
			return
		}
		s.sourcesChanged()
		s.log.InfoContext(r.Context(), "source "+action, "source", src.Name, "by", identityOf(r.Context()).User)
		http.Redirect(w, r, fmt.Sprintf("/sources/%d?done=%s", src.ID, action), http.StatusSeeOther)
	}
}

// doneNotice words what a form did, for the page it redirects to; an
// unknown code says nothing.
func doneNotice(code string) string {
	return map[string]string{
		"added":   "Source added. The daemon checks it shortly; its first version appears below once read.",
		"saved":   "Settings saved. The source is due now, to read it with them.",
		"pause":   "Source paused: it is not checked until resumed. Its history is kept.",
		"resume":  "Source resumed: it is checked on its schedule again.",
		"archive": "Source archived: it is paused and hidden from the sources list (status: archived shows it). Its history is kept.",
		"restore": "Source restored to the sources list; it stays paused until resumed.",
	}[code]
}
