package evidence

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/clausewatch/clausewatch/diff"
	"github.com/clausewatch/clausewatch/extract"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/vetting"
	"github.com/clausewatch/clausewatch/watch"
)

// VerifyOptions configures Verify.
type VerifyOptions struct {
	// Key is the log's verifier key as the verifier obtained it (from the
	// operator's published "clausewatch key"). Empty: the bundle's own
	// key.txt is used, which proves only that the bundle is consistent.
	Key string
}

// Check is one thing Verify checked.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// Report is what Verify found.
type Report struct {
	Checks []Check `json:"checks"`
	// Manifest is the bundle's manifest, when it could be read.
	Manifest *Manifest `json:"manifest,omitempty"`
	// KeyFromBundle is set when no key was given and the bundle's own was
	// used.
	KeyFromBundle bool `json:"key_from_bundle"`
	// KeyChecked is set when a key was given (VerifyOptions.Key), so the
	// signatures were checked against a key the verifier trusts: the
	// bundle's origin was checked, not only its integrity.
	KeyChecked bool `json:"key_checked"`
	// Integrity is set when every check passed (OK), against whichever
	// key was used.
	Integrity bool `json:"integrity"`
	// Verified is Integrity with KeyChecked: the bundle is intact and
	// signed by the given key. Without a key it is never set.
	Verified bool `json:"verified"`
	// Limits say what the bundle cannot prove, whatever the checks say.
	Limits []string `json:"limits"`
}

// OK reports whether every check passed.
func (r Report) OK() bool {
	for _, c := range r.Checks {
		if !c.OK {
			return false
		}
	}
	return len(r.Checks) > 0
}

// Failures lists the failed checks in one line.
func (r Report) Failures() string {
	var out []string
	for _, c := range r.Checks {
		if !c.OK {
			out = append(out, c.Name+": "+c.Detail)
		}
	}
	return strings.Join(out, "; ")
}

// Limits are what a bundle cannot prove.
var limits = []string{
	"The log proves the records were not edited or removed after they were logged, for anyone who holds this log's public key from the operator (not from the bundle) or an earlier checkpoint of it; it does not prove the operator logged honestly at the time.",
	"Capture times are the operator's clock, and checkpoints are signed by the same operator: a checkpoint's time is when it says it was signed, not a third party's timestamp.",
	"A site may serve different visitors different pages (by address, country, language, cookies or user agent); the bundle shows what was served to this clausewatch, with the request headers it sent.",
	"The notification date is an input to the bundle, not something the log records: check it against the vetting report.",
	"The clause diff and the summary are what clausewatch's extractor and rules make of the raw bodies; the raw bodies themselves are the evidence.",
}

// Verify checks a bundle offline: the archive is the canonical one of its
// members; the manifest is signed by the key; every member has the
// SHA-256 the manifest lists; both checkpoints are signed by the key and
// consistent with each other; every capture's record is in both trees
// and its body and headers are what the record says; the text, the diff,
// the deadline, the outcome and the summary are what this build computes
// from them. It runs every check it can and reports each.
func Verify(data []byte, opts VerifyOptions) Report {
	v := &verifier{rep: Report{Limits: limits}}
	v.run(data, opts)
	v.rep.KeyChecked = strings.TrimSpace(opts.Key) != ""
	v.rep.Integrity = v.rep.OK()
	v.rep.Verified = v.rep.Integrity && v.rep.KeyChecked
	return v.rep
}

type verifier struct {
	rep     Report
	members map[string][]byte
}

func (v *verifier) pass(name, format string, a ...any) {
	v.rep.Checks = append(v.rep.Checks, Check{Name: name, OK: true, Detail: fmt.Sprintf(format, a...)})
}

func (v *verifier) fail(name, format string, a ...any) {
	v.rep.Checks = append(v.rep.Checks, Check{Name: name, OK: false, Detail: fmt.Sprintf(format, a...)})
}

// member returns a member's content, failing the check name when absent.
func (v *verifier) member(check, name string) ([]byte, bool) {
	data, ok := v.members[name]
	if !ok {
		v.fail(check, "%s is missing from the bundle", name)
	}
	return data, ok
}

func (v *verifier) run(data []byte, opts VerifyOptions) {
	files, err := readArchive(data)
	if err != nil {
		v.fail("archive", "%v", err)
		return
	}
	v.members = map[string][]byte{}
	for _, f := range files {
		v.members[f.Name] = f.Data
	}
	m, ok := v.manifest()
	if !ok {
		return
	}
	v.rep.Manifest = m
	if canon, err := writeArchive(files, m.Created); err != nil || !bytes.Equal(canon, data) {
		v.fail("archive", "not the canonical archive of its members: byte %d differs (the container — member headers, times, order or padding — was altered)", firstDifference(canon, data))
	} else {
		v.pass("archive", "%d members, canonical", len(files))
	}
	key := v.key(opts.Key)
	v.signature(m, key)
	v.files(m)
	latest, earlier := v.checkpoints(m, key)
	proofs := v.proofs(m, latest, earlier)
	entries := v.captures(m, latest, earlier, proofs)
	v.timeline(m, entries)
	v.deadline(m, entries)
	v.diff(m, entries)
	v.summary(m)
}

// manifest reads manifest.json, strictly and in canonical form.
func (v *verifier) manifest() (*Manifest, bool) {
	data, ok := v.member("manifest", nameManifest)
	if !ok {
		return nil, false
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		v.fail("manifest", "%s cannot be read: %v", nameManifest, err)
		return nil, false
	}
	if m.Format != Format {
		v.fail("manifest", "format %q, this build reads %q", m.Format, Format)
		return nil, false
	}
	if canon, err := canonicalJSON(m); err != nil || !bytes.Equal(canon, data) {
		v.fail("manifest", "%s is not in canonical form: byte %d differs", nameManifest, firstDifference(canon, data))
	}
	return &m, true
}

// key picks the verifier key.
func (v *verifier) key(given string) string {
	own := strings.TrimSpace(string(v.members[nameKey]))
	if given = strings.TrimSpace(given); given != "" {
		if own != "" && own != given {
			v.fail("key", "the bundle names the key %s, not the key given (%s)", own, given)
		} else {
			v.pass("key", "checking against the key given: %s", given)
		}
		return given
	}
	v.rep.KeyFromBundle = true
	if own == "" {
		v.fail("key", "no key given and the bundle has no %s", nameKey)
		return ""
	}
	v.pass("key", "no key given: checking against the bundle's own key %s — compare it with the key the operator publishes (clausewatch key), or pass --key", own)
	return own
}

// signature checks the manifest's signature.
func (v *verifier) signature(m *Manifest, key string) {
	sig, ok := v.member("manifest signature", nameSignature)
	if !ok {
		return
	}
	text := append([]byte(store.EvidencePrefix), v.members[nameManifest]...)
	signed := append(append(bytes.Clone(text), '\n'), sig...)
	if _, err := store.OpenEvidence(signed, key); err != nil {
		v.fail("manifest signature", "%s: %v (the manifest or its signature was altered, or another key signed it)", nameSignature, err)
		return
	}
	if m.Log.Key != key {
		v.fail("manifest signature", "the manifest names the key %s, not %s", m.Log.Key, key)
		return
	}
	v.pass("manifest signature", "signed by %s", key)
}

// files checks every member against the manifest's list.
func (v *verifier) files(m *Manifest) {
	listed := map[string]bool{nameManifest: true, nameSignature: true}
	bad := 0
	for _, f := range m.Files {
		listed[f.Name] = true
		data, ok := v.members[f.Name]
		switch {
		case !ok:
			v.fail("file "+f.Name, "listed in the manifest but missing")
		case store.Hash(data) != f.SHA256 || len(data) != f.Size:
			v.fail("file "+f.Name, "SHA-256 %s (%d bytes), but the manifest lists %s (%d bytes): the file was altered", store.Hash(data), len(data), f.SHA256, f.Size)
		default:
			continue
		}
		bad++
	}
	for name := range v.members {
		if !listed[name] {
			v.fail("file "+name, "in the archive but not listed in the manifest")
			bad++
		}
	}
	if bad == 0 {
		v.pass("files", "all %d files have the SHA-256 the manifest lists", len(m.Files))
	}
}

// checkpoints opens both checkpoints and checks what the manifest says of
// them.
func (v *verifier) checkpoints(m *Manifest, key string) (latest, earlier *store.Checkpoint) {
	open := func(name, what string, size int64, at time.Time) *store.Checkpoint {
		data, ok := v.member(what, name)
		if !ok {
			return nil
		}
		c, err := store.OpenCheckpoint(data, key)
		if err != nil {
			v.fail(what, "%s: %v", name, err)
			return nil
		}
		switch {
		case c.Origin != m.Log.Origin:
			v.fail(what, "%s is of the log %q, the manifest names %q", name, c.Origin, m.Log.Origin)
		case c.Size != size || !c.Time.Equal(at):
			v.fail(what, "%s has size %d signed %s; the manifest says size %d signed %s", name, c.Size, c.Time.Format(time.RFC3339), size, at.Format(time.RFC3339))
		default:
			v.pass(what, "%s: %d records, signed %s by %s", c.Origin, c.Size, c.Time.Format(time.RFC3339), key)
		}
		return &c
	}
	latest = open(nameLatest, "checkpoint", m.Log.LatestSize, m.Log.LatestTime)
	earlier = open(nameEarlier, "earlier checkpoint", m.Log.EarlierSize, m.Log.EarlierTime)
	return latest, earlier
}

// proofs reads log/proofs.json and checks the consistency proof.
func (v *verifier) proofs(m *Manifest, latest, earlier *store.Checkpoint) *Proofs {
	data, ok := v.member("proofs", nameProofs)
	if !ok {
		return nil
	}
	var p Proofs
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		v.fail("proofs", "%s cannot be read: %v", nameProofs, err)
		return nil
	}
	if canon, err := canonicalJSON(p); err != nil || !bytes.Equal(canon, data) {
		v.fail("proofs", "%s is not in canonical form: byte %d differs", nameProofs, firstDifference(canon, data))
	}
	if latest == nil || earlier == nil {
		v.fail("consistency", "cannot be checked without both checkpoints")
		return &p
	}
	if p.LatestSize != latest.Size || p.EarlierSize != earlier.Size {
		v.fail("consistency", "%s is for trees of %d and %d records, the checkpoints have %d and %d", nameProofs, p.EarlierSize, p.LatestSize, earlier.Size, latest.Size)
		return &p
	}
	if earlier.Size > latest.Size {
		v.fail("consistency", "the earlier checkpoint (%d records) is larger than the latest (%d)", earlier.Size, latest.Size)
		return &p
	}
	if err := tlog.CheckTree(p.Consistency, latest.Size, latest.Hash, earlier.Size, earlier.Hash); err != nil {
		v.fail("consistency", "the log of %d records is not an extension of the earlier checkpoint's %d: %v (a proof or a checkpoint was altered, or the log was rewritten)", latest.Size, earlier.Size, err)
		return &p
	}
	v.pass("consistency", "the log of %d records (%s) extends the one of %d records (%s) without changing it", latest.Size, latest.Time.Format(time.RFC3339), earlier.Size, earlier.Time.Format(time.RFC3339))
	return &p
}

// captures checks each capture: its record is canonical, in both trees,
// and what the manifest says; its body and headers are what it says; its
// text is what this build reads from the body.
func (v *verifier) captures(m *Manifest, latest, earlier *store.Checkpoint, proofs *Proofs) map[string]store.LogEntry {
	entries := map[string]store.LogEntry{}
	for _, c := range m.Captures {
		name := "capture " + c.Role
		leaf, ok := v.member(name, c.Dir+"/record.json")
		if !ok {
			continue
		}
		e, err := store.ParseLeaf(leaf)
		if err != nil {
			v.fail(name, "%s/record.json: %v", c.Dir, err)
			continue
		}
		entries[c.Role] = e
		switch {
		case e.Fetch != c.Fetch || !e.Start.Equal(c.Start) || e.Outcome != c.Outcome || e.BodySHA256 != c.BodySHA256 || e.TextSHA256 != c.TextSHA256:
			v.fail(name, "the manifest's account of the capture (fetch %d at %s) differs from its logged record (fetch %d at %s)", c.Fetch, c.Start.Format(time.RFC3339), e.Fetch, e.Start.Format(time.RFC3339))
		case e.Source != m.Source.ID || e.URL != m.Source.URL:
			v.fail(name, "the logged record is of source %d at %s, not of %s", e.Source, e.URL, m.Source.URL)
		default:
			v.pass(name, "fetch %d of %s at %s, status %d, logged as record %d", e.Fetch, e.URL, e.Start.Format(time.RFC3339Nano), e.Status, c.Leaf)
		}
		v.inclusion(name, "latest checkpoint", c, leaf, latest, proofs, false)
		v.inclusion(name, "earlier checkpoint", c, leaf, earlier, proofs, true)
		if c.Body == "" {
			if e.BodySHA256 != "" || e.Status != http.StatusNotModified {
				v.fail(name+" body", "the bundle has no body for a capture whose record has one (status %d, body %s)", e.Status, e.BodySHA256)
			} else {
				v.pass(name+" body", "none: the server answered 304 Not Modified")
			}
		} else if body, ok := v.member(name+" body", c.Body); ok {
			if got := store.Hash(body); got != e.BodySHA256 || len(body) != e.BodySize {
				v.fail(name+" body", "%s has SHA-256 %s (%d bytes); the logged record says %s (%d bytes): the body was altered", c.Body, got, len(body), e.BodySHA256, e.BodySize)
			} else {
				v.pass(name+" body", "%s: SHA-256 %s, as logged", c.Body, got)
			}
			v.text(name, e, body, m.Source)
		}
		v.render(name, c, e)
		for _, h := range []struct {
			file string
			want []byte
		}{{c.Dir + "/request.txt", requestText(e)}, {c.Dir + "/response.txt", responseText(e)}} {
			got, ok := v.member(name+" headers", h.file)
			if !ok {
				continue
			}
			if !bytes.Equal(got, h.want) {
				v.fail(name+" headers", "%s differs from the headers in the logged record at byte %d (the headers were altered)", h.file, firstDifference(got, h.want))
			} else {
				v.pass(name+" headers", "%s matches the logged record", h.file)
			}
		}
	}
	return entries
}

// inclusion checks a capture's inclusion proof against one checkpoint.
func (v *verifier) inclusion(name, against string, c CaptureEntry, leaf []byte, cp *store.Checkpoint, proofs *Proofs, earlier bool) {
	check := name + " in " + against
	if cp == nil || proofs == nil {
		v.fail(check, "cannot be checked without the %s and its proofs", against)
		return
	}
	list := proofs.Records
	if earlier {
		list = proofs.Earlier
	}
	var p *RecordProof
	for i := range list {
		if list[i].Role == c.Role {
			p = &list[i]
		}
	}
	switch {
	case p == nil:
		v.fail(check, "no inclusion proof for the %s capture", c.Role)
	case p.Leaf != c.Leaf:
		v.fail(check, "the proof is for record %d, the manifest says record %d", p.Leaf, c.Leaf)
	case p.Leaf >= cp.Size:
		v.fail(check, "record %d is not in the %s's %d records", p.Leaf, against, cp.Size)
	default:
		if err := tlog.CheckRecord(p.Proof, cp.Size, cp.Hash, p.Leaf, tlog.RecordHash(leaf)); err != nil {
			v.fail(check, "the record is not record %d of the log signed %s: %v (the record or its proof was altered)", p.Leaf, cp.Time.Format(time.RFC3339), err)
			return
		}
		v.pass(check, "record %d is in the log of %d records signed %s", p.Leaf, cp.Size, cp.Time.Format(time.RFC3339))
	}
}

// text re-reads a body and checks it gives the logged text, when this
// build's extractor is the one that read it.
func (v *verifier) text(name string, e store.LogEntry, body []byte, src Source) {
	if e.Extractor != extract.Version {
		v.pass(name+" text", "not re-read: read by %s, this build has %s (the logged text hash %s stands as recorded)", e.Extractor, extract.Version, e.TextSHA256)
		return
	}
	doc, err := readBody(body, e.Header, src)
	if err != nil {
		v.fail(name+" text", "the body cannot be read: %v", err)
		return
	}
	if got := watch.TextHash(doc); got != e.TextSHA256 {
		v.fail(name+" text", "the body reads as text %s, the logged record says %s", got, e.TextSHA256)
		return
	}
	v.pass(name+" text", "the body reads as the logged text %s (%d clauses)", e.TextSHA256, len(doc.Clauses))
}

// timeline checks the captures are where their roles say: before the
// notification, and a change (or none) after it.
func (v *verifier) timeline(m *Manifest, entries map[string]store.LogEntry) {
	before, ok := entries[RoleBefore]
	if !ok {
		v.fail("timeline", "no capture from before the notification")
		return
	}
	at := m.Notification.At
	problems := []string{}
	if !before.Start.Before(at) {
		problems = append(problems, fmt.Sprintf("the before capture (%s) is not before the notification (%s)", before.Start.Format(time.RFC3339), at.Format(time.RFC3339)))
	}
	if after, ok := entries[RoleAfter]; ok {
		if after.Start.Before(at) {
			problems = append(problems, fmt.Sprintf("the after capture (%s) is before the notification", after.Start.Format(time.RFC3339)))
		}
		if after.TextSHA256 == before.TextSHA256 {
			problems = append(problems, "the after capture has the same text as the before capture")
		}
	}
	if last, ok := entries[RoleLast]; ok {
		if last.Start.Before(at) {
			problems = append(problems, fmt.Sprintf("the last capture (%s) is before the notification", last.Start.Format(time.RFC3339)))
		}
		notModified := last.Outcome == store.OutcomeNotModified && last.Status == http.StatusNotModified
		if !notModified && last.TextSHA256 != before.TextSHA256 {
			problems = append(problems, "the last capture's text differs from the before capture's, yet the bundle shows no change")
		}
	}
	if _, both := entries[RoleAfter]; both {
		if _, last := entries[RoleLast]; last {
			problems = append(problems, "the bundle has both an after and a last capture")
		}
	}
	if len(problems) > 0 {
		v.fail("timeline", "%s", strings.Join(problems, "; "))
		return
	}
	v.pass("timeline", "captured %s before the notification at %s", before.Start.Format(time.RFC3339), at.Format(time.RFC3339))
}

// deadline recomputes the window, the outcome and its statement.
func (v *verifier) deadline(m *Manifest, entries map[string]store.LogEntry) {
	date, err := vetting.ParseDate(m.Notification.Date)
	if err != nil {
		v.fail("deadline", "notification date: %v", err)
		return
	}
	loc, err := time.LoadLocation(m.Notification.Zone)
	if err != nil {
		v.fail("deadline", "zone %q: %v", m.Notification.Zone, err)
		return
	}
	if got := vetting.DateOf(m.Notification.At, loc); got != date {
		v.fail("deadline", "the notification instant %s is on %s in %s, not on %s", m.Notification.At.Format(time.RFC3339), got, loc, date)
	}
	w := vetting.UpdateWindow(date, loc)
	var after, last *time.Time
	if e, ok := entries[RoleAfter]; ok {
		after = &e.Start
	}
	if e, ok := entries[RoleLast]; ok {
		last = &e.Start
	}
	outcome := outcomeOf(after, w, m.Created)
	want := Deadline{Window: windowOf(w), Outcome: outcome, Statement: statement(outcome, after, last, w)}
	got := m.Deadline
	switch {
	case !got.Window.Due.Equal(w.Due) || got.Window.LastDay != dateV1(w.LastDay) || got.Window.Notified != dateV1(w.Notified) || got.Window.Zone != w.Zone || got.Window.Rule != w.Rule:
		v.fail("deadline", "the manifest's window (due %s) is not the one computed from the notification (due %s)", got.Window.Due.Format(time.RFC3339), w.Due.Format(time.RFC3339))
	case got.Outcome != want.Outcome || got.Statement != want.Statement:
		v.fail("deadline", "the manifest says %q, the captures show %q: %s", got.Outcome, want.Outcome, want.Statement)
	default:
		v.pass("deadline", "%s — %s %s", strings.ToUpper(outcome), want.Statement, w.Rule)
	}
	if data, ok := v.member("deadline", nameDeadline); ok {
		if canon, err := canonicalJSON(got); err != nil || !bytes.Equal(canon, data) {
			v.fail("deadline", "%s differs from the manifest's deadline at byte %d", nameDeadline, firstDifference(canon, data))
		}
	}
}

// diff recomputes the clause diff from the bodies with the bundle's rules,
// when this build's extractor and diff made it.
func (v *verifier) diff(m *Manifest, entries map[string]store.LogEntry) {
	before, hasBefore := entries[RoleBefore]
	after, hasAfter := entries[RoleAfter]
	if !hasBefore || !hasAfter {
		if m.Diff != nil {
			v.fail("diff", "the manifest has a diff but the bundle has no pair of captures to diff")
		}
		return
	}
	if m.Diff == nil {
		v.fail("diff", "a before and an after capture, but no diff")
		return
	}
	if m.Diff.Version != diff.Version || !strings.Contains(m.Generator, extract.Version) {
		v.pass("diff", "not recomputed: made by %s, this build has %s and %s", m.Generator, extract.Version, diff.Version)
		return
	}
	rulesYAML, ok1 := v.member("diff", nameRules)
	stored, ok2 := v.member("diff", nameDiffJSON)
	beforeEntry, afterEntry := findEntry(m, RoleBefore), findEntry(m, RoleAfter)
	if !ok1 || !ok2 || beforeEntry == nil || afterEntry == nil {
		return
	}
	rules, err := diff.ParseRules(rulesYAML)
	if err != nil {
		v.fail("diff", "%s: %v", nameRules, err)
		return
	}
	r, err := compareBodies(v.members[beforeEntry.Body], v.members[afterEntry.Body], before.Header, after.Header, m.Source, rules)
	if err != nil {
		v.fail("diff", "%v", err)
		return
	}
	var js bytes.Buffer
	if err := diff.WriteJSON(&js, r); err != nil {
		v.fail("diff", "%v", err)
		return
	}
	switch {
	case !bytes.Equal(js.Bytes(), stored):
		v.fail("diff", "%s is not the diff of the two bodies under %s (differs at byte %d)", nameDiffJSON, nameRules, firstDifference(js.Bytes(), stored))
	case r.Summary != m.Diff.Summary || r.Revet != m.Diff.Revet || r.Counts != m.Diff.Counts:
		v.fail("diff", "the manifest's diff summary %q is not the recomputed %q", m.Diff.Summary, r.Summary)
	default:
		v.pass("diff", "recomputed from the two bodies: %s", r.Summary)
	}
}

func findEntry(m *Manifest, role string) *CaptureEntry {
	for i := range m.Captures {
		if m.Captures[i].Role == role {
			return &m.Captures[i]
		}
	}
	return nil
}

// summary re-renders the summary page from the manifest, when this build
// made the bundle.
func (v *verifier) summary(m *Manifest) {
	data, ok := v.member("summary", nameSummary)
	if !ok {
		return
	}
	if m.Generator != generator() {
		v.pass("summary", "not re-rendered: made by %s, this build is %s", m.Generator, generator())
		return
	}
	bare := *m
	bare.Files = nil
	page, err := renderSummary(bare)
	if err != nil {
		v.fail("summary", "%v", err)
		return
	}
	if !bytes.Equal(page, data) {
		v.fail("summary", "%s is not the page the manifest renders to (differs at byte %d)", nameSummary, firstDifference(page, data))
		return
	}
	v.pass("summary", "%s says what the manifest says", nameSummary)
}
