package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/clausewatch/clausewatch/diff"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/vetting"
	"github.com/clausewatch/clausewatch/watch"
)

// ViewLink is the change page in another view (side or inline), on the
// same page of the diff.
func (d changeData) ViewLink(view string) string {
	q := url.Values{"view": {view}}
	if d.Page.Number > 1 {
		q.Set("page", strconv.Itoa(d.Page.Number))
	}
	return "?" + q.Encode()
}

// compareData is the comparison of two versions of a source: the pick
// form, and the diff between them rendered as a change page renders
// one.
type compareData struct {
	Source   store.Source
	Versions []store.Version // newest first, for the pick form
	From, To uint64
	Old, New store.Version
	R        *diff.Result // nil until two versions are picked
	Groups   []changeGroup
	Page     pageInfo
	Inline   bool
	// Change is the recorded change between them, when they follow each
	// other (its page has the triage).
	Change uint64
	// Date is the "in force at" form's value.
	Date string
}

func (d compareData) title() string {
	if d.R == nil {
		return d.Source.Name + ": compare versions"
	}
	return fmt.Sprintf("%s: version %d → %d", d.Source.Name, d.From, d.To)
}

// query is the comparison's query string, with view when inline.
func (d compareData) query() url.Values {
	q := url.Values{"from": {strconv.FormatUint(d.From, 10)}, "to": {strconv.FormatUint(d.To, 10)}}
	if d.Inline {
		q.Set("view", "inline")
	}
	return q
}

// ViewLink is the comparison in another view, on the same page.
func (d compareData) ViewLink(view string) string {
	q := d.query()
	q.Set("view", view)
	if d.Page.Number > 1 {
		q.Set("page", strconv.Itoa(d.Page.Number))
	}
	return "?" + q.Encode()
}

// comparePage is GET /sources/{id}/compare?from=A&to=B: any two versions
// of the source's current generation, diffed now with the program's
// rules. Without from and to it shows the form, set to the last change.
func (s *Server) comparePage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	src, err := s.db.Source(ctx, r.PathValue("id"))
	if err != nil {
		s.failErr(w, r, "source "+r.PathValue("id"), err)
		return
	}
	vs, err := s.db.Versions(ctx, src.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.failErr(w, r, "versions", err)
		return
	}
	d := compareData{Source: src, Versions: slices.Clone(vs), Inline: r.URL.Query().Get("view") == "inline", Date: r.URL.Query().Get("date")}
	slices.Reverse(d.Versions)
	q := r.URL.Query()
	if q.Get("from") == "" && q.Get("to") == "" {
		if n := len(vs); n >= 2 {
			d.From, d.To = vs[n-2].Seq, vs[n-1].Seq
		}
		s.render(w, r, http.StatusOK, "compare", d)
		return
	}
	var ok bool
	if d.Old, ok = pickVersion(vs, q.Get("from")); !ok {
		s.fail(w, r, http.StatusBadRequest, fmt.Sprintf("from: %q is not a version of %s (it has %s)", q.Get("from"), src.Name, plural(len(vs), "version")))
		return
	}
	if d.New, ok = pickVersion(vs, q.Get("to")); !ok {
		s.fail(w, r, http.StatusBadRequest, fmt.Sprintf("to: %q is not a version of %s (it has %s)", q.Get("to"), src.Name, plural(len(vs), "version")))
		return
	}
	d.From, d.To = d.Old.Seq, d.New.Seq
	page, ok := pageParam(r)
	if !ok {
		s.fail(w, r, http.StatusBadRequest, "page: want a number from 1")
		return
	}
	release, ok := s.acquire(w, r)
	if !ok {
		return
	}
	defer release()
	p := newPager(changesPerPage, changeText, page)
	if d.R, err = s.compareVersions(r, d.Old, d.New, p); err != nil {
		s.failErr(w, r, "compare", err)
		return
	}
	d.Groups = groupChanges(d.R)
	if d.Page, ok = p.info(r.URL.Path, d.query()); !ok {
		s.fail(w, r, http.StatusNotFound, fmt.Sprintf("the comparison has no page %d", page))
		return
	}
	if d.From+1 == d.To || d.To+1 == d.From {
		d.Change = s.changeBetween(r, src.ID, d.Old.Seq, d.New.Seq)
	}
	body, err := s.execute(r, "compare", d)
	release()
	s.send(w, r, http.StatusOK, "compare", body, err)
}

// pickVersion finds the version a form names by its number.
func pickVersion(vs []store.Version, seq string) (store.Version, bool) {
	n, err := strconv.ParseUint(seq, 10, 64)
	if err != nil {
		return store.Version{}, false
	}
	i := slices.IndexFunc(vs, func(v store.Version) bool { return v.Seq == n })
	if i < 0 {
		return store.Version{}, false
	}
	return vs[i], true
}

// compareVersions diffs two stored versions with the program's rules,
// and keeps the page p wants (through the same paging as a stored
// change's diff).
func (s *Server) compareVersions(r *http.Request, old, new store.Version, p *pager) (*diff.Result, error) {
	a, err := watch.Document(r.Context(), s.db, old.DocSHA256)
	if err != nil {
		return nil, fmt.Errorf("version %d: %w", old.Seq, err)
	}
	b, err := watch.Document(r.Context(), s.db, new.DocSHA256)
	if err != nil {
		return nil, fmt.Errorf("version %d: %w", new.Seq, err)
	}
	data, err := json.Marshal(diff.Compare(a, b, s.opts.Program.Rules))
	if err != nil {
		return nil, fmt.Errorf("diff of versions %d and %d: %w", old.Seq, new.Seq, err)
	}
	return diffPage(data, p)
}

// changeBetween is the ID of the recorded change from one version to
// the other, or 0.
func (s *Server) changeBetween(r *http.Request, source, from, to uint64) uint64 {
	cs, err := s.db.Changes(r.Context(), store.ChangeFilter{SourceID: source})
	if err != nil {
		return 0
	}
	for _, c := range cs {
		if c.From == from && c.To == to {
			return c.ID
		}
	}
	return 0
}

// versionAtPage is GET /sources/{id}/at?date=YYYY-MM-DD: a redirect to
// the version in force at the end of that day, in the supplier's time
// zone when its record names one (UTC otherwise) — the renewal report's
// rule for its baselines.
func (s *Server) versionAtPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	src, err := s.db.Source(ctx, r.PathValue("id"))
	if err != nil {
		s.failErr(w, r, "source "+r.PathValue("id"), err)
		return
	}
	raw := r.URL.Query().Get("date")
	day, err := vetting.ParseDate(raw)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, fmt.Sprintf("date: %q: want YYYY-MM-DD", raw))
		return
	}
	loc := time.UTC
	if sup, err := s.db.Supplier(ctx, src.Supplier); err == nil {
		if l, err := sup.Location(); err == nil {
			loc = l
		}
	}
	end := day.AddDays(1).Start(loc).Add(-time.Nanosecond)
	vs, err := s.db.Versions(ctx, src.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.failErr(w, r, "versions", err)
		return
	}
	v, ok := vetting.VersionAt(vs, end)
	if !ok {
		msg := fmt.Sprintf("%s had no version recorded by the end of %s (%s)", src.Name, raw, loc)
		if len(vs) > 0 {
			msg += fmt.Sprintf("; its first was seen %s", when(vs[0].FirstSeen))
		}
		s.fail(w, r, http.StatusNotFound, msg)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/sources/%d/versions/%d?at=%s", src.ID, v.Seq, url.QueryEscape(raw)), http.StatusSeeOther)
}
