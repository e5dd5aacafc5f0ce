package watch

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/clausewatch/clausewatch/extract"
	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/store"
)

// decision is a record to write and what to report about it. changed is
// the new document when the record confirms a change: the caller diffs it
// against the current version and fills in Change and Diff.
type decision struct {
	record  store.Record
	notice  string
	changed *extract.Document
	// err is the store's, when reading the generation's versions failed:
	// nothing is to be recorded.
	err error
}

// decide turns a capture into a record. Its only I/O is reading the
// generation's earlier versions (cur.earlier), when the text is new.
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
		// A fetch that did not see the policy says nothing against a new
		// text seen before it: the text stays pending, and the next fetch
		// that sees it again confirms it (a flaky site must not hide a
		// change, nor make the same text look like a new one each time).
		rec.Fetch, rec.State = f, st
		d.record = rec
		return d
	}
	// saw marks a fetch that saw the policy: the source is healthy again,
	// or unstable (why says how).
	saw := func(health store.Health, why string) {
		if health != st.Health {
			st.HealthSince = f.Start
			switch {
			case health == store.HealthUnstable:
				d.notice = "tracking unstable: " + why
			case st.Health == store.HealthBroken:
				d.notice = "tracking recovered"
			}
		}
		st.Health, st.HealthReason, st.Failures, st.Unsettled = health, why, 0, 0
		st.LastGood = f.Start
	}
	good := func() { saw(store.HealthOK, "") }

	if ferr != nil {
		if errors.Is(ferr, errNeedsBrowser) {
			return fail(store.OutcomeSuspect, strings.TrimPrefix(ferr.Error(), errNeedsBrowser.Error()+": "))
		}
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
	if v := cur.version; v != nil && v.Reading == readingOf(src, capture.ContentType()) {
		if h := store.Hash(capture.Body); h == v.BodySHA256 {
			if rec.Body != nil {
				rec.BodySHA256 = h // Record need not hash it again
			}
			f.TextSHA256, f.Words, f.DocSHA256 = v.TextSHA256, v.Words, v.DocSHA256
			return unchanged()
		}
	}

	doc, err := extract.Bytes(capture.Body, extractOptions(src, capture.ContentType(), capture.Header.Get("Content-Language")))
	if err != nil {
		f.Error = err.Error()
		if errors.Is(err, extract.ErrEmpty) {
			return fail(store.OutcomeSuspect, "empty page: no policy text")
		}
		if errors.Is(err, extract.ErrScanned) {
			return fail(store.OutcomeSuspect, "scanned PDF, no text layer: its pages are images, with no text to read (ask the supplier for a text PDF or a web page)")
		}
		if se := (*extract.SectionError)(nil); errors.As(err, &se) {
			// The document the source keeps is gone from the page (moved,
			// renamed, or the page is something else now): nothing is
			// recorded, and the reason lists the headings there are.
			return fail(store.OutcomeSuspect, strings.TrimPrefix(se.Error(), "extract: "))
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
		return fail(store.OutcomeSuspect, fmt.Sprintf("too large for a policy: more than %d clauses or %d KiB of text, not recorded (a select selector or a section can narrow the page)", extract.MaxClauses, extract.MaxText>>10))
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
	earlier, err := cur.earlier(text)
	if err != nil {
		d.err = fmt.Errorf("versions of generation %d: %w", st.Generation, err)
		return d
	}
	alternating := earlier != nil || slices.Contains(st.Unconfirmed, text)
	if alternating {
		needed = p.FlipConfirmations
	}
	unsettled := 0 // fetches in a row that saw a text other than the one before
	if st.Pending == nil || st.Pending.TextSHA256 != text {
		st.Pending = &store.Pending{TextSHA256: text, Seen: f.Start, Count: 0, DocSHA256: store.Hash(docJSON)}
		unsettled = st.Unsettled + 1
	}
	st.Pending.Count++
	if st.Pending.Count < needed && unsettled >= p.UnstableAfter {
		saw(store.HealthUnstable, unstableReason(unsettled, changingClauses(cur.before, doc)))
	} else {
		good()
	}
	if st.Pending.Count < needed {
		st.Unsettled = unsettled
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
				d.notice = joinNotice(d.notice, fmt.Sprintf("content alternates between version %d and %s (A/B page or rotating content); not recorded as changes", cur.version.Seq, other))
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

// readingOf identifies how a page is read: the extractor, the source's
// selectors and section, and the Content-Type it came with (its charset
// matters). Equal bytes read the same way give equal text. A source
// without a section hashes as it did before sections existed.
func readingOf(src store.Source, contentType string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%q\x00%q\x00%s", extract.Version, src.Select, src.Remove, contentType)
	if src.Section != "" {
		fmt.Fprintf(h, "\x00section\x00%s", src.Section)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// extractOptions are the options a source's pages are read with; the
// Content-Language header names the language of a page that declares none.
func extractOptions(src store.Source, contentType, contentLanguage string) extract.Options {
	return extract.Options{ContentType: contentType, ContentLanguage: contentLanguage, Select: src.Select, Remove: src.Remove, Section: src.Section}
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
