package watch

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
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
	// RenderBelow: a plain fetch with fewer words of policy text is
	// rendered in a browser when the source's render mode is auto (and a
	// browser is there). Default 150.
	RenderBelow int
	// UnstableAfter: this many fetches in a row that each see a new text
	// other than the fetch before mark the source's tracking unstable (a
	// token or a clock in the text keeps every change from being
	// confirmed). Default 3.
	UnstableAfter int
}

// Checker checks sources and records what it finds.
type Checker struct {
	Store  store.Store
	Client *fetch.Client
	// Rules classify changes. Default diff.DefaultRules().
	Rules  *diff.Rules
	Policy Policy
	// Renderer renders pages in a browser for sources whose render mode
	// asks for it (see store.RenderMode); nil means no browser, and a page
	// that needs one is suspect with that reason.
	Renderer Renderer
	// RenderElsewhere, with no Renderer, says a browser is there on
	// other workers (decision record 0050): a check that would render
	// records nothing and ends with ErrRenderElsewhere, for a worker
	// with the browser to make it, instead of finding the page suspect.
	RenderElsewhere bool
	Logger          *slog.Logger
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
	// Seen and Needed are set when the fetch saw a text not recorded yet
	// (OutcomePending, OutcomeFlip): how many fetches in a row saw it, and
	// how many must before it is recorded.
	Seen, Needed int
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
	if p.RenderBelow <= 0 {
		p.RenderBelow = 150
	}
	if p.UnstableAfter <= 0 {
		p.UnstableAfter = 3
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
	res, _ := c.check(ctx, src, nil, nil)
	return res
}

// pendingCheck is a check whose last record was handed to the store's
// group writer without waiting (store.Pipeline). Called once that record
// has committed or failed, it logs the check and returns its result.
type pendingCheck func() Result

// check is Check, writing next (when not nil) as the source's next due
// time in the same transaction as the check's last record, so that a
// scheduled check costs one commit and "recorded" and "rescheduled" never
// part. A check interrupted before its last record leaves the due time
// alone.
//
// With handIn, and a store that pipelines, the check's last record is
// handed to the store's writer and check returns at once with handed
// true: handIn is called, on the writer's goroutine (it must not block),
// once the record's transaction has ended, with what finishes the check.
// Otherwise check returns the result itself and never calls handIn.
func (c *Checker) check(ctx context.Context, src store.Source, next *store.Due, handIn func(pendingCheck)) (res Result, handed bool) {
	p := c.policy()
	if res, handed = c.once(ctx, src, false, next, "", handIn); handed {
		return res, true
	}
	if res.Err == nil && c.confirmationFollows(res.Fetch.Outcome, false) {
		t := time.NewTimer(p.ConfirmDelay)
		select {
		case <-ctx.Done():
			t.Stop()
			return res, false
		case <-t.C:
		}
		// The first fetch's notice is reported once: with the confirming
		// fetch's.
		return c.once(ctx, src, true, next, res.Notice, handIn)
	}
	return res, false
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
	// known are the versions of the generation, read only when a fetch
	// sees a text other than the current version's (was it a version
	// before?): an unchanged check reads the current version alone.
	known *knownVersions
	// before is the document of the last new text seen (or else the
	// current version's), read only when the source may turn unstable,
	// to show what differs.
	before *extract.Document
}

// knownVersions reads a generation's versions once, when first asked.
// Copies of a current (a fetch decided twice) share it.
type knownVersions struct {
	read func() ([]store.Version, error)
	done bool
	vs   []store.Version
	err  error
}

// versions returns the generation's versions, reading them the first
// time.
func (k *knownVersions) versions() ([]store.Version, error) {
	if !k.done {
		k.vs, k.err = k.read()
		k.done = true
	}
	return k.vs, k.err
}

// earlier returns the version of the generation whose text is text (the
// latest, when more are), or nil. Only the current version is there
// when it is the first, and then nothing is read.
func (cur current) earlier(text string) (*store.Version, error) {
	if cur.version == nil {
		return nil, nil
	}
	vs := []store.Version{*cur.version}
	if cur.version.Seq > 1 && cur.known != nil {
		var err error
		if vs, err = cur.known.versions(); err != nil {
			return nil, err
		}
	}
	var found *store.Version
	for i := range vs {
		if vs[i].TextSHA256 == text {
			found = &vs[i]
		}
	}
	return found, nil
}

// currentReader is a store that reads a state and its current version
// without decoding every version of the generation (store.DB).
type currentReader interface {
	Current(ctx context.Context, sourceID uint64) (store.State, *store.Version, error)
}

func (c *Checker) load(ctx context.Context, src store.Source) (current, error) {
	var cur current
	st, version, err := c.readCurrent(ctx, src.ID)
	if err != nil {
		return cur, err
	}
	cur.state, cur.version = st, version
	cur.known = &knownVersions{read: func() ([]store.Version, error) {
		return c.Store.GenerationVersions(ctx, src.ID, st.Generation)
	}}
	if st.Unsettled+1 >= c.policy().UnstableAfter {
		cur.before = c.lastText(ctx, st, cur.version)
	}
	return cur, nil
}

// readCurrent reads a source's state and current version: in one read
// where the store can, else from the state and the generation's
// versions.
func (c *Checker) readCurrent(ctx context.Context, id uint64) (store.State, *store.Version, error) {
	if r, ok := c.Store.(currentReader); ok {
		return r.Current(ctx, id)
	}
	st, err := c.Store.State(ctx, id)
	if err != nil {
		return st, nil, err
	}
	vs, err := c.Store.GenerationVersions(ctx, id, st.Generation)
	if err != nil {
		return st, nil, err
	}
	for i := range vs {
		if vs[i].Seq == st.Current {
			return st, &vs[i], nil
		}
	}
	return st, nil, nil
}

// Document reads a stored extract.Document (a version's DocSHA256).
func Document(ctx context.Context, db store.Store, hash string) (*extract.Document, error) {
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
// with the record unless a confirming fetch is still to come; that
// record, the check's last, goes to handIn as check says. first is a
// notice of an earlier fetch of the same check, reported with this one.
func (c *Checker) once(ctx context.Context, src store.Source, confirming bool, next *store.Due, first string, handIn func(pendingCheck)) (Result, bool) {
	res := Result{Source: src, Notice: first}
	fail := func(err error) (Result, bool) {
		res.Err = fmt.Errorf("check %s: %w", src.Name, err)
		return res, false
	}
	cur, err := c.load(ctx, src)
	if err != nil {
		return fail(err)
	}
	req := fetch.Request{URL: src.URL, AllowPrivate: src.AllowPrivate}
	if cur.version != nil && cur.state.Pending == nil && !confirming {
		req.ETag, req.LastModified = cur.state.ETag, cur.state.LastModified
	}
	d, blobs, err := c.get(ctx, src, cur, req)
	if err == nil {
		err = d.err
	}
	if err != nil {
		return fail(err)
	}
	if len(blobs) > 0 {
		// A rendered fetch's capture, stored before the record that names it.
		if _, err := c.Store.PutBlobs(ctx, blobs...); err != nil {
			return fail(err)
		}
	}
	rec := d.record
	if d.changed != nil {
		// Only a confirmed change needs the current version's document.
		old, err := Document(ctx, c.Store, cur.version.DocSHA256)
		if err != nil {
			return fail(err)
		}
		result := diff.Compare(old, d.changed, c.Rules)
		rec.Diff, _ = json.Marshal(result)
		prefix := rec.Change.Summary // decide's note for a change back to an earlier text
		rec.Change = changeOf(result)
		rec.Change.Summary = prefix + rec.Change.Summary
	}
	last := !c.confirmationFollows(rec.Fetch.Outcome, confirming)
	if next != nil && last {
		rec.Due = next
	}
	// What the result needs of the record, kept apart from its body.
	st, rescheduled, started := rec.State, rec.Due != nil, rec.Start != nil
	notice := joinNotice(first, d.notice)
	finish := func(f store.Fetch, change *store.Change, err error) Result {
		if err != nil {
			res.Err = fmt.Errorf("check %s: %w", src.Name, err)
			return res
		}
		return c.recorded(ctx, src, st, rescheduled, started, notice, f, change)
	}
	if pl, ok := c.Store.(store.Pipeline); ok && handIn != nil && last {
		err := pl.RecordAsync(ctx, rec, func(f store.Fetch, change *store.Change, err error) {
			handIn(func() Result { return finish(f, change, err) })
		})
		if err != nil {
			return fail(err)
		}
		return Result{}, true
	}
	f, change, err := c.Store.Record(ctx, rec)
	return finish(f, change, err), false
}

// recorded is the result of a fetch whose record has committed, logged
// as checked. st is the state the record wrote; rescheduled says it
// wrote the next due time too, started that it started a version.
func (c *Checker) recorded(ctx context.Context, src store.Source, st store.State, rescheduled, started bool, notice string, f store.Fetch, change *store.Change) Result {
	res := Result{Source: src, Fetch: f, Change: change, Health: st.Health, HealthReason: st.HealthReason, Notice: notice,
		rescheduled: rescheduled, Version: st.Current}
	if started {
		res.Version = f.Version
	}
	if pend := st.Pending; pend != nil && (f.Outcome == store.OutcomePending || f.Outcome == store.OutcomeFlip) {
		res.Seen, res.Needed = pend.Count, c.policy().Confirmations
		if f.Outcome == store.OutcomeFlip {
			res.Needed = c.policy().FlipConfirmations
		}
	}
	c.logger().InfoContext(ctx, "checked", "source", src.Name, "fetch", f.ID, "outcome", f.Outcome, "reason", f.Reason, "status", f.Status, "version", res.Version, "health", res.Health)
	return res
}

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
	c := &store.Change{
		Revet: r.Revet, Summary: r.Summary, Categories: categories, Reasons: revetReasons(r),
		Counts: map[string]int{"substantive": r.Counts.Substantive, "editorial": r.Counts.Editorial,
			"rename": r.Counts.Rename, "cosmetic": r.Counts.Cosmetic, "unchanged": r.Counts.Unchanged},
		DiffVersion: r.Version, RulesVersion: strconv.Itoa(r.RulesVersion), Rewrite: r.Rewrite,
	}
	// The gist and the top of the ranking travel with the record (see
	// store.Change); marshalling these plain structs cannot fail.
	if r.Gist != nil {
		c.Gist, _ = json.Marshal(r.Gist)
	}
	if len(r.Rank) > 0 {
		c.Rank, _ = json.Marshal(r.Rank[:min(len(r.Rank), maxRanked)])
	}
	return c
}

// maxRanked bounds the ranked changes a change record keeps.
const maxRanked = 5

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
