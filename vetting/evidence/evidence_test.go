package evidence_test

import (
	"archive/zip"
	"bytes"
	"io"
	"math/rand/v2"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/fixtures"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/vetting"
	"github.com/clausewatch/clausewatch/vetting/evidence"
	"github.com/clausewatch/clausewatch/watch"
)

// noon is noon UTC on a day.
func noon(day string) time.Time {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		panic(err)
	}
	return t.Add(12 * time.Hour)
}

// world is a database that checked the IMS fixture page daily at noon UTC
// from..to (the page changes from the 2019 to the 2022 policy on
// 2022-05-17), with IMS's supplier record in New York time.
type world struct {
	db  *store.DB
	clk *fixtures.Clock
	src store.Source
}

func newWorld(t *testing.T, from, to string) *world {
	t.Helper()
	clk := fixtures.NewClock(noon(from))
	fx := httptest.NewServer(fixtures.Handler(clk.Now))
	t.Cleanup(fx.Close)
	db, err := store.Open(filepath.Join(t.TempDir(), "ev.db"), store.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := t.Context()
	src, err := db.AddSource(ctx, store.Source{Name: "ims-privacy", URL: fx.URL + "/ims/privacy", Supplier: "1EdTech Consortium",
		Kind: store.Privacy, Origin: "cli", AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.PutSupplier(ctx, store.Supplier{Name: "1EdTech Consortium", Awarded: "2019-06-15", Rubric: "1.0", Zone: "America/New_York",
		Products: []store.Product{{Name: "website", Sources: []string{"ims-privacy"}}}}); err != nil {
		t.Fatal(err)
	}
	checker := &watch.Checker{Store: db, Client: fetch.NewClient(fetch.Options{Backoff: time.Millisecond, Now: clk.Tick}),
		Policy: watch.Policy{ConfirmDelay: time.Nanosecond}, Now: clk.Tick}
	for d := noon(from); !d.After(noon(to)); d = d.AddDate(0, 0, 1) {
		clk.Set(d)
		if res := checker.Check(ctx, src); res.Err != nil {
			t.Fatalf("check at %s: %v", d, res.Err)
		}
	}
	return &world{db: db, clk: clk, src: src}
}

func (w *world) build(t *testing.T, notified string, now time.Time) *evidence.Bundle {
	t.Helper()
	date, err := vetting.ParseDate(notified)
	if err != nil {
		t.Fatal(err)
	}
	b, err := evidence.Build(t.Context(), w.db, evidence.Request{Source: w.src.Name, Notified: date, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (w *world) key(t *testing.T) string {
	t.Helper()
	k, err := w.db.PublicKey(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestOutcomes builds and verifies a bundle for each deadline outcome.
func TestOutcomes(t *testing.T) {
	w := newWorld(t, "2022-05-01", "2022-06-14")
	tests := []struct {
		notified string
		now      time.Time
		outcome  string
		roles    []string
		says     string
	}{
		// Day 4 of 10: the page changed on the 17th.
		{"2022-05-13", noon("2022-06-20"), evidence.Met, []string{"before", "after"}, "inside the update window (due before 2022-05-24 00:00:00 EDT)"},
		// Notified on the 5th: due before the 16th, changed on the 17th.
		{"2022-05-05", noon("2022-06-20"), evidence.Missed, []string{"before", "after"}, "after the end of the update window (due before 2022-05-16 00:00:00 EDT)"},
		// After the change: nothing more changes.
		{"2022-06-01", noon("2022-06-20"), evidence.NoChange, []string{"before", "last"}, "the latest capture, taken 2022-06-14 08:00:01 EDT, still shows the text"},
		{"2022-06-10", noon("2022-06-15"), evidence.Open, []string{"before", "last"}, "No change captured yet (the window is open until 2022-06-21 00:00:00 EDT)"},
	}
	for _, tt := range tests {
		t.Run(tt.outcome, func(t *testing.T) {
			b := w.build(t, tt.notified, tt.now)
			m := b.Manifest
			var roles []string
			for _, c := range m.Captures {
				roles = append(roles, c.Role)
			}
			if m.Deadline.Outcome != tt.outcome || !slices.Equal(roles, tt.roles) || !strings.Contains(m.Deadline.Statement, tt.says) {
				t.Errorf("outcome %s, captures %v, %q; want %s, %v, %q", m.Deadline.Outcome, roles, m.Deadline.Statement, tt.outcome, tt.roles, tt.says)
			}
			if m.Notification.Zone != "America/New_York" {
				t.Errorf("zone %s, want the supplier's", m.Notification.Zone)
			}
			if (m.Diff != nil) != slices.Contains(roles, "after") {
				t.Errorf("diff %+v with captures %v", m.Diff, roles)
			}
			if m.Diff != nil && (!m.Diff.Revet || !strings.Contains(m.Diff.Summary, "IMS Global")) {
				t.Errorf("diff summary %q, revet %v", m.Diff.Summary, m.Diff.Revet)
			}
			rep := evidence.Verify(b.Data, evidence.VerifyOptions{Key: w.key(t)})
			if !rep.OK() || rep.KeyFromBundle {
				t.Fatalf("verify: %s", rep.Failures())
			}
			for _, want := range []string{"archive", "manifest signature", "files", "checkpoint", "earlier checkpoint", "consistency",
				"capture before in latest checkpoint", "capture before text", "timeline", "deadline", "summary"} {
				if !hasCheck(rep, want, true) {
					t.Errorf("no passing %q check in %v", want, rep.Checks)
				}
			}
			if m.Diff != nil {
				// The diff is recomputed by this build, and its page
				// marks the rename inside the substantive changes.
				if !slices.ContainsFunc(rep.Checks, func(c evidence.Check) bool {
					return c.Name == "diff" && c.OK && strings.HasPrefix(c.Detail, "recomputed")
				}) {
					t.Errorf("the diff is not recomputed: %v", rep.Checks)
				}
				_, files := members(t, b.Data)
				if page := string(files["diff/diff.html"]); !strings.Contains(page, `<span class="renamed" title="renamed from IMS Global">1EdTech</span>`) {
					t.Errorf("diff/diff.html has no rename span (%d bytes)", len(page))
				}
			}
			// Without a key the bundle's own is used, and said so.
			if rep := evidence.Verify(b.Data, evidence.VerifyOptions{}); !rep.OK() || !rep.KeyFromBundle {
				t.Errorf("verify with the bundle's own key: %v %s", rep.KeyFromBundle, rep.Failures())
			}
		})
	}
}

// TestNoEarlierCapture: a notification before the first capture cannot
// be evidenced, and the error says why.
func TestNoEarlierCapture(t *testing.T) {
	w := newWorld(t, "2022-05-01", "2022-05-03")
	date, _ := vetting.ParseDate("2022-04-01")
	_, err := evidence.Build(t.Context(), w.db, evidence.Request{Source: w.src.Name, Notified: date})
	if err == nil || !strings.Contains(err.Error(), "no capture of ims-privacy with its text before the notification") {
		t.Errorf("got %v", err)
	}
}

// TestWrongKey: a bundle checked against another log's key fails on every
// signature.
func TestWrongKey(t *testing.T) {
	w := newWorld(t, "2022-05-10", "2022-05-20")
	b := w.build(t, "2022-05-13", noon("2022-06-01"))
	other, err := store.Open(filepath.Join(t.TempDir(), "other.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	key, _ := other.PublicKey(t.Context())
	rep := evidence.Verify(b.Data, evidence.VerifyOptions{Key: key})
	for _, name := range []string{"key", "manifest signature", "checkpoint", "earlier checkpoint"} {
		if !hasCheck(rep, name, false) {
			t.Errorf("no failing %q check: %v", name, rep.Checks)
		}
	}
}

func hasCheck(rep evidence.Report, name string, ok bool) bool {
	for _, c := range rep.Checks {
		if c.Name == name && c.OK == ok {
			return true
		}
	}
	return false
}

// members reads a bundle's members in order.
func members(t *testing.T, data []byte) ([]string, map[string][]byte) {
	t.Helper()
	r, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	content := map[string][]byte{}
	for _, f := range r.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		names = append(names, f.Name)
		content[f.Name] = b
	}
	return names, content
}

// rebuild writes members as a canonical bundle archive would, so that a
// tampered member is the only thing wrong.
func rebuild(t *testing.T, names []string, content map[string][]byte, modified time.Time) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: n, Method: zip.Store, Modified: modified.UTC()})
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(content[n])
	}
	zw.Close()
	return buf.Bytes()
}

// TestTampering changes one thing in a bundle — a byte of a body, a
// header, a timestamp, a proof, a signature, the notification date — and
// rebuilds the archive around it, as a forger would; verify must fail
// and name what was changed.
func TestTampering(t *testing.T) {
	w := newWorld(t, "2022-05-10", "2022-05-20")
	b := w.build(t, "2022-05-13", noon("2022-06-01"))
	key := w.key(t)
	names, orig := members(t, b.Data)
	if got := rebuild(t, names, orig, b.Manifest.Created); !bytes.Equal(got, b.Data) {
		t.Fatal("the test's rebuild is not the canonical archive")
	}
	after := b.Manifest.Captures[1]
	replace := func(member, old, new string) func(map[string][]byte) {
		return func(c map[string][]byte) {
			if !bytes.Contains(c[member], []byte(old)) {
				t.Fatalf("%s has no %q", member, old)
			}
			c[member] = bytes.Replace(c[member], []byte(old), []byte(new), 1)
		}
	}
	flipAt := func(member string, pick func([]byte) int) func(map[string][]byte) {
		return func(c map[string][]byte) {
			d := bytes.Clone(c[member])
			i := pick(d)
			d[i] = flipBase64(d[i])
			c[member] = d
		}
	}
	tests := []struct {
		name   string
		tamper func(map[string][]byte)
		fails  []string // checks that must fail
	}{
		{"one byte of the after body", flipAt(after.Body, func(d []byte) int { return bytes.Index(d, []byte("This Privacy Notice explains")) + 5 }),
			[]string{"file " + after.Body, "capture after body", "capture after text", "diff"}},
		{"a response header in the after record", replace(after.Dir+"/record.json", `"text/html; charset=utf-8"`, `"text/html; charset=utf-16"`),
			[]string{"file " + after.Dir + "/record.json", "capture after in latest checkpoint", "capture after in earlier checkpoint", "capture after headers"}},
		{"a response header in response.txt", replace(after.Dir+"/response.txt", "Content-Type: text/html", "Content-Type: text/xml"),
			[]string{"file " + after.Dir + "/response.txt", "capture after headers"}},
		{"the after capture's time", replace(after.Dir+"/record.json", `"start":"2022-05-17T12:00:`, `"start":"2022-05-16T12:00:`),
			[]string{"capture after", "capture after in latest checkpoint", "capture after in earlier checkpoint"}},
		{"a hash in an inclusion proof", flipAt("log/proofs.json", func(d []byte) int { return bytes.Index(d, []byte(`"proof": [`)) + 18 }),
			[]string{"file log/proofs.json", "capture before in latest checkpoint"}},
		{"the consistency proof", flipAt("log/proofs.json", func(d []byte) int { return bytes.Index(d, []byte(`"consistency": [`)) + 24 }),
			[]string{"file log/proofs.json", "consistency"}},
		{"the checkpoint's signature", flipAt("log/checkpoint.txt", func(d []byte) int { return len(d) - 6 }),
			[]string{"file log/checkpoint.txt", "checkpoint", "consistency"}},
		{"the manifest's notification date", replace("manifest.json", `"date": "2022-05-13"`, `"date": "2022-05-12"`),
			[]string{"manifest signature", "deadline"}},
		{"the manifest's signature", flipAt("manifest.sig", func(d []byte) int { return len(d) - 6 }),
			[]string{"manifest signature"}},
		{"the summary's verdict", replace("summary.html", "<strong>MET</strong>", "<strong>MISSED</strong>"),
			[]string{"file summary.html", "summary"}},
		{"an extra member", func(c map[string][]byte) { c["notes.txt"] = []byte("trust me") },
			[]string{"archive"}}, // refused before it is read
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := map[string][]byte{}
			for k, v := range orig {
				c[k] = bytes.Clone(v)
			}
			tt.tamper(c)
			ns := slices.Clone(names)
			for k := range c {
				if !slices.Contains(ns, k) {
					ns = append(ns, k)
				}
			}
			rep := evidence.Verify(rebuild(t, ns, c, b.Manifest.Created), evidence.VerifyOptions{Key: key})
			if rep.OK() {
				t.Fatal("verify passed")
			}
			for _, name := range tt.fails {
				if !hasCheck(rep, name, false) {
					t.Errorf("check %q did not fail; failures: %s", name, rep.Failures())
				}
			}
		})
	}
}

// flipBase64 changes a byte to another that keeps base64 text base64 and
// JSON text JSON.
func flipBase64(c byte) byte {
	if c == 'A' {
		return 'B'
	}
	return 'A'
}

// TestEveryByteFlipIsDetected flips single bytes of bundles — a spread
// over the whole file, and some inside every member — and expects verify
// to fail every time: a no-change bundle (no diff, cheap to verify) with
// many flips, and a met bundle (with the diff) with fewer.
func TestEveryByteFlipIsDetected(t *testing.T) {
	w := newWorld(t, "2022-05-10", "2022-06-14")
	key := w.key(t)
	rng := rand.New(rand.NewPCG(8, 2022))
	for _, tt := range []struct {
		notified  string
		perMember int
		spread    int
	}{
		{"2022-06-01", 8, 1500},
		{"2022-05-13", 4, 300},
	} {
		b := w.build(t, tt.notified, noon("2022-06-30"))
		if rep := evidence.Verify(b.Data, evidence.VerifyOptions{Key: key}); !rep.OK() {
			t.Fatalf("unaltered %s bundle: %s", b.Manifest.Deadline.Outcome, rep.Failures())
		}
		r, err := zip.NewReader(bytes.NewReader(b.Data), int64(len(b.Data)))
		if err != nil {
			t.Fatal(err)
		}
		var offsets []int
		for _, f := range r.File {
			start, err := f.DataOffset()
			if err != nil {
				t.Fatal(err)
			}
			for range tt.perMember {
				if f.UncompressedSize64 > 0 {
					offsets = append(offsets, int(start)+rng.IntN(int(f.UncompressedSize64)))
				}
			}
		}
		spread := tt.spread
		if testing.Short() {
			spread /= 10
		}
		for range spread {
			offsets = append(offsets, rng.IntN(len(b.Data)))
		}
		missed := 0
		for _, off := range offsets {
			data := bytes.Clone(b.Data)
			data[off] ^= byte(1 + rng.IntN(255))
			if rep := evidence.Verify(data, evidence.VerifyOptions{Key: key}); rep.OK() {
				missed++
				t.Errorf("%s bundle: a flip at byte %d of %d went undetected", b.Manifest.Deadline.Outcome, off, len(data))
			}
		}
		t.Logf("%s bundle (%d bytes, %d members): %d single-byte flips, %d undetected", b.Manifest.Deadline.Outcome, len(b.Data), len(r.File), len(offsets), missed)
	}
}
