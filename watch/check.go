package watch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/clausewatch/clausewatch/diff"
	"github.com/clausewatch/clausewatch/extract"
	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/store"
)

// Policy holds the thresholds that decide what a fetch means.
type Policy struct {
	// Confirmations is how many fetches in a row must see a new text
	// before it is recorded. Default 2 (the first sighting and one more).
	Confirmations int
	// FlipConfirmations is how many fetches in a row must see an earlier
	// version's text before it is recorded as a change back. Default 3.
	FlipConfirmations int
	// ConfirmDelay is the wait before the confirming fetch Check makes
	// itself. Default 10s; negative means confirm at the next check.
	ConfirmDelay time.Duration
	// ShrinkRatio: a text with fewer words than this share of the current
	// version's is suspect. Default 0.5.
	ShrinkRatio float64
	// MinWords: a page with fewer words is not a policy. Default 20.
	MinWords int
	// BrokenAfter: this many failed or suspect fetches in a row mark the
	// source's tracking broken. Default 3.
	BrokenAfter int
	// GoneAfter: this many 404/410 answers in a row mark it broken.
	// Default 2.
	GoneAfter int
}

// Checker checks sources and records what it finds.
type Checker struct {
	Store  *store.DB
	Client *fetch.Client
	// Rules classify changes. Default diff.DefaultRules().
	Rules  *diff.Rules
	Policy Policy
	Logger *slog.Logger
	// Now stamps fetches that failed before a request was sent (the fetch
	// client stamps the others). Default time.Now.
	Now func() time.Time
}

// Result is what one check did.
type Result struct {
	Source store.Source
	// Fetch is the last fetch recorded (the confirming one, when Check
	// confirmed a change itself).
	Fetch store.Fetch
	// Change is set when a change was recorded.
	Change *store.Change
	// Version is the version the source is at after the check.
	Version uint64
	// Health is the source's tracking health after the check, with its
	// reason.
	Health       store.Health
	HealthReason string
	// Notice is something to report once: a new flip pair, tracking
	// broken or recovered.
	Notice string
	// Err is an error of our own (the store), not of the site: site
	// failures are recorded fetches.
	Err error
	// rescheduled is true when the check's record also wrote the
	// source's next due time.
	rescheduled bool
}

func (c *Checker) policy() Policy {
	p := c.Policy
	if p.Confirmations <= 0 {
		p.Confirmations = 2
	}
	if p.FlipConfirmations <= 0 {
		p.FlipConfirmations = 3
	}
	if p.ConfirmDelay == 0 {
		p.ConfirmDelay = 10 * time.Second
	}
	if p.ShrinkRatio <= 0 {
		p.ShrinkRatio = 0.5
	}
	if p.MinWords <= 0 {
		p.MinWords = 20
	}
	if p.BrokenAfter <= 0 {
		p.BrokenAfter = 3
	}
	if p.GoneAfter <= 0 {
		p.GoneAfter = 2
	}
	return p
}

func (c *Checker) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}

func (c *Checker) logger() *slog.Logger {
	if c.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Logger
}

// Check fetches one source and records the fetch. When the text differs
// from the current version, it fetches again after Policy.ConfirmDelay
// and records the change only if the second fetch agrees.
func (c *Checker) Check(ctx context.Context, src store.Source) Result {
	return c.check(ctx, src, nil)
}

// check is Check, writing next (when not nil) as the source's next due
// time in the same transaction as the check's last record, so that a
// scheduled check costs one commit and "recorded" and "rescheduled" never
// part. A check interrupted before its last record leaves the due time
// alone.
func (c *Checker) check(ctx context.Context, src store.Source, next *store.Due) Result {
	p := c.policy()
	res := c.once(ctx, src, false, next)
	if res.Err == nil && c.confirmationFollows(res.Fetch.Outcome, false) {
		t := time.NewTimer(p.ConfirmDelay)
		select {
		case <-ctx.Done():
			t.Stop()
			return res
		case <-t.C:
		}
		res = c.once(ctx, src, true, next)
	}
	return res
}

// CheckAll checks sources with at most workers at once, calling progress
// (serialised) after each. Results are in the order of srcs. A source's
// failure never stops the others.
func (c *Checker) CheckAll(ctx context.Context, srcs []store.Source, workers int, progress func(Result)) []Result {
	if workers <= 0 {
		workers = 4
	}
	results := make([]Result, len(srcs))
	jobs := make(chan int)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range min(workers, len(srcs)) {
		wg.Go(func() {
			for i := range jobs {
				r := c.Check(ctx, srcs[i])
				results[i] = r
				if progress != nil {
					mu.Lock()
					progress(r)
					mu.Unlock()
				}
			}
		})
	}
	for i := range srcs {
		select {
		case jobs <- i:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			for j := i; j < len(srcs); j++ {
				results[j] = Result{Source: srcs[j], Err: ctx.Err()}
			}
			break
		}
	}
	close(jobs)
	wg.Wait()
	return results
}

// current is the source's state with its current version.
type current struct {
	state   store.State
	version *store.Version
	known   []store.Version // every version of the generation
}

func (c *Checker) load(ctx context.Context, src store.Source) (current, error) {
	var cur current
	st, err := c.Store.State(ctx, src.ID)
	if err != nil {
		return cur, err
	}
	cur.state = st
	if cur.known, err = c.Store.GenerationVersions(ctx, src.ID, st.Generation); err != nil {
		return cur, err
	}
	for i := range cur.known {
		if cur.known[i].Seq == st.Current {
			cur.version = &cur.known[i]
		}
	}
	return cur, nil
}

// Document reads a stored extract.Document (a version's DocSHA256).
func Document(ctx context.Context, db *store.DB, hash string) (*extract.Document, error) {
	data, err := db.Blob(ctx, hash)
	if err != nil {
		return nil, err
	}
	var doc extract.Document
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("document %s: %w: %v", hash, store.ErrCorrupt, err)
	}
	return &doc, nil
}

// confirmationFollows reports whether check fetches again after a fetch
// with this outcome: a first sighting of a new text, unless confirmation
// is left to the next scheduled check.
func (c *Checker) confirmationFollows(o store.Outcome, confirming bool) bool {
	return !confirming && o == store.OutcomePending && c.policy().ConfirmDelay >= 0
}

// once is one fetch, decided and recorded. confirming marks the second
// fetch Check makes itself (sent without validators). next is written
// with the record unless a confirming fetch is still to come.
func (c *Checker) once(ctx context.Context, src store.Source, confirming bool, next *store.Due) Result {
	res := Result{Source: src}
	cur, err := c.load(ctx, src)
	if err != nil {
		res.Err = fmt.Errorf("check %s: %w", src.Name, err)
		return res
	}
	req := fetch.Request{URL: src.URL, AllowPrivate: src.AllowPrivate}
	if cur.version != nil && cur.state.Pending == nil && !confirming {
		req.ETag, req.LastModified = cur.state.ETag, cur.state.LastModified
	}
	capture, ferr := c.Client.Fetch(ctx, req)
	if ctx.Err() != nil && capture == nil {
		res.Err = fmt.Errorf("check %s: %w", src.Name, ctx.Err())
		return res
	}
	d := c.decide(src, cur, capture, ferr)
	rec := d.record
	if d.changed != nil {
		// Only a confirmed change needs the current version's document.
		old, err := Document(ctx, c.Store, cur.version.DocSHA256)
		if err != nil {
			res.Err = fmt.Errorf("check %s: %w", src.Name, err)
			return res
		}
		result := diff.Compare(old, d.changed, c.Rules)
		rec.Diff, _ = json.Marshal(result)
		prefix := rec.Change.Summary // decide's note for a change back to an earlier text
		rec.Change = changeOf(result)
		rec.Change.Summary = prefix + rec.Change.Summary
	}
	if next != nil && !c.confirmationFollows(rec.Fetch.Outcome, confirming) {
		rec.Due = next
	}
	f, change, err := c.Store.Record(ctx, rec)
	if err != nil {
		res.Err = fmt.Errorf("check %s: %w", src.Name, err)
		return res
	}
	res.Fetch, res.Change, res.Health, res.HealthReason, res.Notice = f, change, rec.State.Health, rec.State.HealthReason, d.notice
	res.rescheduled = rec.Due != nil
	res.Version = rec.State.Current
	if rec.Start != nil {
		res.Version = f.Version
	}
	c.logger().InfoContext(ctx, "checked", "source", src.Name, "fetch", f.ID, "outcome", f.Outcome, "reason", f.Reason, "status", f.Status, "version", res.Version, "health", res.Health)
	return res
}

// decision is a record to write and what to report about it. changed is
// the new document when the record confirms a change: the caller diffs it
// against the current version and fills in Change and Diff.
type decision struct {
	record  store.Record
	notice  string
	changed *extract.Document
}

// decide turns a capture into a record. It does no I/O.
func (c *Checker) decide(src store.Source, cur current, capture *fetch.Capture, ferr error) decision {
	p := c.policy()
	st := cur.state
	f := store.Fetch{SourceID: src.ID, URL: src.URL, Extractor: extract.Version}
	var body []byte
	if capture != nil {
		f.Start, f.End, f.FinalURL, f.Status, f.Attempts = capture.Start.UTC(), capture.End.UTC(), capture.FinalURL, capture.Status, capture.Attempts
		f.Header, f.RemoteAddr, f.UserAgent, f.AcceptLanguage = capture.Header, capture.RemoteAddr, capture.UserAgent, capture.AcceptLanguage
		f.Proto, f.RequestHeader = capture.Proto, capture.RequestHeader
		if t := capture.TLS; t != nil {
			f.TLS = &store.TLS{Version: t.Version, CipherSuite: t.CipherSuite, ServerName: t.ServerName, PeerSHA256: t.PeerSHA256, Subject: t.Subject, Issuer: t.Issuer, NotAfter: t.NotAfter}
		}
		if len(capture.Body) > 0 {
			body = capture.Body
		}
	} else {
		f.Start = c.now().UTC()
		f.End = f.Start
	}
	rec := store.Record{Body: body}
	d := decision{}
	st.LastFetch = f.Start

	// fail records a fetch that did not see the policy.
	fail := func(outcome store.Outcome, reason string) decision {
		f.Outcome, f.Reason = outcome, reason
		st.Failures++
		broken := st.Failures >= p.BrokenAfter
		why := fmt.Sprintf("%d fetches in a row failed or were suspect; last: %s", st.Failures, reason)
		if gone := f.Status == http.StatusNotFound || f.Status == http.StatusGone; gone && st.Failures >= p.GoneAfter {
			broken, why = true, fmt.Sprintf("the page answers %d (%d times in a row)", f.Status, st.Failures)
		}
		if strings.HasPrefix(reason, "redirected") && st.Failures >= p.GoneAfter {
			broken, why = true, reason
		}
		health := store.HealthFailing
		if broken {
			health = store.HealthBroken
		}
		if health != st.Health {
			st.HealthSince = f.Start
			if health == store.HealthBroken {
				d.notice = "tracking broken: " + why + "; the last good version is kept"
			}
		}
		st.Health, st.HealthReason = health, why
		st.Pending = nil
		rec.Fetch, rec.State = f, st
		d.record = rec
		return d
	}
	// good marks the source healthy again.
	good := func() {
		if st.Health == store.HealthBroken {
			d.notice = "tracking recovered"
		}
		if st.Health != store.HealthOK {
			st.HealthSince = f.Start
		}
		st.Health, st.HealthReason, st.Failures = store.HealthOK, "", 0
		st.LastGood = f.Start
	}

	if ferr != nil {
		if capture != nil && errors.Is(ferr, fetch.ErrStatus) {
			f.Error = ferr.Error()
			return fail(store.OutcomeFailed, fmt.Sprintf("HTTP %d", capture.Status))
		}
		f.Error = ferr.Error()
		return fail(store.OutcomeFailed, failureReason(ferr))
	}
	if capture.NotModified {
		if cur.version == nil {
			return fail(store.OutcomeFailed, "304 Not Modified without a stored version")
		}
		f.Outcome = store.OutcomeNotModified
		good()
		st.Pending = nil
		rec.Fetch, rec.State, rec.Seen = f, st, true
		d.record = rec
		return d
	}

	// unchanged records a fetch that saw the current version's text.
	unchanged := func() decision {
		f.Outcome = store.OutcomeUnchanged
		good()
		if st.Pending != nil && !slices.Contains(st.Unconfirmed, st.Pending.TextSHA256) {
			// The new text did not last: remember it, so that if it comes
			// back the page is known to alternate.
			st.Unconfirmed = append(st.Unconfirmed, st.Pending.TextSHA256)
			st.Unconfirmed = st.Unconfirmed[max(0, len(st.Unconfirmed)-maxUnconfirmed):]
		}
		st.Pending = nil
		st.ETag, st.LastModified = capture.Header.Get("ETag"), capture.Header.Get("Last-Modified")
		st.FinalURL = capture.FinalURL
		rec.Fetch, rec.State, rec.Seen = f, st, true
		d.record = rec
		return d
	}
	// The very bytes the current version was read from, read the same
	// way: the same text, without reading it again (most 200s of a page
	// without validators).
	if v := cur.version; v != nil && v.Reading == readingOf(src, capture.ContentType()) && v.BodySHA256 == store.Hash(capture.Body) {
		f.TextSHA256, f.Words, f.DocSHA256 = v.TextSHA256, v.Words, v.DocSHA256
		return unchanged()
	}

	doc, err := extract.Bytes(capture.Body, extract.Options{ContentType: capture.ContentType(), Select: src.Select, Remove: src.Remove})
	if err != nil {
		f.Error = err.Error()
		if errors.Is(err, extract.ErrEmpty) {
			return fail(store.OutcomeSuspect, "empty page: no policy text")
		}
		if challenge := fetch.Challenge(capture.Body); challenge != "" {
			return fail(store.OutcomeSuspect, "bot challenge ("+challenge+")")
		}
		return fail(store.OutcomeSuspect, "cannot read the page: "+err.Error())
	}
	if doc.Truncated {
		// Not a policy (the largest real ones have hundreds of clauses),
		// and too costly to diff and show: refused, never cut short and
		// recorded. --select can narrow a page that holds a policy.
		return fail(store.OutcomeSuspect, fmt.Sprintf("too large for a policy: more than %d clauses or %d KiB of text, not recorded (a select selector can narrow the page)", extract.MaxClauses, extract.MaxText>>10))
	}
	docJSON, _ := json.Marshal(doc)
	rec.Doc = docJSON
	text := TextHash(doc)
	words := wordCount(doc)
	f.TextSHA256, f.Words = text, words

	if cur.version != nil && text == cur.version.TextSHA256 {
		return unchanged()
	}
	if why := junk(capture, doc, words, p); why != "" {
		return fail(store.OutcomeSuspect, why)
	}
	if cur.version != nil {
		if why := redirectedAway(st.FinalURL, capture.FinalURL); why != "" {
			return fail(store.OutcomeSuspect, why)
		}
		if float64(words) < p.ShrinkRatio*float64(cur.version.Words) {
			return fail(store.OutcomeSuspect, fmt.Sprintf("text shrank from %d to %d words", cur.version.Words, words))
		}
	}

	start := func(firstSeen time.Time, firstFetch uint64) *store.Version {
		v := &store.Version{TextSHA256: text, Extractor: extract.Version, Reading: readingOf(src, capture.ContentType()), Title: doc.Title, Updated: doc.Updated,
			Clauses: len(doc.Clauses), Words: words, FirstSeen: firstSeen, FirstFetch: firstFetch}
		return v
	}
	if cur.version == nil {
		f.Outcome = store.OutcomeNew
		good()
		st.ETag, st.LastModified, st.FinalURL = capture.Header.Get("ETag"), capture.Header.Get("Last-Modified"), capture.FinalURL
		rec.Fetch, rec.State, rec.Start = f, st, start(time.Time{}, 0)
		d.record = rec
		return d
	}

	// The text differs from the current version: count sightings. A text
	// that was a version before, or was seen and contradicted before,
	// means the page alternates: it takes more sightings in a row.
	needed := p.Confirmations
	var earlier *store.Version
	for i := range cur.known {
		if cur.known[i].TextSHA256 == text {
			earlier = &cur.known[i]
		}
	}
	alternating := earlier != nil || slices.Contains(st.Unconfirmed, text)
	if alternating {
		needed = p.FlipConfirmations
	}
	if st.Pending == nil || st.Pending.TextSHA256 != text {
		st.Pending = &store.Pending{TextSHA256: text, Seen: f.Start, Count: 0}
	}
	st.Pending.Count++
	good()
	if st.Pending.Count < needed {
		f.Outcome = store.OutcomePending
		f.Reason = fmt.Sprintf("new text seen %d of %d times needed", st.Pending.Count, needed)
		if alternating {
			f.Outcome = store.OutcomeFlip
			other := "another text seen before"
			if earlier != nil {
				other = fmt.Sprintf("the text of version %d", earlier.Seq)
			}
			f.Reason = fmt.Sprintf("%s again (seen %d of %d times in a row needed to record it)", other, st.Pending.Count, needed)
			if !slices.Contains(st.Reported, text) {
				st.Reported = append(st.Reported, text)
				d.notice = fmt.Sprintf("content alternates between version %d and %s (A/B page or rotating content); not recorded as changes", cur.version.Seq, other)
			}
			st.Flips++
		}
		rec.Fetch, rec.State = f, st
		d.record = rec
		return d
	}
	// Confirmed.
	f.Outcome = store.OutcomeChanged
	firstSeen, firstFetch := st.Pending.Seen, st.Pending.FetchID
	if firstFetch == 0 {
		firstSeen = f.Start
	}
	st.Pending = nil
	st.Unconfirmed, st.Reported = nil, nil
	st.ETag, st.LastModified, st.FinalURL = capture.Header.Get("ETag"), capture.Header.Get("Last-Modified"), capture.FinalURL
	rec.Fetch, rec.State = f, st
	rec.Start = start(firstSeen, firstFetch)
	rec.Change = &store.Change{}
	if earlier != nil {
		rec.Change.Summary = fmt.Sprintf("back to the text of version %d: ", earlier.Seq)
	}
	d.record, d.changed = rec, doc
	return d
}

// maxUnconfirmed bounds State.Unconfirmed.
const maxUnconfirmed = 8

// changeOf summarises a diff for the change record.
func changeOf(r *diff.Result) *store.Change {
	cats := map[string]bool{}
	for _, ch := range r.Changes {
		if ch.Class == diff.Substantive || ch.Class == diff.Editorial {
			for _, cat := range ch.Categories {
				cats[cat] = true
			}
		}
	}
	var categories []string
	for cat := range cats {
		categories = append(categories, cat)
	}
	slices.Sort(categories)
	return &store.Change{
		Revet: r.Revet, Summary: r.Summary, Categories: categories, Reasons: revetReasons(r),
		Counts: map[string]int{"substantive": r.Counts.Substantive, "editorial": r.Counts.Editorial,
			"rename": r.Counts.Rename, "cosmetic": r.Counts.Cosmetic, "unchanged": r.Counts.Unchanged},
		DiffVersion: r.Version, RulesVersion: strconv.Itoa(r.RulesVersion),
	}
}

// maxReasons bounds the reasons a change record keeps.
const maxReasons = 6

// revetReasons are the reasons of the substantive changes, each once,
// leaving out the structural notes ("split into 2 clauses") that say how
// a clause moved rather than why it matters.
func revetReasons(r *diff.Result) []string {
	var out []string
	for _, ch := range r.Changes {
		if ch.Class != diff.Substantive {
			continue
		}
		for _, reason := range ch.Reasons {
			if strings.HasPrefix(reason, "split into") || strings.HasPrefix(reason, "merged from") || strings.HasPrefix(reason, "moved") {
				continue
			}
			if !slices.Contains(out, reason) && len(out) < maxReasons {
				out = append(out, reason)
			}
		}
	}
	return out
}

// readingOf identifies how a page is read: the extractor, the source's
// selectors and the Content-Type it came with (its charset matters).
// Equal bytes read the same way give equal text.
func readingOf(src store.Source, contentType string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%q\x00%q\x00%s", extract.Version, src.Select, src.Remove, contentType)
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// TextHash identifies a document's clause text: what versions compare.
// Markup, heading levels and the block kind are left out.
func TextHash(doc *extract.Document) string {
	h := sha256.New()
	for _, cl := range doc.Clauses {
		h.Write([]byte(cl.Text))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// wordCount counts the words of a document's clauses.
func wordCount(doc *extract.Document) int {
	n := 0
	for _, cl := range doc.Clauses {
		n += len(strings.Fields(cl.Text))
	}
	return n
}

// errorTitle matches the title or first heading of an error page.
var errorTitle = regexp.MustCompile(`(?i)^\W*(error\b|404\b|403\b|500\b|502\b|503\b|page not found|not found|file not found|something went wrong|oops|internal server error|service unavailable|bad gateway|access denied|forbidden|too many requests|temporarily unavailable|under maintenance|we'll be back|sorry)`)

// junk says why a readable page is still not the policy, or "".
func junk(capture *fetch.Capture, doc *extract.Document, words int, p Policy) string {
	if challenge := fetch.Challenge(capture.Body); challenge != "" && words < 500 {
		return "bot challenge (" + challenge + ")"
	}
	if fetch.LoginForm(capture.Body) && words < 300 {
		return "login wall (a password form and little text)"
	}
	if words < 300 {
		heading := doc.Title
		for _, cl := range doc.Clauses {
			if cl.Kind == extract.Heading {
				heading = heading + " | " + cl.Text
				break
			}
		}
		for _, part := range strings.Split(heading, " | ") {
			if errorTitle.MatchString(strings.TrimSpace(part)) {
				return fmt.Sprintf("error page (%q)", strings.TrimSpace(part))
			}
		}
		if cookieWall(doc) {
			return "cookie wall (only a consent notice)"
		}
	}
	if words < p.MinWords {
		return fmt.Sprintf("too little text for a policy (%d words)", words)
	}
	return ""
}

// cookieWall reports a short page whose text is only a consent prompt.
func cookieWall(doc *extract.Document) bool {
	var all strings.Builder
	for _, cl := range doc.Clauses {
		all.WriteString(strings.ToLower(cl.Text))
		all.WriteString(" ")
	}
	t := all.String()
	return strings.Contains(t, "cookie") && (strings.Contains(t, "accept all") || strings.Contains(t, "consent")) &&
		(strings.Contains(t, "reject") || strings.Contains(t, "manage") || strings.Contains(t, "continue"))
}

// redirectedAway says how a fetch that now lands somewhere else than the
// last good fetch left its page: another site, or a site's home page.
func redirectedAway(lastFinal, final string) string {
	if lastFinal == "" || final == "" || lastFinal == final {
		return ""
	}
	a, err1 := url.Parse(lastFinal)
	b, err2 := url.Parse(final)
	if err1 != nil || err2 != nil {
		return ""
	}
	if !strings.EqualFold(strings.TrimPrefix(a.Hostname(), "www."), strings.TrimPrefix(b.Hostname(), "www.")) {
		return "redirected to another site: " + final
	}
	if p := strings.Trim(b.Path, "/"); p == "" || p == "index.html" {
		return "redirected to the home page: " + final
	}
	return ""
}

// failureReason says in a few words why a fetch failed.
func failureReason(err error) string {
	switch {
	case errors.Is(err, fetch.ErrBlocked):
		return "address refused by the SSRF guard"
	case errors.Is(err, fetch.ErrTooLarge):
		return "response too large"
	case errors.Is(err, fetch.ErrTooManyRedirects):
		return "redirect loop or too many redirects"
	case errors.Is(err, fetch.ErrTimeout):
		return "timed out"
	case errors.Is(err, fetch.ErrEncoding):
		return "bad content encoding"
	case errors.Is(err, fetch.ErrURL):
		return "bad URL"
	}
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, fetch.ErrTLS):
		return "TLS error"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection broken mid-response"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.As(err, &dnsErr):
		return "host not found"
	}
	return "network error"
}
