package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/clausewatch/clausewatch/store"
)

// pageNames are the page templates; each is parsed with layout.html.
var pageNames = []string{"feed", "change", "source", "sources", "version", "supplier", "suppliers", "login", "error", "deadlines",
	"manage_supplier", "rubrics", "tokens", "webhooks", "verify", "source_form", "source_bulk", "compare", "email"}

// parseTemplates parses every page once, at startup: a broken template
// stops New rather than a request. now is the server's clock, for "ago".
func parseTemplates(now func() time.Time) (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"when":     when,
		"ago":      func(t time.Time) string { return ago(t, now()) },
		"pathOf":   pathOf,
		"plural":   plural,
		"supplier": func(s string) string { return "/suppliers/" + pathEscape(s) },
		"headOf":   summaryHead,
		"restOf":   summaryRest,
		"stateClass": func(s string) string {
			if f := strings.Fields(s); len(f) > 0 {
				return f[0]
			}
			return ""
		},
	}
	out := map[string]*template.Template{}
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/diff.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("web: parse template %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

// view is what every page template gets.
type view struct {
	Title string
	ID    identity
	Path  string
	Data  any
}

// titled lets page data name the page.
type titled interface{ title() string }

// render executes a page and writes it.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page string, data any) {
	body, err := s.execute(r, page, data)
	s.send(w, r, status, page, body, err)
}

// execute runs a page's template into a buffer first, so a template
// error gives a clean 500 instead of half a page. The buffer is capped at
// maxPageBytes: pages that show stored text come a page of it at a time,
// far below the cap, which stops whatever would still grow past it.
func (s *Server) execute(r *http.Request, page string, data any) ([]byte, error) {
	title := "clausewatch"
	if t, ok := data.(titled); ok {
		title = t.title() + " — clausewatch"
	}
	buf := cappedBuffer{max: maxPageBytes}
	err := s.pages[page].Execute(&buf, view{Title: title, ID: identityOf(r.Context()), Path: r.URL.RequestURI(), Data: data})
	return buf.Bytes(), err
}

// send writes a page execute made, or the error it gave.
func (s *Server) send(w http.ResponseWriter, r *http.Request, status int, page string, body []byte, err error) {
	if err != nil {
		s.log.ErrorContext(r.Context(), "render page", "page", page, "path", r.URL.Path, "err", err)
		msg := "internal error rendering the page"
		if errors.Is(err, errPageTooLarge) {
			msg = "internal error: the page is too large to render"
		}
		http.Error(w, msg, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(body)
}

type errorData struct {
	Status  int
	Message string
}

func (e errorData) title() string { return http.StatusText(e.Status) }

// fail answers with an error: JSON for the API and non-browser clients,
// a page for browsers.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if strings.HasPrefix(r.URL.Path, "/api/") || !wantsHTML(r) {
		writeJSON(w, status, map[string]string{"error": msg})
		return
	}
	s.render(w, r, status, "error", errorData{Status: status, Message: msg})
}

// failErr maps a store error to a status at the edge (rule 11): not found
// is 404, invalid input 400, a body over the limit 413, an existing name
// or an ambiguous reference 409, the rest 500 (logged, not shown).
func (s *Server) failErr(w http.ResponseWriter, r *http.Request, what string, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.fail(w, r, http.StatusNotFound, what+": not found")
	case errors.Is(err, store.ErrInvalid):
		s.fail(w, r, http.StatusBadRequest, err.Error())
	case errors.Is(err, errTooLarge):
		s.fail(w, r, http.StatusRequestEntityTooLarge, err.Error())
	case errors.Is(err, store.ErrExists), errors.Is(err, store.ErrAmbiguous), errors.Is(err, store.ErrLastAdmin):
		s.fail(w, r, http.StatusConflict, err.Error())
	case r.Context().Err() != nil:
		// The client went away; nobody is listening.
	default:
		s.log.ErrorContext(r.Context(), what, "path", r.URL.Path, "err", err)
		s.fail(w, r, http.StatusInternalServerError, what+": internal error")
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(w, `{"error":"encoding the answer"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(data, '\n'))
}

// idParam reads a numeric path parameter.
func idParam(r *http.Request, name string) (uint64, bool) {
	n, err := strconv.ParseUint(r.PathValue(name), 10, 64)
	return n, err == nil && n > 0
}

// when formats a time for people: UTC, to the minute.
func when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// ago says how long before now t was, roughly.
func ago(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < 0:
		return "in the future"
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d.Minutes()), "minute") + " ago"
	case d < 48*time.Hour:
		return plural(int(d.Hours()), "hour") + " ago"
	case d < 60*24*time.Hour:
		return plural(int(d.Hours()/24), "day") + " ago"
	default:
		return plural(int(d.Hours()/24/365.25*12), "month") + " ago"
	}
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// pathOf joins a heading trail.
func pathOf(p []string) string { return strings.Join(p, " › ") }

// summaryHead is the verdict part of a change summary ("Re-vet: 3
// substantive changes (sharing, scope)" or "No re-vet needed"), shown in
// bold; summaryRest is the remainder.
func summaryHead(s string) string {
	h, _, _ := strings.Cut(s, "; ")
	return h
}

func summaryRest(s string) string {
	_, r, _ := strings.Cut(s, "; ")
	return r
}
