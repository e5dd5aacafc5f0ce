package web

import (
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/watch"
)

// dashRow is one source on the sources dashboard, in its API view and
// its CSV: what it is, how it is tracked, and when it was last checked,
// last changed and is next due.
type dashRow struct {
	ID       uint64     `json:"id"`
	Name     string     `json:"name"`
	URL      string     `json:"url"`
	Supplier string     `json:"supplier"`
	Kind     store.Kind `json:"kind"`
	Tags     []string   `json:"tags"`
	// Status is active, paused or archived.
	Status string       `json:"status"`
	Health store.Health `json:"health"`
	// Words say the tracking state in a few words (watch.HealthWords);
	// Reason is the full reason `clausewatch sources` prints.
	Words       string    `json:"health_words"`
	Reason      string    `json:"health_reason,omitempty"`
	LastChecked time.Time `json:"last_checked,omitzero"`
	LastGood    time.Time `json:"last_good,omitzero"`
	LastChanged time.Time `json:"last_changed,omitzero"`
	NextDue     time.Time `json:"next_due,omitzero"`
	Version     uint64    `json:"current_version"`
	Versions    int       `json:"versions"`
}

// dashQuery is the dashboard's search, filters and order, from the
// query string (the page, its API view and its CSV take the same).
type dashQuery struct {
	Q, Supplier, Tag string
	Kind             store.Kind
	Health           string // a store.Health, or "unchecked"
	Status           string // "" (active and paused), active, paused, archived, all
	Sort             string // a dashSorts key
	Desc             bool
}

// dashSorts are the sortable columns.
var dashSorts = map[string]func(a, b dashRow) int{
	"name":     func(a, b dashRow) int { return cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) },
	"supplier": func(a, b dashRow) int { return cmp.Compare(strings.ToLower(a.Supplier), strings.ToLower(b.Supplier)) },
	"kind":     func(a, b dashRow) int { return cmp.Compare(a.Kind, b.Kind) },
	"health":   func(a, b dashRow) int { return cmp.Compare(healthRank(a), healthRank(b)) },
	"checked":  func(a, b dashRow) int { return a.LastChecked.Compare(b.LastChecked) },
	"changed":  func(a, b dashRow) int { return a.LastChanged.Compare(b.LastChanged) },
	"due":      func(a, b dashRow) int { return a.NextDue.Compare(b.NextDue) },
}

// healthRank orders the worst first when sorting by health.
func healthRank(r dashRow) int {
	switch {
	case r.Status != "active":
		return 5
	case r.Health == store.HealthBroken:
		return 0
	case r.Health == store.HealthFailing:
		return 1
	case r.Health == store.HealthUnstable:
		return 2
	case r.LastChecked.IsZero():
		return 3
	}
	return 4
}

// parseDashQuery reads the dashboard's query; a bad value is an error
// naming the parameter.
func parseDashQuery(v url.Values) (dashQuery, error) {
	q := dashQuery{Q: strings.TrimSpace(v.Get("q")), Supplier: strings.TrimSpace(v.Get("supplier")), Tag: strings.TrimSpace(v.Get("tag")),
		Kind: store.Kind(v.Get("kind")), Health: v.Get("health"), Status: v.Get("status"), Sort: v.Get("sort")}
	switch q.Kind {
	case "", store.Privacy, store.Terms:
	default:
		return q, fmt.Errorf("kind: %q (want privacy or terms)", q.Kind)
	}
	switch store.Health(q.Health) {
	case "", store.HealthOK, store.HealthFailing, store.HealthBroken, store.HealthUnstable, "unchecked":
	default:
		return q, fmt.Errorf("health: %q (want ok, failing, broken, unstable or unchecked)", q.Health)
	}
	switch q.Status {
	case "", "active", "paused", "archived", "all":
	default:
		return q, fmt.Errorf("status: %q (want active, paused, archived or all)", q.Status)
	}
	q.Sort, q.Desc = strings.CutPrefix(q.Sort, "-")
	if q.Sort == "" {
		q.Sort = "name"
	}
	if dashSorts[q.Sort] == nil {
		return q, fmt.Errorf("sort: %q (want name, supplier, kind, health, checked, changed or due, with - before it for descending)", v.Get("sort"))
	}
	return q, nil
}

// keep reports whether a row passes the filters.
func (q dashQuery) keep(r dashRow) bool {
	switch {
	case q.Status == "" && r.Status == "archived", q.Status != "" && q.Status != "all" && q.Status != r.Status:
		return false
	case q.Supplier != "" && !strings.EqualFold(q.Supplier, r.Supplier), q.Kind != "" && q.Kind != r.Kind:
		return false
	case q.Tag != "" && !slices.ContainsFunc(r.Tags, func(t string) bool { return strings.EqualFold(t, q.Tag) }):
		return false
	case q.Health == "unchecked" && !r.LastChecked.IsZero(),
		q.Health != "" && q.Health != "unchecked" && (r.LastChecked.IsZero() || string(r.Health) != q.Health):
		return false
	}
	if q.Q == "" {
		return true
	}
	needle := strings.ToLower(q.Q)
	for _, hay := range append([]string{r.Name, r.URL, r.Supplier, r.Words}, r.Tags...) {
		if strings.Contains(strings.ToLower(hay), needle) {
			return true
		}
	}
	return false
}

// values is q as a query string, without its defaults.
func (q dashQuery) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"q": q.Q, "supplier": q.Supplier, "tag": q.Tag, "kind": string(q.Kind), "health": q.Health, "status": q.Status} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if q.Sort != "name" || q.Desc {
		v.Set("sort", map[bool]string{true: "-", false: ""}[q.Desc]+q.Sort)
	}
	return v
}

// dashboard reads every source's row and returns those q keeps, sorted.
func (s *Server) dashboard(ctx context.Context, q dashQuery) ([]dashRow, error) {
	rows, err := s.dashRows(ctx)
	if err != nil {
		return nil, err
	}
	return q.apply(rows), nil
}

// dashRows reads every source's row.
func (s *Server) dashRows(ctx context.Context) ([]dashRow, error) {
	srcs, err := s.db.Sources(ctx)
	if err != nil {
		return nil, err
	}
	rows := make([]dashRow, 0, len(srcs))
	for _, src := range srcs {
		r, err := s.dashRowOf(ctx, src)
		if err != nil {
			return nil, fmt.Errorf("source %d: %w", src.ID, err)
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// apply returns the rows q keeps, in its order.
func (q dashQuery) apply(all []dashRow) []dashRow {
	rows := []dashRow{}
	for _, r := range all {
		if q.keep(r) {
			rows = append(rows, r)
		}
	}
	by := dashSorts[q.Sort]
	slices.SortStableFunc(rows, func(a, b dashRow) int {
		c := by(a, b)
		if q.Desc {
			c = -c
		}
		return cmp.Or(c, dashSorts["name"](a, b), cmp.Compare(a.ID, b.ID))
	})
	return rows
}

func (s *Server) dashRowOf(ctx context.Context, src store.Source) (dashRow, error) {
	r := dashRow{ID: src.ID, Name: src.Name, URL: src.URL, Supplier: src.Supplier, Kind: src.Kind, Tags: src.Tags, Status: "active"}
	if r.Tags == nil {
		r.Tags = []string{}
	}
	switch {
	case src.Archived:
		r.Status = "archived"
	case src.Paused:
		r.Status = "paused"
	}
	st, err := s.db.State(ctx, src.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return r, err
	}
	r.Health, r.Reason, r.LastChecked, r.LastGood, r.Version = st.Health, st.HealthReason, st.LastFetch, st.LastGood, st.Current
	var last *store.Fetch
	if !st.LastFetch.IsZero() && st.Health != store.HealthOK {
		fs, err := s.db.Fetches(ctx, src.ID, time.Time{}, time.Time{}, 1)
		if err != nil {
			return r, err
		}
		if len(fs) == 1 {
			last = &fs[0]
		}
	}
	r.Words = watch.HealthWords(src, st, last)
	vs, err := s.db.GenerationVersions(ctx, src.ID, st.Generation)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return r, err
	}
	r.Versions = len(vs)
	// The policy last changed when its current version was first seen,
	// if it is not the first version.
	if n := len(vs); n > 1 {
		for _, v := range vs {
			if v.Seq == st.Current && v.Seq != vs[0].Seq {
				r.LastChanged = v.FirstSeen
			}
		}
	}
	if !src.Paused {
		if due, err := s.db.DueOf(ctx, src.ID); err == nil {
			r.NextDue = due.At
		} else if !errors.Is(err, store.ErrNotFound) {
			return r, err
		}
	}
	return r, nil
}

// dashData is the dashboard page.
type dashData struct {
	Rows  []dashRow
	Q     dashQuery
	Total int
	// Suppliers, Tags are the choices for the filters.
	Suppliers, Tags []string
	CSV, API        string
	Who             identity
	// Notice says what a form just did (a redirect's ?done=).
	Notice string
	// Page is the page of the rows shown: a list of thousands comes a
	// page at a time, under the page cap whatever the names and URLs.
	Page pageInfo
}

// The dashboard's page bounds: rows, and bytes of their text (each is
// shown about twice, in attributes and text).
const (
	dashPerPage = 200
	dashText    = 1 << 20
)

// size is about how many bytes of text a row puts on the page.
func (r dashRow) size() int {
	n := len(r.Name) + len(r.URL) + 2*len(r.Supplier) + 2*len(r.Reason) + len(r.Words)
	for _, t := range r.Tags {
		n += 2 * len(t)
	}
	return n
}

// The filters' choices.
func (dashData) Kinds() []string { return []string{string(store.Privacy), string(store.Terms)} }
func (dashData) Healths() []string {
	return []string{string(store.HealthBroken), string(store.HealthFailing), string(store.HealthUnstable), string(store.HealthOK), "unchecked"}
}
func (dashData) Statuses() []string { return []string{"active", "paused", "archived", "all"} }

func (dashData) title() string { return "Sources" }

// sortChoice is an option of the order menu (the column headers sort
// too, but a phone does not show them).
type sortChoice struct {
	Value, Label string
	Selected     bool
}

// SortChoices are the order menu's options, the current order selected.
func (d dashData) SortChoices() []sortChoice {
	cur := d.Q.Sort
	if d.Q.Desc {
		cur = "-" + cur
	}
	out := []sortChoice{{"name", "Name", false}, {"-name", "Name, Z to A", false}, {"supplier", "Supplier", false}, {"kind", "Kind", false},
		{"health", "Health, worst first", false}, {"-checked", "Last checked, latest first", false}, {"checked", "Last checked, oldest first", false},
		{"-changed", "Last changed, latest first", false}, {"due", "Next due, soonest first", false}}
	found := false
	for i := range out {
		if out[i].Value == cur {
			out[i].Selected, found = true, true
		}
	}
	if !found {
		out = append(out, sortChoice{cur, "By " + d.Q.Sort + map[bool]string{true: ", descending", false: ""}[d.Q.Desc], true})
	}
	return out
}

// SortLink is the dashboard sorted by col: ascending, or descending when
// it is sorted by col ascending already.
func (d dashData) SortLink(col string) string {
	q := d.Q
	q.Desc = q.Sort == col && !q.Desc
	q.Sort = col
	return "/sources?" + q.values().Encode()
}

// SortMark is the arrow of the column the dashboard is sorted by.
func (d dashData) SortMark(col string) string {
	switch {
	case d.Q.Sort != col:
		return ""
	case d.Q.Desc:
		return " ↓"
	}
	return " ↑"
}

// AriaSort is the aria-sort value of a column.
func (d dashData) AriaSort(col string) string {
	switch {
	case d.Q.Sort != col:
		return "none"
	case d.Q.Desc:
		return "descending"
	}
	return "ascending"
}

// dashboardPage is GET /sources: every source with its tracking state,
// searchable, filterable and sortable by the query string.
func (s *Server) dashboardPage(w http.ResponseWriter, r *http.Request) {
	q, err := parseDashQuery(r.URL.Query())
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	all, err := s.dashRows(r.Context())
	if err != nil {
		s.failErr(w, r, "sources", err)
		return
	}
	d := dashData{Q: q, Total: len(all), Who: identityOf(r.Context()), Notice: doneNotice(r.URL.Query().Get("done"))}
	sups, tags := map[string]bool{}, map[string]bool{}
	for _, row := range all {
		sups[row.Supplier] = true
		for _, t := range row.Tags {
			tags[t] = true
		}
	}
	page, ok := pageParam(r)
	if !ok {
		s.fail(w, r, http.StatusBadRequest, "page: want a number from 1")
		return
	}
	p := newPager(dashPerPage, dashText, page)
	for _, row := range q.apply(all) {
		if p.add(row.size()) {
			d.Rows = append(d.Rows, row)
		}
	}
	if d.Page, ok = p.info(r.URL.Path, q.values()); !ok {
		s.fail(w, r, http.StatusNotFound, fmt.Sprintf("the sources list has no page %d", page))
		return
	}
	d.Suppliers, d.Tags = sortedKeys(sups), sortedKeys(tags)
	enc := q.values().Encode()
	d.CSV, d.API = "/sources.csv?"+enc, "/api/sources?view=dashboard&"+enc
	s.render(w, r, http.StatusOK, "sources", d)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		if k != "" {
			out = append(out, k)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return cmp.Compare(strings.ToLower(a), strings.ToLower(b)) })
	return out
}

// apiDashboard is GET /api/sources?view=dashboard: the dashboard's rows,
// with its filters.
func (s *Server) apiDashboard(w http.ResponseWriter, r *http.Request) {
	q, err := parseDashQuery(r.URL.Query())
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	rows, err := s.dashboard(r.Context(), q)
	if err != nil {
		s.failErr(w, r, "sources", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"sources": rows})
}

// dashCSVHeader are the CSV's columns.
var dashCSVHeader = []string{"id", "name", "url", "supplier", "kind", "tags", "status", "health", "health_words", "health_reason",
	"last_checked", "last_good", "last_changed", "next_due", "current_version", "versions"}

// dashboardCSV is GET /sources.csv: the dashboard's rows as CSV, safe to
// open in a spreadsheet (see csvSafe).
func (s *Server) dashboardCSV(w http.ResponseWriter, r *http.Request) {
	q, err := parseDashQuery(r.URL.Query())
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	rows, err := s.dashboard(r.Context(), q)
	if err != nil {
		s.failErr(w, r, "sources", err)
		return
	}
	var b strings.Builder
	cw := csv.NewWriter(&b)
	cw.Write(dashCSVHeader)
	for _, row := range rows {
		rec := []string{strconv.FormatUint(row.ID, 10), row.Name, row.URL, row.Supplier, string(row.Kind), strings.Join(row.Tags, ", "),
			row.Status, string(row.Health), row.Words, row.Reason, csvTime(row.LastChecked), csvTime(row.LastGood), csvTime(row.LastChanged),
			csvTime(row.NextDue), strconv.FormatUint(row.Version, 10), strconv.Itoa(row.Versions)}
		for i := range rec {
			rec[i] = csvSafe(rec[i])
		}
		cw.Write(rec)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		s.failErr(w, r, "sources CSV", err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="clausewatch-sources.csv"`)
	h.Set("Cache-Control", "no-store")
	w.Write([]byte(b.String()))
}

func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// csvSafe keeps a cell from being read as a formula by a spreadsheet
// (CSV injection, OWASP): a cell beginning with = + - @, a tab or a
// carriage return gets a leading apostrophe. Names, URLs and reasons
// come from users and from the sites watched.
func csvSafe(cell string) string {
	if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return "'" + cell
	}
	return cell
}
