package store

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clausewatch/clausewatch/diff"
	"github.com/clausewatch/clausewatch/extract"
)

// The workload of TestSimulatedYear (year_test.go): what a daemon that
// checks every source once an hour hands the store, built the way
// watch/decide.go builds it, and written with the same calls the daemon
// makes per check (State, GenerationVersions, Record with its next due
// time; group commit with as many writers as workers).
//
// The mix, drawn per fetch from a generator seeded with (source, round),
// so the same run writes the same records whatever the scheduling:
//
//   - 40% of the sources answer with an ETag: their unchanged fetches are
//     304s without a body; the others send the same page again (200);
//   - 3% of the sources churn headers on every fetch (a request ID and a
//     session cookie), so every fetch of theirs has a header set of its
//     own; another 2% of the other fetches carry one of a few CDN
//     variants (a cache miss, another edge);
//   - 0.5% of the fetches fail (timeout or 503), as a failing check
//     records them;
//   - a fetch changes the source's page with probability 1/2,190 (about
//     every three months): the page becomes the next real version of the
//     same document from the corpus (../shared/corpus), extracted and
//     diffed for real, and recorded as the daemon records a confirmed
//     change (the confirming fetch's pending sighting before it is left
//     out: one more record per change, 0.05% of the fetches).
const (
	yearETagShare   = 0.40
	yearChurnShare  = 0.03
	yearCDNShare    = 0.02
	yearFailShare   = 0.005
	yearChangeEvery = 2190
)

// yearPage is one snapshot of a corpus document, extracted.
type yearPage struct {
	path    string
	body    []byte // nil in the child, which reads it when a check needs it
	hash    string
	doc     *extract.Document
	docJSON []byte
	text    string
	words   int
}

// yearPages is the corpus by document, each document's versions in
// order, with the diffs between successive versions made once.
type yearPages struct {
	docs  [][]*yearPage
	keep  bool // keep bodies in memory (the simulation; not the child)
	mu    sync.Mutex
	diffs map[[2]*yearPage]*yearDiff
}

type yearDiff struct {
	once   sync.Once
	change Change
	json   []byte
}

// loadYearPages reads the corpus's HTML snapshots, or makes synthetic
// documents when the corpus is not there (said in the log).
func loadYearPages(dir string, keep bool, logf func(string, ...any)) (*yearPages, error) {
	p := &yearPages{keep: keep, diffs: map[[2]*yearPage]*yearDiff{}}
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*", "*.html"))
	slices.Sort(files)
	byDoc := map[string][]*yearPage{}
	var order []string
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("corpus page %s: %w", f, err)
		}
		pg, ok := newYearPage(f, body)
		if !ok {
			continue // not a policy the extractor reads (error page, empty)
		}
		d := filepath.Dir(f)
		if byDoc[d] == nil {
			order = append(order, d)
		}
		byDoc[d] = append(byDoc[d], pg)
	}
	for _, d := range order {
		if len(byDoc[d]) >= 2 {
			p.docs = append(p.docs, byDoc[d])
		}
	}
	if len(p.docs) == 0 {
		logf("corpus not found at %s: synthetic pages instead", dir)
		for d := range 8 {
			var doc []*yearPage
			for v := range 3 {
				body := []byte(synthPolicy(d, v))
				pg, _ := newYearPage("", body)
				doc = append(doc, pg)
			}
			p.docs = append(p.docs, doc)
		}
	}
	if !keep {
		for _, doc := range p.docs {
			for _, pg := range doc {
				if pg.path != "" {
					pg.body = nil
				}
			}
		}
	}
	return p, nil
}

func newYearPage(path string, body []byte) (*yearPage, bool) {
	doc, err := extract.Bytes(body, extract.Options{ContentType: "text/html"})
	if err != nil || doc.Truncated || len(doc.Clauses) == 0 {
		return nil, false
	}
	docJSON, _ := json.Marshal(doc)
	h := sha256.New()
	words := 0
	for _, cl := range doc.Clauses { // watch.TextHash and wordCount
		h.Write([]byte(cl.Text))
		h.Write([]byte{'\n'})
		words += len(strings.Fields(cl.Text))
	}
	return &yearPage{path: path, body: body, hash: Hash(body), doc: doc, docJSON: docJSON, text: hex.EncodeToString(h.Sum(nil)), words: words}, true
}

func synthPolicy(d, v int) string {
	var b strings.Builder
	b.WriteString("<html><body><h1>Privacy policy</h1>")
	for i := range 60 {
		fmt.Fprintf(&b, "<p>Clause %d of policy %d: we keep your e-mail address for %d days and share it with processor %d.</p>", i, d, 30+v*(i%3), i%7)
	}
	return b.String() + "</body></html>"
}

// pageOf is source src's page now.
func (s *yearSim) pageOf(src uint64) *yearPage {
	if s.current != nil {
		return s.current[src-1]
	}
	return s.pages.page(src, s.changes[src-1])
}

// page is source src's page after `changes` changes.
func (p *yearPages) page(src uint64, changes int) *yearPage {
	doc := p.docs[int(src-1)%len(p.docs)]
	return doc[(int(src-1)/len(p.docs)+changes)%len(doc)]
}

// bodyOf is pg's body, read from the corpus again when not kept (the
// child: a daemon holds a body only while it checks it).
func (p *yearPages) bodyOf(pg *yearPage) ([]byte, error) {
	if pg.body != nil {
		return pg.body, nil
	}
	return os.ReadFile(pg.path)
}

// diffOf is the change from a to b, as watch.changeOf makes it.
func (p *yearPages) diffOf(a, b *yearPage) (Change, []byte) {
	p.mu.Lock()
	d := p.diffs[[2]*yearPage{a, b}]
	if d == nil {
		d = &yearDiff{}
		p.diffs[[2]*yearPage{a, b}] = d
	}
	p.mu.Unlock()
	d.once.Do(func() {
		r := diff.Compare(a.doc, b.doc, diff.DefaultRules())
		d.json, _ = json.Marshal(r)
		cats := map[string]bool{}
		for _, ch := range r.Changes {
			for _, c := range ch.Categories {
				cats[c] = true
			}
		}
		d.change = Change{Revet: r.Revet, Summary: r.Summary, DiffVersion: r.Version, RulesVersion: strconv.Itoa(r.RulesVersion), Rewrite: r.Rewrite,
			Counts: map[string]int{"substantive": r.Counts.Substantive, "editorial": r.Counts.Editorial, "cosmetic": r.Counts.Cosmetic, "unchanged": r.Counts.Unchanged}}
		for c := range cats {
			d.change.Categories = append(d.change.Categories, c)
		}
		slices.Sort(d.change.Categories)
		if r.Gist != nil {
			d.change.Gist, _ = json.Marshal(r.Gist)
		}
		if len(r.Rank) > 0 {
			d.change.Rank, _ = json.Marshal(r.Rank[:min(len(r.Rank), 5)])
		}
	})
	return d.change, d.json
}

// yearSim writes rounds of checks into db.
type yearSim struct {
	db      *DB
	pages   *yearPages
	sources int
	workers int
	base    time.Time
	now     *atomic.Int64 // the store's clock (UnixNano)
	// changes[src-1] is how many times the source's page has changed; a
	// worker owns its source's entry during a round.
	changes []int
	// current, when set, is each source's page (the child's: its pages
	// are not extracted, and its round changes none).
	current []*yearPage
	// Counts of what was recorded.
	fetches, changed, failed, churned atomic.Int64
}

func (s *yearSim) roundTime(r int) time.Time { return s.base.Add(time.Duration(r) * time.Hour) }

// rng is the generator of source src's fetch in round r.
func yearRand(src uint64, r int) *rand.Rand {
	return rand.New(rand.NewPCG(src, uint64(r)))
}

// trait is a fixed property of a source: whether its hash falls under share.
func yearTrait(src uint64, salt string, share float64) bool {
	h := sha256.Sum256([]byte(salt + strconv.FormatUint(src, 10)))
	return float64(binary.BigEndian.Uint32(h[:]))/(1<<32) < share
}

// round checks every source once, workers at a time, at round r's hour;
// unchanged makes every fetch see the page it saw last (the child's round).
func (s *yearSim) round(ctx context.Context, r int, unchanged bool) error {
	s.now.Store(s.roundTime(r).UnixNano())
	jobs := make(chan uint64)
	errs := make(chan error, s.workers)
	var wg sync.WaitGroup
	for range s.workers {
		wg.Go(func() {
			for src := range jobs {
				if err := s.check(ctx, src, r, unchanged); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	var err error
feed:
	for src := uint64(1); src <= uint64(s.sources); src++ {
		select {
		case jobs <- src:
		case err = <-errs:
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err == nil && len(errs) > 0 {
		err = <-errs
	}
	return err
}

// check is one source's check in round r: read what the daemon reads,
// decide as watch/decide.go would, record with the next due time.
func (s *yearSim) check(ctx context.Context, src uint64, r int, unchanged bool) error {
	st, err := s.db.State(ctx, src)
	if err != nil {
		return err
	}
	known, err := s.db.GenerationVersions(ctx, src, st.Generation)
	if err != nil {
		return err
	}
	var cur *Version
	for i := range known {
		if known[i].Seq == st.Current {
			cur = &known[i]
		}
	}
	rng := yearRand(src, r)
	at := s.roundTime(r)
	start := at.Add(time.Duration(src*7919%3000) * time.Second)
	etag := yearTrait(src, "etag", yearETagShare)
	pg := s.pageOf(src)
	f := Fetch{SourceID: src, URL: fmt.Sprintf("https://site%d.example/privacy", src), Extractor: extract.Version, Start: start,
		End: start.Add(time.Duration(80+rng.IntN(400)) * time.Millisecond), Attempts: 1, Proto: "HTTP/2.0", RemoteAddr: fmt.Sprintf("192.0.2.%d:443", src%250+1),
		UserAgent: "clausewatch/0.1 (privacy-policy change tracker; +https://github.com/clausewatch/clausewatch)", AcceptLanguage: "en"}
	f.FinalURL = f.URL
	f.RequestHeader = map[string][]string{"User-Agent": {f.UserAgent}, "Accept": {"text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.5"},
		"Accept-Language": {"en"}, "Accept-Encoding": {"gzip, br"}}
	f.TLS = &TLS{Version: "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", ServerName: fmt.Sprintf("site%d.example", src), PeerSHA256: Hash([]byte(fmt.Sprint("cert", src))),
		Subject: fmt.Sprintf("CN=site%d.example", src), Issuer: "CN=R11,O=Let's Encrypt,C=US", NotAfter: s.base.AddDate(0, 3+int(src%9), 0)}
	f.Header = map[string][]string{"Content-Type": {"text/html; charset=utf-8"}, "Date": {start.Add(time.Second).Format(http.TimeFormat)},
		"Cache-Control": {"max-age=600"}, "Server": {"nginx"}, "Vary": {"Accept-Encoding"}}
	if etag && cur != nil {
		f.Header["Etag"] = []string{`"` + cur.BodySHA256[:16] + `"`}
	}
	if yearTrait(src, "churn", yearChurnShare) {
		f.Header["X-Request-Id"] = []string{fmt.Sprintf("%016x", rng.Uint64())}
		f.Header["Set-Cookie"] = []string{fmt.Sprintf("sid=%016x; Path=/; HttpOnly; Secure", rng.Uint64())}
		s.churned.Add(1)
	} else if rng.Float64() < yearCDNShare {
		f.Header["X-Cache"] = []string{[]string{"MISS", "HIT from edge-2", "EXPIRED"}[rng.IntN(3)]}
		s.churned.Add(1)
	}
	rec := Record{Due: &Due{Schedule: "@hourly", Slot: at.Add(time.Hour), At: at.Add(time.Hour + time.Duration(src*7919%3000)*time.Second), LastStart: start}}
	st.LastFetch = start
	switch {
	case cur == nil:
		f.Status, f.Outcome = 200, OutcomeNew
		if etag {
			f.Header["Etag"] = []string{`"` + pg.hash[:16] + `"`}
		}
		rec.Start = &Version{TextSHA256: pg.text, Extractor: extract.Version, Title: pg.doc.Title, Updated: pg.doc.Updated, Clauses: len(pg.doc.Clauses), Words: pg.words}
		rec.Doc, f.TextSHA256, f.Words = pg.docJSON, pg.text, pg.words
		if rec.Body, err = s.pages.bodyOf(pg); err != nil {
			return err
		}
		st.Health, st.LastGood, st.FinalURL = HealthOK, start, f.URL
	case !unchanged && rng.Float64() < yearFailShare:
		f.Outcome, f.Reason, f.Error = OutcomeFailed, "HTTP 503", "fetch: status 503 Service Unavailable"
		f.Status = 503
		if rng.IntN(2) == 0 {
			f.Status, f.Reason, f.Error, f.Header, f.TLS = 0, "timeout", "fetch: context deadline exceeded", nil, nil
		}
		st.Failures++
		if st.Health != HealthFailing {
			st.HealthSince = start
		}
		st.Health, st.HealthReason = HealthFailing, fmt.Sprintf("%d fetches in a row failed or were suspect; last: %s", st.Failures, f.Reason)
		s.failed.Add(1)
	case !unchanged && rng.IntN(yearChangeEvery) == 0:
		next := s.pages.page(src, s.changes[src-1]+1)
		old := s.pages.page(src, s.changes[src-1])
		change, diffJSON := s.pages.diffOf(old, next)
		f.Status, f.Outcome = 200, OutcomeChanged
		if rec.Body, err = s.pages.bodyOf(next); err != nil {
			return err
		}
		if etag {
			f.Header["Etag"] = []string{`"` + next.hash[:16] + `"`}
		}
		rec.Doc, rec.Diff, rec.Change = next.docJSON, diffJSON, &change
		rec.Start = &Version{TextSHA256: next.text, Extractor: extract.Version, Title: next.doc.Title, Updated: next.doc.Updated, Clauses: len(next.doc.Clauses), Words: next.words}
		f.TextSHA256, f.Words = next.text, next.words
		yearGood(&st, start)
		s.changes[src-1]++
		s.changed.Add(1)
	case etag:
		f.Status, f.Outcome = 304, OutcomeNotModified
		yearGood(&st, start)
		rec.Seen = true
	default:
		f.Status, f.Outcome = 200, OutcomeUnchanged
		if rec.Body, err = s.pages.bodyOf(pg); err != nil {
			return err
		}
		rec.BodySHA256 = cur.BodySHA256
		f.TextSHA256, f.Words, f.DocSHA256 = cur.TextSHA256, cur.Words, cur.DocSHA256
		yearGood(&st, start)
		rec.Seen = true
	}
	if v := f.Header["Etag"]; len(v) > 0 {
		st.ETag = v[0]
	}
	rec.Fetch, rec.State = f, st
	if _, _, err := s.db.Record(ctx, rec); err != nil {
		return fmt.Errorf("round %d: %w", r, err)
	}
	s.fetches.Add(1)
	return nil
}

func yearGood(st *State, start time.Time) {
	if st.Health != HealthOK {
		st.HealthSince = start
	}
	st.Health, st.HealthReason, st.Failures, st.Unsettled, st.LastGood, st.Pending = HealthOK, "", 0, 0, start, nil
}
