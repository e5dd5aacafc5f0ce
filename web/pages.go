package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clausewatch/clausewatch/diff"
	"github.com/clausewatch/clausewatch/extract"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/watch"
)

// changeGroup is one class of clause changes on the change page.
type changeGroup struct {
	Class   diff.Class
	Label   string
	Changes []diff.Change
	// Total counts the class's changes on every page.
	Total int
	// Folded groups (editorial, rename-only, cosmetic) start collapsed.
	Folded bool
}

type changeData struct {
	E        entry
	R        *diff.Result // Changes holds the page's changes only
	Page     pageInfo
	Groups   []changeGroup
	Inline   bool
	Who      identity
	Old, New store.Version
	States   []store.TriageState
}

func (d changeData) title() string {
	return d.E.Source.Name + " change " + strconv.FormatUint(d.E.ID, 10)
}

// loadChange reads a change, its source, its two versions and the page
// of its diff that p wants.
func (s *Server) loadChange(ctx context.Context, id uint64, p *pager) (changeData, error) {
	c, err := s.db.Change(ctx, id)
	if err != nil {
		return changeData{}, err
	}
	src, err := s.db.SourceByID(ctx, c.SourceID)
	if err != nil {
		return changeData{}, err
	}
	if c.Triage.State == "" {
		c.Triage.State = store.TriageNew
	}
	d := changeData{E: entry{Change: c, Source: src},
		States: []store.TriageState{store.TriageNew, store.TriageReviewed, store.TriageRevet, store.TriageDismissed}}
	vs, err := s.db.GenerationVersions(ctx, c.SourceID, c.Generation)
	if err != nil {
		return changeData{}, err
	}
	for _, v := range vs {
		switch v.Seq {
		case c.From:
			d.Old = v
		case c.To:
			d.New = v
		}
	}
	data, err := s.db.Blob(ctx, c.DiffSHA256)
	if err != nil {
		return changeData{}, fmt.Errorf("diff of change %d: %w", id, err)
	}
	r, err := diffPage(data, p)
	if err != nil {
		return changeData{}, fmt.Errorf("diff of change %d: %w", id, err)
	}
	d.R, d.Groups = r, groupChanges(r)
	return d, nil
}

// groupChanges sorts a page of a diff's changes into the classes the
// change page shows, significance first; editorial, rename-only and
// cosmetic changes fold (only substantive ones call for re-vetting).
func groupChanges(r *diff.Result) []changeGroup {
	var groups []changeGroup
	for _, g := range []changeGroup{
		{Class: diff.Substantive, Label: "Substantive", Total: r.Counts.Substantive},
		{Class: diff.Editorial, Label: "Editorial", Total: r.Counts.Editorial, Folded: true},
		{Class: diff.RenameOnly, Label: "Rename-only", Total: r.Counts.Rename, Folded: true},
		{Class: diff.Cosmetic, Label: "Cosmetic", Total: r.Counts.Cosmetic, Folded: true},
	} {
		for _, ch := range r.Changes {
			if ch.Class == g.Class {
				g.Changes = append(g.Changes, ch)
			}
		}
		if len(g.Changes) > 0 {
			groups = append(groups, g)
		}
	}
	return groups
}

// openChange reads the change and page a request names and loads that
// page of its diff in a render slot (release gives the slot back); on
// any failure it has answered and ok is false.
func (s *Server) openChange(w http.ResponseWriter, r *http.Request) (id uint64, page int, p *pager, d changeData, release func(), ok bool) {
	if id, ok = idParam(r, "id"); !ok {
		s.fail(w, r, http.StatusNotFound, "no such change")
		return
	}
	if page, ok = pageParam(r); !ok {
		s.fail(w, r, http.StatusBadRequest, "page: want a number from 1")
		return
	}
	if release, ok = s.acquire(w, r); !ok {
		return
	}
	p = newPager(changesPerPage, changeText, page)
	d, err := s.loadChange(r.Context(), id, p)
	if err != nil {
		release()
		s.failErr(w, r, fmt.Sprintf("change %d", id), err)
		return id, page, p, d, nil, false
	}
	return id, page, p, d, release, true
}

func (s *Server) changePage(w http.ResponseWriter, r *http.Request) {
	id, page, p, d, release, ok := s.openChange(w, r)
	if !ok {
		return
	}
	defer release()
	q := url.Values{}
	if d.Inline = r.URL.Query().Get("view") == "inline"; d.Inline {
		q.Set("view", "inline")
	}
	if d.Page, ok = p.info(r.URL.Path, q); !ok {
		s.fail(w, r, http.StatusNotFound, fmt.Sprintf("change %d has no page %d", id, page))
		return
	}
	d.Who = identityOf(r.Context())
	body, err := s.execute(r, "change", d)
	release()
	s.send(w, r, http.StatusOK, "change", body, err)
}

// maxNote bounds a triage note.
const maxNote = 4000

// triage validates and records a triage decision by who.
func (s *Server) triage(ctx context.Context, id uint64, state, note, who string) error {
	note = strings.TrimSpace(note)
	if len(note) > maxNote {
		return fmt.Errorf("%w: note of %d bytes (at most %d)", store.ErrInvalid, len(note), maxNote)
	}
	return s.db.SetTriage(ctx, id, store.Triage{State: store.TriageState(state), By: who, Note: note, At: s.opts.Now().UTC()})
}

func (s *Server) triageForm(w http.ResponseWriter, r *http.Request) {
	id, ok := idParam(r, "id")
	if !ok {
		s.fail(w, r, http.StatusNotFound, "no such change")
		return
	}
	who := identityOf(r.Context()).User
	if err := s.triage(r.Context(), id, r.PostFormValue("state"), r.PostFormValue("note"), who); err != nil {
		s.failErr(w, r, fmt.Sprintf("triage change %d", id), err)
		return
	}
	s.log.InfoContext(r.Context(), "triaged", "change", id, "state", r.PostFormValue("state"), "by", who)
	http.Redirect(w, r, fmt.Sprintf("/changes/%d#triage", id), http.StatusSeeOther)
}

// sourceRow is a source with its tracking state, for lists.
type sourceRow struct {
	store.Source
	State store.State
}

func (s *Server) sourceRows(ctx context.Context, keep func(store.Source) bool) ([]sourceRow, error) {
	srcs, err := s.db.Sources(ctx)
	if err != nil {
		return nil, err
	}
	var rows []sourceRow
	for _, src := range srcs {
		if keep != nil && !keep(src) {
			continue
		}
		st, err := s.db.State(ctx, src.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		rows = append(rows, sourceRow{Source: src, State: st})
	}
	return rows, nil
}

type sourceData struct {
	sourceRow
	Due      *store.Due
	Versions []store.Version
	Changes  []entry
	Fetches  []store.Fetch
	// Outcomes counts the recent fetches by outcome.
	Outcomes map[store.Outcome]int
	Recent   int
	Checking bool
	Who      identity
	// Notice says what a form just did (?done=, see doneNotice).
	Notice string
	// Render is how the source is read: render mode, browser, captures.
	Render renderStatus
	// Lang is the language of the version in force ("" when unknown).
	Lang string
}

func (d sourceData) title() string { return d.Name }

// versionLang is the language of a version's stored document; a document
// that cannot be read leaves it unknown (the version page says why).
func (s *Server) versionLang(ctx context.Context, v store.Version) string {
	doc, err := watch.Document(ctx, s.db, v.DocSHA256)
	if err != nil {
		s.log.Warn("source page: version document", "version", v.Seq, "err", err)
		return ""
	}
	return doc.Lang
}

// recentFetches is how many fetches the source page counts.
const recentFetches = 100

func (s *Server) sourcePage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	src, err := s.db.Source(ctx, r.PathValue("id"))
	if err != nil {
		s.failErr(w, r, "source "+r.PathValue("id"), err)
		return
	}
	d := sourceData{sourceRow: sourceRow{Source: src}, Outcomes: map[store.Outcome]int{}, Checking: r.URL.Query().Get("checking") == "1",
		Who: identityOf(r.Context()), Notice: doneNotice(r.URL.Query().Get("done"))}
	if d.State, err = s.db.State(ctx, src.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.failErr(w, r, "source state", err)
		return
	}
	if due, err := s.db.DueOf(ctx, src.ID); err == nil {
		d.Due = &due
	}
	if d.Versions, err = s.db.GenerationVersions(ctx, src.ID, d.State.Generation); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.failErr(w, r, "versions", err)
		return
	}
	slices.Reverse(d.Versions)
	if len(d.Versions) > 0 {
		d.Lang = s.versionLang(ctx, d.Versions[0])
	}
	if d.Changes, _, err = s.entries(ctx, feedQuery{Source: src.ID, Limit: 100}); err != nil {
		s.failErr(w, r, "changes", err)
		return
	}
	fetches, err := s.db.Fetches(ctx, src.ID, time.Time{}, time.Time{}, recentFetches)
	if err != nil {
		s.failErr(w, r, "fetches", err)
		return
	}
	d.Recent = len(fetches)
	for _, f := range fetches {
		d.Outcomes[f.Outcome]++
	}
	slices.Reverse(fetches)
	d.Fetches = fetches[:min(len(fetches), 20)]
	if d.Render, err = s.renderStatusOf(ctx, src, d.State, fetches); err != nil {
		s.failErr(w, r, "captures", err)
		return
	}
	s.render(w, r, http.StatusOK, "source", d)
}

func (s *Server) checkForm(w http.ResponseWriter, r *http.Request) {
	id, ok := idParam(r, "id")
	if !ok {
		s.fail(w, r, http.StatusNotFound, "no such source")
		return
	}
	if err := s.checkNow(r.Context(), id); err != nil {
		s.checkFailed(w, r, id, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/sources/%d?checking=1", id), http.StatusSeeOther)
}

// errNoScheduler: "check now" needs the daemon.
var errNoScheduler = errors.New("no scheduler is running (start clausewatch serve)")

func (s *Server) checkNow(ctx context.Context, id uint64) error {
	if s.opts.Scheduler == nil {
		return errNoScheduler
	}
	src, err := s.db.SourceByID(ctx, id)
	if err != nil {
		return err
	}
	if src.Paused {
		return fmt.Errorf("%w: source %q is paused", store.ErrInvalid, src.Name)
	}
	return s.opts.Scheduler.CheckSoon(ctx, id)
}

func (s *Server) checkFailed(w http.ResponseWriter, r *http.Request, id uint64, err error) {
	if errors.Is(err, errNoScheduler) {
		s.fail(w, r, http.StatusServiceUnavailable, err.Error())
		return
	}
	s.failErr(w, r, fmt.Sprintf("check source %d", id), err)
}

type versionData struct {
	Source store.Source
	V      store.Version
	Doc    *extract.Document
	// Page is the page of the clauses Doc holds (the version page only).
	Page pageInfo
}

func (d versionData) title() string { return fmt.Sprintf("%s version %d", d.Source.Name, d.V.Seq) }

// versionOf finds a version of the source's current generation.
func (s *Server) versionOf(ctx context.Context, r *http.Request) (store.Source, store.Version, error) {
	src, err := s.db.Source(ctx, r.PathValue("id"))
	if err != nil {
		return store.Source{}, store.Version{}, err
	}
	seq, ok := idParam(r, "seq")
	if !ok {
		return src, store.Version{}, store.ErrNotFound
	}
	st, err := s.db.State(ctx, src.ID)
	if err != nil {
		return src, store.Version{}, err
	}
	vs, err := s.db.GenerationVersions(ctx, src.ID, st.Generation)
	if err != nil {
		return src, store.Version{}, err
	}
	for _, v := range vs {
		if v.Seq == seq {
			return src, v, nil
		}
	}
	return src, store.Version{}, store.ErrNotFound
}

// versionText is versionOf with the version's clauses; ok is false when
// it has answered with an error.
func (s *Server) versionText(w http.ResponseWriter, r *http.Request) (versionData, bool) {
	src, v, err := s.versionOf(r.Context(), r)
	if err != nil {
		s.failErr(w, r, "version", err)
		return versionData{}, false
	}
	doc, err := watch.Document(r.Context(), s.db, v.DocSHA256)
	if err != nil {
		s.failErr(w, r, "version text", err)
		return versionData{}, false
	}
	return versionData{Source: src, V: v, Doc: doc}, true
}

// versionPage shows a page of a version's clauses.
func (s *Server) versionPage(w http.ResponseWriter, r *http.Request) {
	page, ok := pageParam(r)
	if !ok {
		s.fail(w, r, http.StatusBadRequest, "page: want a number from 1")
		return
	}
	src, v, err := s.versionOf(r.Context(), r)
	if err != nil {
		s.failErr(w, r, "version", err)
		return
	}
	release, ok := s.acquire(w, r)
	if !ok {
		return
	}
	defer release()
	data, err := s.db.Blob(r.Context(), v.DocSHA256)
	if err != nil {
		s.failErr(w, r, "version text", err)
		return
	}
	p := newPager(clausesPerPage, clauseText, page)
	doc, err := documentPage(data, p)
	if err != nil {
		s.failErr(w, r, "version text", fmt.Errorf("document %s: %w", v.DocSHA256, err))
		return
	}
	d := versionData{Source: src, V: v, Doc: doc}
	if d.Page, ok = p.info(r.URL.Path, nil); !ok {
		s.fail(w, r, http.StatusNotFound, fmt.Sprintf("version %d has no page %d", v.Seq, page))
		return
	}
	body, err := s.execute(r, "version", d)
	release()
	s.send(w, r, http.StatusOK, "version", body, err)
}

// rawCapture serves the bytes a version was first read from, as plain
// text in a sandbox: a capture is the site's HTML, and must never run on
// this origin.
func (s *Server) rawCapture(w http.ResponseWriter, r *http.Request) {
	src, v, err := s.versionOf(r.Context(), r)
	if err != nil {
		s.failErr(w, r, "capture", err)
		return
	}
	body, err := s.db.Blob(r.Context(), v.BodySHA256)
	if err != nil {
		s.failErr(w, r, "capture", err)
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Capture-SHA256", v.BodySHA256)
	if r.URL.Query().Get("download") == "1" {
		h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-v%d-%s.html"`, url.PathEscape(src.Name), v.Seq, v.BodySHA256[:12]))
	}
	w.Write(body)
}

type supplierRow struct {
	Name    string
	Sources int
	Broken  int
}

type suppliersData struct{ Rows []supplierRow }

func (suppliersData) title() string { return "Suppliers" }

func (s *Server) suppliersPage(w http.ResponseWriter, r *http.Request) {
	rows, err := s.sourceRows(r.Context(), nil)
	if err != nil {
		s.failErr(w, r, "suppliers", err)
		return
	}
	by := map[string]*supplierRow{}
	var out []supplierRow
	for _, row := range rows {
		sr := by[row.Supplier]
		if sr == nil {
			sr = &supplierRow{Name: row.Supplier}
			by[row.Supplier] = sr
		}
		sr.Sources++
		if row.State.Health == store.HealthBroken {
			sr.Broken++
		}
	}
	for _, sr := range by {
		out = append(out, *sr)
	}
	slices.SortFunc(out, func(a, b supplierRow) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	s.render(w, r, http.StatusOK, "suppliers", suppliersData{Rows: out})
}

type supplierData struct {
	Name    string
	Sources []sourceRow
	Changes []entry
	Next    string
	Atom    string
	Program supplierRecord
}

func (d supplierData) title() string { return d.Name }

func (s *Server) supplierPage(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	rows, err := s.sourceRows(r.Context(), func(src store.Source) bool { return src.Supplier == name })
	if err != nil {
		s.failErr(w, r, "supplier", err)
		return
	}
	if len(rows) == 0 {
		s.fail(w, r, http.StatusNotFound, fmt.Sprintf("no supplier %q", name))
		return
	}
	q := feedQuery{Supplier: name, Limit: 100}
	entries, next, err := s.entries(r.Context(), q)
	if err != nil {
		s.failErr(w, r, "changes", err)
		return
	}
	rec, err := s.supplierRecord(r, name)
	if err != nil {
		s.failErr(w, r, "supplier record", err)
		return
	}
	d := supplierData{Name: name, Sources: rows, Changes: entries, Atom: q.withQuery("/feed.atom"), Next: q.nextPage("/", next), Program: rec}
	s.render(w, r, http.StatusOK, "supplier", d)
}

func pathEscape(s string) string { return url.PathEscape(s) }
