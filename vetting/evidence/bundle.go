package evidence

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/clausewatch/clausewatch/diff"
	"github.com/clausewatch/clausewatch/extract"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/vetting"
)

// Request asks for a bundle.
type Request struct {
	// Source is the source's name, ID or URL.
	Source string
	// Notified is the notification date (day 0 of the window).
	Notified vetting.Date
	// Zone counts the days when no notification is recorded for that date
	// (a recorded one brings its own). Default: the supplier's zone, else
	// UTC.
	Zone *time.Location
	// Rules classify the clause diff. Default diff.DefaultRules; RulesYAML
	// is their text, put in the bundle so the diff can be recomputed.
	Rules     *diff.Rules
	RulesYAML []byte
	// Now is when the bundle is made. Default time.Now.
	Now time.Time
}

// Bundle is a built evidence bundle.
type Bundle struct {
	Manifest Manifest
	// Data is the archive.
	Data []byte
}

// capture is a capture gathered for a bundle.
type capture struct {
	role  string
	fetch store.Fetch
	leaf  int64
	body  []byte
}

// Build gathers the evidence for a source and a notification date from
// the database and writes the bundle. It verifies the bundle it wrote
// against the log's key before returning it, so a database whose records
// no longer match their log gives an error, not a bundle that fails later.
func Build(ctx context.Context, db store.Store, req Request) (*Bundle, error) {
	fail := func(err error) (*Bundle, error) {
		return nil, fmt.Errorf("evidence for %s notified %s: %w", req.Source, req.Notified, err)
	}
	if req.Now.IsZero() {
		req.Now = time.Now()
	}
	created := req.Now.UTC().Truncate(time.Second)
	if req.Rules == nil {
		req.Rules, req.RulesYAML = diff.DefaultRules(), diff.DefaultRulesYAML()
	}
	if len(req.RulesYAML) == 0 {
		return fail(errors.New("the rules' YAML text is needed in the bundle"))
	}
	src, err := db.Source(ctx, req.Source)
	if err != nil {
		return fail(err)
	}
	notif, err := notificationFor(ctx, db, src, req)
	if err != nil {
		return fail(err)
	}
	loc, err := time.LoadLocation(notif.Zone)
	if err != nil {
		return fail(fmt.Errorf("zone %q: %w", notif.Zone, err))
	}
	window := vetting.UpdateWindow(req.Notified, loc)

	caps, err := gatherCaptures(ctx, db, src, notif.At)
	if err != nil {
		return fail(err)
	}
	for i := range caps {
		c := &caps[i]
		if c.leaf, err = db.LogIndex(ctx, c.fetch.ID); err != nil {
			return fail(fmt.Errorf("%s capture (fetch %d): %w", c.role, c.fetch.ID, err))
		}
		if c.fetch.BodySHA256 == "" {
			continue // a 304: the record and headers are the evidence
		}
		if c.body, err = db.Blob(ctx, c.fetch.BodySHA256); err != nil {
			return fail(fmt.Errorf("%s capture (fetch %d) body: %w", c.role, c.fetch.ID, err))
		}
	}
	outcome := outcomeOf(startOf(caps, RoleAfter), window, created)

	// The log: the latest checkpoint, the earliest kept one that covers
	// every capture, and the proofs.
	latest, err := db.LatestCheckpoint(ctx)
	if err != nil {
		return fail(err)
	}
	vkey, err := db.PublicKey(ctx)
	if err != nil {
		return fail(err)
	}
	var maxLeaf int64
	for _, c := range caps {
		maxLeaf = max(maxLeaf, c.leaf)
	}
	earlier := latest
	kept, err := db.Checkpoints(ctx)
	if err != nil {
		return fail(err)
	}
	for _, k := range kept {
		if k.Size > maxLeaf && k.Size <= latest.Size {
			earlier = k
			break
		}
	}
	proofs := Proofs{LatestSize: latest.Size, EarlierSize: earlier.Size}
	for _, c := range caps {
		p, err := db.ProveRecord(ctx, latest.Size, c.leaf)
		if err != nil {
			return fail(err)
		}
		proofs.Records = append(proofs.Records, RecordProof{Role: c.role, Leaf: c.leaf, Proof: p})
		p, err = db.ProveRecord(ctx, earlier.Size, c.leaf)
		if err != nil {
			return fail(err)
		}
		proofs.Earlier = append(proofs.Earlier, RecordProof{Role: c.role, Leaf: c.leaf, Proof: p})
	}
	if proofs.Consistency, err = db.ProveTree(ctx, latest.Size, earlier.Size); err != nil {
		return fail(err)
	}

	m := Manifest{
		Format: Format, Created: created,
		Generator:    generator(),
		Source:       Source{ID: src.ID, Name: src.Name, URL: src.URL, Supplier: src.Supplier, Select: src.Select, Remove: src.Remove, Section: src.Section},
		Notification: notif,
		Deadline:     Deadline{Window: windowOf(window), Outcome: outcome, Statement: statement(outcome, startOf(caps, RoleAfter), startOf(caps, RoleLast), window)},
		Log: LogInfo{Origin: latest.Origin, Key: vkey, LatestSize: latest.Size, LatestTime: latest.Time,
			EarlierSize: earlier.Size, EarlierTime: earlier.Time},
	}
	var files []file
	for _, c := range caps {
		dir := "captures/" + c.role
		var body string
		if c.body != nil {
			body = dir + "/body" + bodyExtension(c.fetch.Header)
		}
		ce := CaptureEntry{Role: c.role, Dir: dir, Leaf: c.leaf, Fetch: c.fetch.ID, Start: c.fetch.Start.UTC(),
			Outcome: c.fetch.Outcome, BodySHA256: c.fetch.BodySHA256, TextSHA256: c.fetch.TextSHA256, Body: body}
		rendered, err := renderFiles(ctx, db, dir, c.fetch, &ce)
		if err != nil {
			return fail(fmt.Errorf("%s capture (fetch %d): %w", c.role, c.fetch.ID, err))
		}
		m.Captures = append(m.Captures, ce)
		entry := store.EntryOf(c.fetch)
		files = append(files, file{dir + "/record.json", store.LogLeaf(c.fetch)})
		if c.body != nil {
			files = append(files, file{body, c.body})
		}
		files = append(files, rendered...)
		files = append(files,
			file{dir + "/request.txt", requestText(entry)},
			file{dir + "/response.txt", responseText(entry)})
	}
	if before, after := find(caps, RoleBefore), find(caps, RoleAfter); before != nil && after != nil {
		r, err := compareBodies(before.body, after.body, before.fetch.Header, after.fetch.Header, m.Source, req.Rules)
		if err != nil {
			return fail(err)
		}
		var js, page bytes.Buffer
		if err := diff.WriteJSON(&js, r); err != nil {
			return fail(err)
		}
		if err := diff.WriteHTML(&page, r, diff.HTMLOptions{OldName: captureName(before.fetch), NewName: captureName(after.fetch)}); err != nil {
			return fail(err)
		}
		m.Diff = &DiffInfo{Summary: r.Summary, Revet: r.Revet, Counts: r.Counts, Version: r.Version, RulesVersion: r.RulesVersion}
		files = append(files, file{nameDiffJSON, js.Bytes()}, file{nameDiffHTML, page.Bytes()}, file{nameRules, req.RulesYAML})
	}
	deadlineJSON, err := canonicalJSON(m.Deadline)
	if err != nil {
		return fail(err)
	}
	proofsJSON, err := canonicalJSON(proofs)
	if err != nil {
		return fail(err)
	}
	files = append(files,
		file{nameDeadline, deadlineJSON},
		file{nameLatest, latest.Note},
		file{nameEarlier, earlier.Note},
		file{nameProofs, proofsJSON},
		file{nameKey, []byte(vkey + "\n")})
	summary, err := renderSummary(m)
	if err != nil {
		return fail(err)
	}
	files = append([]file{{nameSummary, summary}}, files...)
	for _, f := range files {
		m.Files = append(m.Files, FileEntry{Name: f.Name, SHA256: store.Hash(f.Data), Size: len(f.Data)})
	}
	manifestJSON, err := canonicalJSON(m)
	if err != nil {
		return fail(err)
	}
	signed, err := db.SignEvidence(append([]byte(store.EvidencePrefix), manifestJSON...))
	if err != nil {
		return fail(err)
	}
	_, sig, _ := bytes.Cut(signed, []byte("\n\n"))
	files = append([]file{{nameManifest, manifestJSON}, {nameSignature, sig}}, files...)
	data, err := writeArchive(files, created)
	if err != nil {
		return fail(err)
	}
	if rep := Verify(data, VerifyOptions{Key: vkey}); !rep.OK() {
		return fail(fmt.Errorf("the bundle does not verify (run clausewatch log check): %s", rep.Failures()))
	}
	return &Bundle{Manifest: m, Data: data}, nil
}

// generator names what made a bundle: the versions whose output it holds.
func generator() string {
	return fmt.Sprintf("clausewatch (%s, %s, %s)", Format, extract.Version, diff.Version)
}

// notificationFor finds the stored notification of the source's supplier
// on that date, or makes one from the date and zone.
func notificationFor(ctx context.Context, db store.Store, src store.Source, req Request) (Notification, error) {
	zone := "UTC"
	if src.Supplier != "" {
		sup, err := db.Supplier(ctx, src.Supplier)
		switch {
		case err == nil:
			if sup.Zone != "" {
				zone = sup.Zone
			}
			ns, err := db.Notifications(ctx, src.Supplier)
			if err != nil {
				return Notification{}, err
			}
			for _, n := range ns {
				if n.Date == req.Notified.String() && !n.Withdrawn {
					return Notification{Date: n.Date, Zone: n.Zone, At: n.At.UTC(), Recorded: n.ID}, nil
				}
			}
		case !errors.Is(err, store.ErrNotFound):
			return Notification{}, err
		}
	}
	if req.Zone != nil {
		zone = req.Zone.String()
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return Notification{}, fmt.Errorf("zone %q: %w", zone, err)
	}
	return Notification{Date: req.Notified.String(), Zone: zone, At: req.Notified.Start(loc).UTC()}, nil
}

// hasText reports whether a fetch saw the policy and kept its body.
func hasText(f store.Fetch) bool {
	return f.Outcome.Good() && f.BodySHA256 != "" && f.TextSHA256 != ""
}

// gatherCaptures picks the captures: the last before the notification;
// then the first capture of the first version seen after it with another
// text, or, when there is none, the latest capture since.
func gatherCaptures(ctx context.Context, db store.Store, src store.Source, at time.Time) ([]capture, error) {
	fetches, err := db.Fetches(ctx, src.ID, time.Time{}, time.Time{}, 0)
	if err != nil {
		return nil, err
	}
	var before *store.Fetch
	for i := range fetches {
		if f := fetches[i]; f.Start.Before(at) && f.Outcome != store.OutcomePending && hasText(f) {
			before = &fetches[i]
		}
	}
	if before == nil {
		return nil, &missingError{fmt.Sprintf("no capture of %s with its text before the notification (%s): nothing to compare with", src.Name, at.Format(time.RFC3339))}
	}
	caps := []capture{{role: RoleBefore, fetch: *before}}
	versions, err := db.Versions(ctx, src.ID)
	if err != nil {
		return nil, err
	}
	for _, v := range versions {
		if v.FirstSeen.Before(at) || v.TextSHA256 == before.TextSHA256 {
			continue
		}
		f, err := db.FetchAt(ctx, src.ID, v.FirstSeen, v.FirstFetch)
		if err != nil {
			return nil, fmt.Errorf("first capture of version %d: %w", v.Seq, err)
		}
		return append(caps, capture{role: RoleAfter, fetch: f}), nil
	}
	for i := len(fetches) - 1; i >= 0; i-- {
		f := fetches[i]
		if f.Start.Before(at) {
			break
		}
		if sameText(f, *before) {
			return append(caps, capture{role: RoleLast, fetch: f}), nil
		}
	}
	return caps, nil
}

// sameText reports whether f shows the text of before: it read the same
// text, or the server answered 304 Not Modified (to a request conditional
// on the validators of the text in force).
func sameText(f, before store.Fetch) bool {
	if f.Outcome == store.OutcomeNotModified {
		return f.Status == http.StatusNotModified
	}
	return hasText(f) && f.TextSHA256 == before.TextSHA256
}

// outcomeOf says what the captures show about the window at time now:
// after is when the first capture showing a change was taken (nil when
// none shows one).
func outcomeOf(after *time.Time, w vetting.Window, now time.Time) string {
	switch {
	case after != nil && w.InTime(*after):
		return Met
	case after != nil:
		return Missed
	case now.Before(w.Due):
		return Open
	}
	return NoChange
}

// statement says the outcome in a sentence; last is when the latest
// capture still showing the old text was taken (nil when none).
func statement(outcome string, after, last *time.Time, w vetting.Window) string {
	loc, err := time.LoadLocation(w.Zone)
	if err != nil {
		loc = time.UTC
	}
	stamp := func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04:05 MST") }
	due := stamp(w.Due)
	switch outcome {
	case Met, Missed:
		verdict := "inside"
		if outcome == Missed {
			verdict = "after the end of"
		}
		return fmt.Sprintf("The first capture showing the changed policy was taken %s, %s the update window (due before %s).", stamp(*after), verdict, due)
	}
	since := "no capture has been taken since the notification"
	if last != nil {
		since = fmt.Sprintf("the latest capture, taken %s, still shows the text of the capture before the notification (or the server answered that the page was not modified)", stamp(*last))
	}
	if outcome == Open {
		return fmt.Sprintf("No change captured yet (the window is open until %s): %s.", due, since)
	}
	return fmt.Sprintf("No change was captured by the end of the update window (due before %s): %s.", due, since)
}

// startOf is when the capture of that role was taken, nil when there is
// none.
func startOf(caps []capture, role string) *time.Time {
	if c := find(caps, role); c != nil {
		t := c.fetch.Start.UTC()
		return &t
	}
	return nil
}

func find(caps []capture, role string) *capture {
	for i := range caps {
		if caps[i].role == role {
			return &caps[i]
		}
	}
	return nil
}

// captureName labels a capture in the diff.
func captureName(f store.Fetch) string {
	return fmt.Sprintf("capture of %s (fetch %d)", f.Start.UTC().Format(time.RFC3339), f.ID)
}

// readBody extracts a capture's document the way the checker did.
func readBody(body []byte, header map[string][]string, src Source) (*extract.Document, error) {
	return extract.Bytes(body, extract.Options{ContentType: http.Header(header).Get("Content-Type"), Select: src.Select, Remove: src.Remove, Section: src.Section})
}

// compareBodies extracts both bodies, read as their headers say, and
// diffs them.
func compareBodies(before, after []byte, beforeHeader, afterHeader map[string][]string, src Source, rules *diff.Rules) (*diff.Result, error) {
	old, err := readBody(before, beforeHeader, src)
	if err != nil {
		return nil, fmt.Errorf("read the before capture: %w", err)
	}
	doc, err := readBody(after, afterHeader, src)
	if err != nil {
		return nil, fmt.Errorf("read the after capture: %w", err)
	}
	return diff.Compare(old, doc, rules), nil
}

// bodyExtension names a body's file after its content type, so that a
// reviewer's system opens it with the right program.
func bodyExtension(header map[string][]string) string {
	mt, _, _ := mime.ParseMediaType(http.Header(header).Get("Content-Type"))
	switch mt {
	case "text/html", "application/xhtml+xml":
		return ".html"
	case "text/plain":
		return ".txt"
	case "application/pdf":
		return ".pdf"
	}
	return ".bin"
}

// requestText shows the request as sent: the request line and headers.
func requestText(e store.LogEntry) []byte {
	target := e.URL
	if e.FinalURL != "" {
		target = e.FinalURL
	}
	path := target
	if u, err := url.Parse(target); err == nil {
		path = u.RequestURI()
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "GET %s %s\r\n", path, protoOf(e))
	writeHeaders(&b, e.RequestHeader)
	return b.Bytes()
}

// responseText shows the response's status line and headers as kept.
func responseText(e store.LogEntry) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %d %s\r\n", protoOf(e), e.Status, http.StatusText(e.Status))
	writeHeaders(&b, e.Header)
	return b.Bytes()
}

func protoOf(e store.LogEntry) string {
	if e.Proto != "" {
		return e.Proto
	}
	return "HTTP/1.1"
}

// writeHeaders writes headers sorted by name, then a blank line.
func writeHeaders(b *bytes.Buffer, h map[string][]string) {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		for _, v := range h[k] {
			fmt.Fprintf(b, "%s: %s\r\n", k, strings.NewReplacer("\r", " ", "\n", " ").Replace(v))
		}
	}
	b.WriteString("\r\n")
}

// canonicalJSON encodes v indented, without HTML escaping, with a final
// newline: the one encoding of a bundle's JSON members.
func canonicalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// missingError is evidence the database does not hold, in words: a
// store.ErrNotFound, so a caller can tell it from a failure.
type missingError struct{ msg string }

func (e *missingError) Error() string { return e.msg }

// Is makes the error a store.ErrNotFound.
func (e *missingError) Is(target error) bool { return target == store.ErrNotFound }

// FileName is the bundle's file name as 'clausewatch evidence' and the
// web server give it: evidence-SOURCE-DATE.zip, the source name kept to
// characters safe in a file name.
func (b *Bundle) FileName() string {
	return fmt.Sprintf("evidence-%s-%s.zip", safeName(b.Manifest.Source.Name), b.Manifest.Notification.Date)
}

// safeName keeps a source name usable in a file name (and a
// Content-Disposition header).
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || r == '.' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') {
			return r
		}
		return '_'
	}, s)
}
