package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/store"
	"go.etcd.io/bbolt"
)

// openTemp opens a database in a temp dir and checks it when the test ends.
func openTemp(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "test.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Check(context.Background()); err != nil {
			t.Errorf("consistency check: %v", err)
		}
		if rep, err := db.CheckLog(context.Background()); err != nil || !rep.OK() {
			t.Errorf("log check: %v %v", rep.Problems, err)
		}
		db.Close()
	})
	return db
}

func addSource(t *testing.T, db *store.DB, name string) store.Source {
	t.Helper()
	s, err := db.AddSource(t.Context(), store.Source{Name: name, URL: "https://" + name + ".example/privacy", Supplier: "Supplier " + name, Origin: "cli"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSources(t *testing.T) {
	db := openTemp(t)
	ctx := t.Context()
	a := addSource(t, db, "alpha")
	if a.ID != 1 || a.Kind != store.Privacy || a.Added.IsZero() {
		t.Errorf("added %+v", a)
	}
	for _, ref := range []string{"1", "alpha", "https://alpha.example/privacy"} {
		got, err := db.Source(ctx, ref)
		if err != nil || got.ID != a.ID {
			t.Errorf("Source(%q): got %+v, %v", ref, got, err)
		}
	}
	bad := []struct {
		name string
		src  store.Source
		want error
	}{
		{"duplicate name", store.Source{Name: "alpha", URL: "https://other.example/"}, store.ErrExists},
		{"duplicate URL", store.Source{Name: "other", URL: a.URL}, store.ErrExists},
		{"no name", store.Source{URL: "https://x.example/"}, store.ErrInvalid},
		{"numeric name", store.Source{Name: "42", URL: "https://x.example/"}, store.ErrInvalid},
		{"ftp URL", store.Source{Name: "x", URL: "ftp://x.example/"}, store.ErrInvalid},
		{"bad kind", store.Source{Name: "x", URL: "https://x.example/", Kind: "cookies"}, store.ErrInvalid},
	}
	for _, tt := range bad {
		if _, err := db.AddSource(ctx, tt.src); !errors.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
	}
	if _, err := db.Source(ctx, "missing"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing source: %v", err)
	}
	a.Name, a.Paused = "alpha-renamed", true
	if err := db.UpdateSource(ctx, a); err != nil {
		t.Fatal(err)
	}
	if got, err := db.Source(ctx, "alpha-renamed"); err != nil || !got.Paused {
		t.Errorf("after update: %+v, %v", got, err)
	}
	if _, err := db.Source(ctx, "alpha"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("old name still resolves: %v", err)
	}
}

// record writes one fetch through Record with the current state.
func record(t *testing.T, db *store.DB, src uint64, at time.Time, body string, r store.Record) store.Fetch {
	t.Helper()
	st, err := db.State(t.Context(), src)
	if err != nil {
		t.Fatal(err)
	}
	if r.State.SourceID == 0 {
		r.State = st
	} else {
		r.State.Rev = st.Rev
	}
	r.Fetch.SourceID, r.Fetch.Start, r.Fetch.End = src, at, at.Add(time.Second)
	if body != "" {
		r.Body = []byte(body)
		r.Doc = []byte(`{"doc":"` + body[:min(len(body), 20)] + `"}`)
	}
	f, _, err := db.Record(t.Context(), r)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestRecordVersionsAndChanges(t *testing.T) {
	db := openTemp(t)
	ctx := t.Context()
	src := addSource(t, db, "alpha").ID
	t0 := time.Date(2022, 5, 1, 0, 0, 0, 0, time.UTC)
	day := 24 * time.Hour

	first := record(t, db, src, t0, "<p>v1</p>", store.Record{Fetch: store.Fetch{Outcome: store.OutcomeNew, TextSHA256: "t1"}, Start: &store.Version{TextSHA256: "t1", Extractor: "extract/3"}})
	if first.Version != 1 || first.BodySHA256 != store.Hash([]byte("<p>v1</p>")) {
		t.Fatalf("first fetch: %+v", first)
	}
	record(t, db, src, t0.Add(day), "<p>v1</p>", store.Record{Fetch: store.Fetch{Outcome: store.OutcomeUnchanged}, Seen: true})
	pending := record(t, db, src, t0.Add(2*day), "<p>v2</p>", store.Record{Fetch: store.Fetch{Outcome: store.OutcomePending}})
	st, _ := db.State(ctx, src)
	st.Pending = nil
	confirm := record(t, db, src, t0.Add(2*day+time.Minute), "<p>v2</p>", store.Record{
		Fetch:  store.Fetch{Outcome: store.OutcomeChanged},
		State:  st,
		Start:  &store.Version{TextSHA256: "t2", FirstFetch: pending.ID, FirstSeen: pending.Start},
		Change: &store.Change{Revet: true, Summary: "needs re-vetting"},
		Diff:   []byte(`{"revet":true}`),
	})
	if confirm.Version != 2 {
		t.Errorf("confirming fetch saw version %d, want 2", confirm.Version)
	}
	vs, err := db.Versions(ctx, src)
	if err != nil || len(vs) != 2 {
		t.Fatalf("versions: %v, %v", vs, err)
	}
	if !vs[0].LastSeen.Equal(t0.Add(day)) || !vs[1].FirstSeen.Equal(t0.Add(2*day)) || vs[1].LastFetch != confirm.ID {
		t.Errorf("version intervals: %+v", vs)
	}
	changes, err := db.Changes(ctx, store.ChangeFilter{})
	if err != nil || len(changes) != 1 {
		t.Fatalf("changes: %v, %v", changes, err)
	}
	c := changes[0]
	if c.From != 1 || c.To != 2 || !c.After.Equal(t0.Add(day)) || !c.Detected.Equal(t0.Add(2*day)) || c.Triage.State != store.TriageNew {
		t.Errorf("change: %+v", c)
	}
	if diff, err := db.Blob(ctx, c.DiffSHA256); err != nil || string(diff) != `{"revet":true}` {
		t.Errorf("diff blob: %q, %v", diff, err)
	}
	if at, err := db.VersionAt(ctx, src, t0.Add(day+time.Hour)); err != nil || at.Seq != 1 {
		t.Errorf("version at day 1: %+v, %v", at, err)
	}
	if _, err := db.VersionAt(ctx, src, t0.Add(-time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("version before the first: %v", err)
	}
	fs, err := db.Fetches(ctx, src, t0.Add(day), t0.Add(2*day+time.Second), 0)
	if err != nil || len(fs) != 2 || fs[0].Outcome != store.OutcomeUnchanged || fs[1].Outcome != store.OutcomePending {
		t.Errorf("fetches in range: %+v, %v", fs, err)
	}
	if last, _ := db.Fetches(ctx, src, time.Time{}, time.Time{}, 1); len(last) != 1 || last[0].ID != confirm.ID {
		t.Errorf("latest fetch: %+v", last)
	}
	if err := db.SetTriage(ctx, c.ID, store.Triage{State: store.TriageRevet, By: "staff", Note: "sharing widened"}); err != nil {
		t.Fatal(err)
	}
	if err := db.SetTriage(ctx, c.ID, store.Triage{State: "maybe"}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("bad triage state: %v", err)
	}
	if got, _ := db.Change(ctx, c.ID); got.Triage.State != store.TriageRevet || got.Triage.Note != "sharing widened" {
		t.Errorf("triage: %+v", got.Triage)
	}
	if revet, _ := db.Changes(ctx, store.ChangeFilter{Revet: true, Since: t0.Add(3 * day)}); len(revet) != 0 {
		t.Errorf("since filter kept %d", len(revet))
	}
}

func TestRecordConflict(t *testing.T) {
	db := openTemp(t)
	src := addSource(t, db, "alpha").ID
	st, _ := db.State(t.Context(), src)
	record(t, db, src, time.Now(), "", store.Record{Fetch: store.Fetch{Outcome: store.OutcomeFailed, Error: "boom"}})
	_, _, err := db.Record(t.Context(), store.Record{Fetch: store.Fetch{SourceID: src, Start: time.Now(), Outcome: store.OutcomeFailed}, State: st})
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("stale state: got %v, want %v", err, store.ErrConflict)
	}
}

// TestBlobsDedupAndDelta: the same body is stored once; a body that
// differs a little from the current version's is stored as a delta.
func TestBlobsDedupAndDelta(t *testing.T) {
	db := openTemp(t)
	ctx := t.Context()
	src := addSource(t, db, "alpha").ID
	page := strings.Repeat("<p>We collect your e-mail address and use it to send the newsletter you asked for. ", 2000)
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	record(t, db, src, t0, page+"nonce=1", store.Record{Fetch: store.Fetch{Outcome: store.OutcomeNew}, Start: &store.Version{TextSHA256: "t"}})
	count1, stored1, _ := db.BlobStats(ctx)
	for i := 1; i <= 20; i++ {
		record(t, db, src, t0.Add(time.Duration(i)*time.Hour), page+"nonce=1", store.Record{Fetch: store.Fetch{Outcome: store.OutcomeUnchanged}, Seen: true})
	}
	f := record(t, db, src, t0.Add(30*time.Hour), page+"nonce=2", store.Record{Fetch: store.Fetch{Outcome: store.OutcomeUnchanged}, Seen: true})
	got, err := db.Blob(ctx, f.BodySHA256)
	if err != nil || string(got) != page+"nonce=2" {
		t.Fatalf("delta blob round trip: %d bytes, %v", len(got), err)
	}
	// The blobs, not the file: the file grows in pages with every record.
	count, stored2, _ := db.BlobStats(ctx)
	if count != count1+1 || stored2-stored1 > 1<<10 {
		t.Errorf("21 more fetches stored %d more blobs, %d more bytes; want one small delta", count-count1, stored2-stored1)
	}
	if _, err := db.Blob(ctx, strings.Repeat("0", 64)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing blob: %v", err)
	}
	if _, err := db.Blob(ctx, "xyz"); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("bad key: %v", err)
	}
}

func TestSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := db.Schema(t.Context()); v != store.SchemaVersion {
		t.Errorf("schema %d", v)
	}
	db.Close()
	// Pretend a newer clausewatch wrote the file.
	b, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	b.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte("meta")).Put([]byte("schema"), []byte{0, 0, 0, 0, 0, 0, 0, 99})
	})
	b.Close()
	if _, err := store.Open(path, store.Options{}); !errors.Is(err, store.ErrSchema) || !strings.Contains(err.Error(), path) {
		t.Errorf("newer schema: got %v, want %v naming the file", err, store.ErrSchema)
	}
	// A bbolt file that is not ours.
	other := filepath.Join(t.TempDir(), "other.db")
	b, _ = bbolt.Open(other, 0o600, nil)
	b.Update(func(tx *bbolt.Tx) error { _, err := tx.CreateBucket([]byte("widgets")); return err })
	b.Close()
	if _, err := store.Open(other, store.Options{}); !errors.Is(err, store.ErrSchema) {
		t.Errorf("foreign database: got %v", err)
	}
	// Not a database at all.
	junk := filepath.Join(t.TempDir(), "junk.db")
	os.WriteFile(junk, bytes.Repeat([]byte("not a database "), 1000), 0o600)
	if _, err := store.Open(junk, store.Options{}); err == nil || !strings.Contains(err.Error(), junk) {
		t.Errorf("junk file: got %v", err)
	}
}

func TestLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l.db")
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// bbolt's lock is per open file description, so a second Open in the
	// same process sees it as another process would.
	if _, err := store.Open(path, store.Options{Timeout: 50 * time.Millisecond}); !errors.Is(err, store.ErrLocked) {
		t.Errorf("second open: got %v, want %v", err, store.ErrLocked)
	}
}

// TestBackupWhileWriting: a backup taken while another goroutine records
// fetches is a consistent database.
func TestBackupWhileWriting(t *testing.T) {
	db := openTemp(t)
	ctx := t.Context()
	src := addSource(t, db, "alpha").ID
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	record(t, db, src, t0, "<p>v1</p>", store.Record{Fetch: store.Fetch{Outcome: store.OutcomeNew}, Start: &store.Version{TextSHA256: "t"}})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		for i := 1; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			record(t, db, src, t0.Add(time.Duration(i)*time.Minute), "<p>v1</p>", store.Record{Fetch: store.Fetch{Outcome: store.OutcomeUnchanged}, Seen: true})
		}
	})
	out := filepath.Join(t.TempDir(), "backup.db")
	for range 3 {
		if _, err := db.BackupFile(ctx, out); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	b, err := store.Open(out, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Check(ctx); err != nil {
		t.Errorf("backup check: %v", err)
	}
	if vs, err := b.Versions(ctx, src); err != nil || len(vs) != 1 {
		t.Errorf("backup versions: %v, %v", vs, err)
	}
}

// TestCheckFindsDamage: a missing blob and a blob whose bytes were edited
// are both reported.
func TestCheckFindsDamage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.db")
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	src := addSource(t, db, "alpha").ID
	f := record(t, db, src, time.Now(), "<p>the policy</p>", store.Record{Fetch: store.Fetch{Outcome: store.OutcomeNew}, Start: &store.Version{TextSHA256: "t"}})
	db.Close()
	b, _ := bbolt.Open(path, 0o600, nil)
	b.Update(func(tx *bbolt.Tx) error {
		blobs := tx.Bucket([]byte("blobs"))
		c := blobs.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if strings.HasPrefix(f.BodySHA256, hexOf(k)) {
				return blobs.Delete(k)
			}
			tampered := bytes.Clone(v)
			tampered[len(tampered)-1] ^= 0xff
			if err := blobs.Put(k, tampered); err != nil {
				return err
			}
		}
		return nil
	})
	b.Close()
	db, err = store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Check(t.Context())
	if !errors.Is(err, store.ErrCorrupt) || !strings.Contains(err.Error(), "missing") || !strings.Contains(err.Error(), "blob") {
		t.Errorf("check: %v", err)
	}
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// TestSchedule: due times replace each other, DueBy reads the queue in
// time order up to a bound, and paused sources come off it.
func TestSchedule(t *testing.T) {
	db := openTemp(t)
	ctx := t.Context()
	base := time.Date(2026, 3, 1, 6, 0, 0, 0, time.UTC)
	var ids []uint64
	for i, name := range []string{"a", "b", "c", "d"} {
		s := addSource(t, db, name)
		ids = append(ids, s.ID)
		at := base.Add(time.Duration(3-i) * time.Hour) // d earliest
		if err := db.SetDue(ctx, store.Due{SourceID: s.ID, Schedule: "@daily", Slot: at, At: at}); err != nil {
			t.Fatal(err)
		}
	}
	// Move a from 09:00 to 05:00: its old queue entry must go.
	early := base.Add(-time.Hour)
	if err := db.SetDue(ctx, store.Due{SourceID: ids[0], Schedule: "@daily", Slot: early, At: early, LastEnd: base}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		by    time.Time
		limit int
		want  []uint64
	}{
		{base.Add(-2 * time.Hour), 0, nil},
		{early, 0, []uint64{ids[0]}},
		{base.Add(time.Hour), 0, []uint64{ids[0], ids[3], ids[2]}},
		{base.Add(10 * time.Hour), 0, []uint64{ids[0], ids[3], ids[2], ids[1]}},
		{base.Add(10 * time.Hour), 2, []uint64{ids[0], ids[3]}},
	}
	for _, tt := range tests {
		got, err := db.DueBy(ctx, tt.by, tt.limit)
		if err != nil {
			t.Fatal(err)
		}
		var gotIDs []uint64
		for _, d := range got {
			gotIDs = append(gotIDs, d.SourceID)
		}
		if fmt.Sprint(gotIDs) != fmt.Sprint(tt.want) {
			t.Errorf("DueBy(%v, %d) = %v, want %v", tt.by.Format(time.Kitchen), tt.limit, gotIDs, tt.want)
		}
	}
	if d, err := db.DueOf(ctx, ids[0]); err != nil || !d.At.Equal(early) || !d.LastEnd.Equal(base) {
		t.Errorf("DueOf(a) = %+v, %v", d, err)
	}
	if err := db.DeleteDue(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteDue(ctx, ids[0]); err != nil {
		t.Errorf("deleting twice: %v", err)
	}
	if _, err := db.DueOf(ctx, ids[0]); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DueOf deleted: %v", err)
	}
	if ds, _ := db.DueBy(ctx, base.Add(10*time.Hour), 1); len(ds) != 1 || ds[0].SourceID != ids[3] {
		t.Errorf("first due after delete = %+v, want source %d", ds, ids[3])
	}
	if err := db.SetDue(ctx, store.Due{SourceID: 999, At: base}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetDue of an unknown source: %v", err)
	}
	if all, _ := db.Dues(ctx); len(all) != 3 {
		t.Errorf("Dues: %d records, want 3", len(all))
	}
}
