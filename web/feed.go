package web

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/clausewatch/clausewatch/diff"
	"github.com/clausewatch/clausewatch/store"
)

// feedQuery is the feed's filter, shared by the page, the Atom and JSON
// feeds and the changes API.
type feedQuery struct {
	Supplier string
	Source   uint64
	Revet    bool
	// Triage: "" (any) or a store.TriageState ("new": not yet triaged;
	// "open", its former name, is still read for old links).
	Triage string
	Before uint64
	Limit  int
}

// triageFilters are the values the triage filter takes, in menu order.
// They are the words the badges show: one vocabulary.
var triageFilters = []string{string(store.TriageNew), string(store.TriageReviewed), string(store.TriageRevet), string(store.TriageDismissed)}

func parseFeedQuery(r *http.Request) (feedQuery, error) {
	v := r.URL.Query()
	q := feedQuery{Supplier: strings.TrimSpace(v.Get("supplier")), Triage: v.Get("triage"), Limit: 50}
	switch v.Get("revet") {
	case "", "0", "false", "no":
	case "1", "true", "yes", "on":
		q.Revet = true
	default:
		return q, fmt.Errorf("revet=%q: want 1 or 0", v.Get("revet"))
	}
	if q.Triage == "open" {
		q.Triage = string(store.TriageNew)
	}
	if q.Triage != "" && !slices.Contains(triageFilters, q.Triage) {
		return q, fmt.Errorf("triage=%q: want one of new, reviewed, revet, dismissed", q.Triage)
	}
	for name, dst := range map[string]*uint64{"before": &q.Before, "source": &q.Source} {
		if s := v.Get(name); s != "" {
			n, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				return q, fmt.Errorf("%s=%q: want a change or source ID", name, s)
			}
			*dst = n
		}
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			return q, fmt.Errorf("limit=%q: want 1 to 500", s)
		}
		q.Limit = n
	}
	return q, nil
}

// values is q as URL parameters, without paging: the feed's identity.
func (q feedQuery) values() url.Values {
	v := url.Values{}
	if q.Supplier != "" {
		v.Set("supplier", q.Supplier)
	}
	if q.Source != 0 {
		v.Set("source", strconv.FormatUint(q.Source, 10))
	}
	if q.Revet {
		v.Set("revet", "1")
	}
	if q.Triage != "" {
		v.Set("triage", q.Triage)
	}
	return v
}

// nextPage is the link to the page after one whose last change was
// before ("" when there is none).
func (q feedQuery) nextPage(path string, before uint64) string {
	if before == 0 {
		return ""
	}
	v := q.values()
	v.Set("before", strconv.FormatUint(before, 10))
	return path + "?" + v.Encode()
}

// withQuery appends q's parameters to path.
func (q feedQuery) withQuery(path string) string {
	if e := q.values().Encode(); e != "" {
		return path + "?" + e
	}
	return path
}

// entry is one change with its source, as every feed shows it.
type entry struct {
	store.Change
	Source store.Source
}

// Link is the change page's path.
func (e entry) Link() string { return fmt.Sprintf("/changes/%d", e.ID) }

// Title is the entry's one-line title.
func (e entry) Title() string {
	verdict := "no re-vet"
	if e.Revet {
		verdict = "re-vet"
	}
	return fmt.Sprintf("%s: %s changed (%s)", e.Source.Supplier, e.Source.Name, verdict)
}

// ranked decodes the top ranked changes the record keeps (none for
// records older than the ranking, or unreadable).
func (e entry) ranked() []diff.RankItem {
	var items []diff.RankItem
	if len(e.Rank) > 0 && json.Unmarshal(e.Rank, &items) != nil {
		return nil
	}
	return items
}

// gist decodes the record's gist (nil when it has none).
func (e entry) gist() *diff.Gist {
	var g diff.Gist
	if len(e.Change.Gist) == 0 || json.Unmarshal(e.Change.Gist, &g) != nil {
		return nil
	}
	return &g
}

// Headline is the line a feed summary opens with: the rewrite banner, or
// the top-ranked change; "" for a change without reading aids.
func (e entry) Headline() string {
	if e.Rewrite {
		h := "Rewritten — review as a new document"
		if lines := e.gist().Lines(); len(lines) > 0 {
			h += ": " + lines[0]
		}
		return h
	}
	if items := e.ranked(); len(items) > 0 {
		return "Top change: " + items[0].Line()
	}
	return ""
}

// FeedSummary is the summary feeds show: the headline, then the verdict
// line.
func (e entry) FeedSummary() string {
	if h := e.Headline(); h != "" {
		return h + "\n" + e.Summary
	}
	return e.Summary
}

// Updated is when the entry last changed: recorded, or triaged since.
func (e entry) Updated() time.Time {
	if e.Triage.At.After(e.Recorded) {
		return e.Triage.At
	}
	return e.Recorded
}

// entries reads a page of the feed.
func (s *Server) entries(ctx context.Context, q feedQuery) ([]entry, uint64, error) {
	cq := store.ChangeQuery{Supplier: q.Supplier, Revet: q.Revet, Before: q.Before, Limit: q.Limit}
	if q.Source != 0 {
		cq.Sources = []uint64{q.Source}
	}
	switch q.Triage {
	case "":
	case string(store.TriageNew):
		// Not yet triaged: "new", or no state at all (older records).
		cq.Triage = []store.TriageState{store.TriageNew, ""}
	default:
		cq.Triage = []store.TriageState{store.TriageState(q.Triage)}
	}
	changes, next, err := s.db.ChangePage(ctx, cq)
	if err != nil {
		return nil, 0, err
	}
	ids := make([]uint64, len(changes))
	for i, c := range changes {
		ids[i] = c.SourceID
	}
	srcs, err := s.db.SourcesByID(ctx, ids)
	if err != nil {
		return nil, 0, err
	}
	out := make([]entry, len(changes))
	for i, c := range changes {
		if c.Triage.State == "" {
			c.Triage.State = store.TriageNew
		}
		out[i] = entry{Change: c, Source: srcs[c.SourceID]}
	}
	return out, next, nil
}

// supplierIndex caches the suppliers' names the feed page offers as a
// filter: reading 10,000 sources for them on every page would cost more
// than the page. Source edits through this server invalidate it; edits
// by other means show within a minute. (The filter itself is the
// store's: ChangeQuery.Supplier, read in the page's transaction.)
type supplierIndex struct {
	mu    sync.Mutex
	at    time.Time
	names []string // nil: not read yet, or invalidated
}

const supplierIndexTTL = time.Minute

func (s *Server) suppliers(ctx context.Context) ([]string, error) {
	x := &s.supIndex
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.names != nil && time.Since(x.at) < supplierIndexTTL {
		return x.names, nil
	}
	srcs, err := s.db.Sources(ctx)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	names := []string{}
	for _, src := range srcs {
		if !seen[src.Supplier] {
			seen[src.Supplier] = true
			names = append(names, src.Supplier)
		}
	}
	slices.SortStableFunc(names, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	x.names, x.at = names, time.Now()
	return names, nil
}

// sourcesChanged drops the supplier cache after a source edit.
func (s *Server) sourcesChanged() {
	s.supIndex.mu.Lock()
	s.supIndex.names = nil
	s.supIndex.mu.Unlock()
	if s.opts.Scheduler != nil {
		s.opts.Scheduler.Resync()
	}
}

type feedData struct {
	Q         feedQuery
	Entries   []entry
	Next      string
	Suppliers []string
	Triages   []string
	Atom      string
	JSON      string
}

func (feedData) title() string { return "Changes" }

func (s *Server) feedPage(w http.ResponseWriter, r *http.Request) {
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
	names, err := s.suppliers(r.Context())
	if err != nil {
		s.failErr(w, r, "suppliers", err)
		return
	}
	d := feedData{Q: q, Entries: entries, Suppliers: names, Triages: triageFilters, Next: q.nextPage("/", next),
		Atom: q.withQuery("/feed.atom"), JSON: q.withQuery("/feed.json")}
	s.render(w, r, http.StatusOK, "feed", d)
}

// uuidURN makes a name-based UUID (version 5 layout, SHA-256 truncated)
// from this database's instance ID and a name: stable across restarts
// and changes of address, unique to the database.
func (s *Server) uuidURN(name string) string {
	h := sha256.Sum256([]byte(s.instance + "\x00" + name))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// feedTitle names a feed after its filter.
func feedTitle(q feedQuery) string {
	t := "clausewatch: policy changes"
	if q.Revet {
		t = "clausewatch: policy changes that need re-vetting"
	}
	if q.Supplier != "" {
		t += " — " + q.Supplier
	}
	return t
}

// Atom (RFC 4287) structures.
type atomFeed struct {
	XMLName   xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID        string      `xml:"id"`
	Title     string      `xml:"title"`
	Updated   string      `xml:"updated"`
	Author    atomPerson  `xml:"author"`
	Generator string      `xml:"generator"`
	Links     []atomLink  `xml:"link"`
	Entries   []atomEntry `xml:"entry"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomText struct {
	Type string `xml:"type,attr,omitempty"`
	Body string `xml:",chardata"`
}

type atomCategory struct {
	Term string `xml:"term,attr"`
}

type atomEntry struct {
	ID         string         `xml:"id"`
	Title      string         `xml:"title"`
	Updated    string         `xml:"updated"`
	Published  string         `xml:"published"`
	Author     atomPerson     `xml:"author"`
	Links      []atomLink     `xml:"link"`
	Categories []atomCategory `xml:"category"`
	Summary    atomText       `xml:"summary"`
	Content    atomText       `xml:"content"`
}

const atomTime = time.RFC3339

// entryHTML is an entry's body for feed readers: verdict, reasons,
// interval and triage, as escaped HTML.
var entryHTML = template.Must(template.New("entry").Funcs(template.FuncMap{"when": when, "join": strings.Join, "headOf": summaryHead, "restOf": summaryRest}).Parse(
	`{{with .Headline}}<p><strong>{{.}}</strong></p>{{end}}<p><strong>{{headOf .Summary}}</strong>{{with restOf .Summary}}; {{.}}{{end}}</p>` +
		`{{with .Reasons}}<ul>{{range .}}<li>{{.}}</li>{{end}}</ul>{{end}}` +
		`<p>{{.Source.Supplier}} — {{.Source.Name}} ({{.Source.URL}}). Changed between {{when .After}} and {{when .Detected}}.` +
		`{{with .Categories}} Categories: {{join . ", "}}.{{end}} Triage: {{.Triage.State}}{{with .Triage.By}} by {{.}}{{end}}.</p>`))

// feedEntries reads the filter and the newest page of entries for a
// feed (feeds do not page); ok is false when it has answered with an
// error.
func (s *Server) feedEntries(w http.ResponseWriter, r *http.Request) (q feedQuery, entries []entry, ok bool) {
	q, err := parseFeedQuery(r)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return q, nil, false
	}
	q.Before = 0
	entries, _, err = s.entries(r.Context(), q)
	if err != nil {
		s.failErr(w, r, "feed", err)
		return q, nil, false
	}
	return q, entries, true
}

func (s *Server) atomFeed(w http.ResponseWriter, r *http.Request) {
	q, entries, ok := s.feedEntries(w, r)
	if !ok {
		return
	}
	base := s.baseURL(r)
	f := atomFeed{
		ID: s.uuidURN("feed?" + q.values().Encode()), Title: feedTitle(q), Author: atomPerson{Name: "clausewatch"},
		Generator: "clausewatch",
		Links: []atomLink{{Rel: "self", Type: "application/atom+xml", Href: base + q.withQuery("/feed.atom")},
			{Rel: "alternate", Type: "text/html", Href: base + q.withQuery("/")}},
		Updated: feedUpdated(entries).Format(atomTime),
	}
	for _, e := range entries {
		var body strings.Builder
		if err := entryHTML.Execute(&body, e); err != nil {
			s.failErr(w, r, "feed", err)
			return
		}
		ae := atomEntry{
			ID: s.uuidURN(fmt.Sprintf("change/%d", e.ID)), Title: e.Title(),
			Updated: e.Updated().UTC().Format(atomTime), Published: e.Recorded.UTC().Format(atomTime),
			Author:  atomPerson{Name: e.Source.Supplier},
			Links:   []atomLink{{Rel: "alternate", Type: "text/html", Href: base + e.Link()}},
			Summary: atomText{Type: "text", Body: e.FeedSummary()}, Content: atomText{Type: "html", Body: body.String()},
		}
		for _, c := range e.Categories {
			ae.Categories = append(ae.Categories, atomCategory{Term: c})
		}
		if e.Revet {
			ae.Categories = append(ae.Categories, atomCategory{Term: "revet"})
		}
		f.Entries = append(f.Entries, ae)
	}
	out, err := xml.MarshalIndent(f, "", "  ")
	if err != nil {
		s.failErr(w, r, "feed", err)
		return
	}
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	w.Write([]byte(xml.Header))
	w.Write(out)
}

// feedUpdated is the newest entry's update time; an empty feed says the
// epoch, so that its updated time is stable too.
func feedUpdated(entries []entry) time.Time {
	var t time.Time
	for _, e := range entries {
		if u := e.Updated(); u.After(t) {
			t = u
		}
	}
	if t.IsZero() {
		t = time.Unix(0, 0)
	}
	return t.UTC()
}

// JSON Feed 1.1 structures (https://jsonfeed.org/version/1.1).
type jsonFeedDoc struct {
	Version     string         `json:"version"`
	Title       string         `json:"title"`
	HomePageURL string         `json:"home_page_url"`
	FeedURL     string         `json:"feed_url"`
	Items       []jsonFeedItem `json:"items"`
}

type jsonFeedItem struct {
	ID            string   `json:"id"`
	URL           string   `json:"url"`
	Title         string   `json:"title"`
	ContentHTML   string   `json:"content_html"`
	Summary       string   `json:"summary"`
	DatePublished string   `json:"date_published"`
	DateModified  string   `json:"date_modified"`
	Tags          []string `json:"tags,omitempty"`
	// Change is the full change record, for programs (extension field).
	Change apiChange `json:"_clausewatch"`
}

func (s *Server) jsonFeed(w http.ResponseWriter, r *http.Request) {
	q, entries, ok := s.feedEntries(w, r)
	if !ok {
		return
	}
	base := s.baseURL(r)
	f := jsonFeedDoc{Version: "https://jsonfeed.org/version/1.1", Title: feedTitle(q),
		HomePageURL: base + q.withQuery("/"), FeedURL: base + q.withQuery("/feed.json"), Items: []jsonFeedItem{}}
	for _, e := range entries {
		var body strings.Builder
		if err := entryHTML.Execute(&body, e); err != nil {
			s.failErr(w, r, "feed", err)
			return
		}
		tags := slices.Clone(e.Categories)
		if e.Revet {
			tags = append(tags, "revet")
		}
		f.Items = append(f.Items, jsonFeedItem{
			ID: s.uuidURN(fmt.Sprintf("change/%d", e.ID)), URL: base + e.Link(), Title: e.Title(),
			ContentHTML: body.String(), Summary: e.FeedSummary(),
			DatePublished: e.Recorded.UTC().Format(atomTime), DateModified: e.Updated().UTC().Format(atomTime),
			Tags: tags, Change: toAPIChange(base, e),
		})
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		s.failErr(w, r, "feed", err)
		return
	}
	w.Header().Set("Content-Type", "application/feed+json; charset=utf-8")
	w.Write(data)
}
