package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// logFixture is a database with one source and a short history: a first
// version, unchanged fetches across two days, a pending sight of a new
// text, its confirmation, and a failed fetch.
type logFixture struct {
	db      *DB
	src     Source
	fetches []Fetch
}

func newLogFixture(t *testing.T) logFixture {
	t.Helper()
	path := filepath.Join(t.TempDir(), "log.db")
	now := time.Date(2022, 5, 10, 9, 0, 0, 0, time.UTC)
	db, err := Open(path, Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := t.Context()
	src, err := db.AddSource(ctx, Source{Name: "ims", URL: "https://ims.example/privacy", Supplier: "IMS"})
	if err != nil {
		t.Fatal(err)
	}
	fx := logFixture{db: db, src: src}
	step := func(body string, r Record) {
		t.Helper()
		st, err := db.State(ctx, src.ID)
		if err != nil {
			t.Fatal(err)
		}
		if r.State.SourceID == 0 {
			r.State = st
		}
		r.State.Rev = st.Rev
		now = now.Add(13 * time.Hour)
		r.Fetch.SourceID, r.Fetch.URL, r.Fetch.Start, r.Fetch.End = src.ID, src.URL, now, now.Add(time.Second)
		r.Fetch.Header = map[string][]string{"Content-Type": {"text/html"}, "Date": {now.Format(time.RFC1123)}}
		r.Fetch.RequestHeader = map[string][]string{"Host": {"ims.example"}, "User-Agent": {"clausewatch/test"}}
		if body != "" {
			r.Body = []byte(body)
			r.Fetch.Status, r.Fetch.TextSHA256 = 200, Hash([]byte("text:"+body))
		}
		f, _, err := db.Record(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		fx.fetches = append(fx.fetches, f)
	}
	step("<p>v1</p>", Record{Fetch: Fetch{Outcome: OutcomeNew}, Start: &Version{TextSHA256: Hash([]byte("text:<p>v1</p>"))}})
	step("<p>v1</p>", Record{Fetch: Fetch{Outcome: OutcomeUnchanged}, Seen: true})
	step("<p>v1</p>", Record{Fetch: Fetch{Outcome: OutcomeUnchanged}, Seen: true})
	st, _ := db.State(ctx, src.ID)
	st.Pending = &Pending{TextSHA256: Hash([]byte("text:<p>v2</p>")), Count: 1}
	step("<p>v2</p>", Record{Fetch: Fetch{Outcome: OutcomePending}, State: st})
	st, _ = db.State(ctx, src.ID)
	first := st.Pending
	st.Pending = nil
	step("<p>v2</p>", Record{Fetch: Fetch{Outcome: OutcomeChanged}, State: st,
		Start: &Version{TextSHA256: Hash([]byte("text:<p>v2</p>")), FirstFetch: first.FetchID, FirstSeen: first.Seen}})
	step("", Record{Fetch: Fetch{Outcome: OutcomeFailed, Error: "connection refused"}})
	return fx
}

// TestLogAppendsEveryFetch: every fetch is a log record in the order
// written; each record's inclusion proof checks against the latest signed
// checkpoint, and every kept checkpoint is consistent with it.
func TestLogAppendsEveryFetch(t *testing.T) {
	fx := newLogFixture(t)
	ctx := t.Context()
	db := fx.db
	n, err := db.LogSize(ctx)
	if err != nil || n != int64(len(fx.fetches)) {
		t.Fatalf("log size %d, %v; want %d", n, err, len(fx.fetches))
	}
	vkey, err := db.PublicKey(ctx)
	if err != nil || !strings.HasPrefix(vkey, "clausewatch-") {
		t.Fatalf("public key %q, %v", vkey, err)
	}
	latest, err := db.LatestCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c, err := OpenCheckpoint(latest.Note, vkey)
	if err != nil || c.Size != n || c != latest.Checkpoint {
		t.Fatalf("latest checkpoint %+v, %v", c, err)
	}
	for i, f := range fx.fetches {
		idx, err := db.LogIndex(ctx, f.ID)
		if err != nil || idx != int64(i) {
			t.Fatalf("fetch %d: log index %d, %v; want %d", f.ID, idx, err, i)
		}
		p, err := db.ProveRecord(ctx, c.Size, idx)
		if err != nil {
			t.Fatal(err)
		}
		if err := tlog.CheckRecord(p, c.Size, c.Hash, idx, tlog.RecordHash(LogLeaf(f))); err != nil {
			t.Errorf("fetch %d: inclusion proof: %v", f.ID, err)
		}
		edited := f
		edited.Status = 500
		if err := tlog.CheckRecord(p, c.Size, c.Hash, idx, tlog.RecordHash(LogLeaf(edited))); err == nil {
			t.Errorf("fetch %d: an edited record passes its inclusion proof", f.ID)
		}
	}
	kept, err := db.Checkpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Kept: the first version (and first of 10 May), the first of 11 May,
	// the first of 12 May, the pending sight of the new text, the
	// confirmed version (also the first of 13 May); not the failed fetch
	// later on 13 May.
	var sizes []int64
	for _, k := range kept {
		sizes = append(sizes, k.Size)
		if _, err := OpenCheckpoint(k.Note, vkey); err != nil {
			t.Errorf("kept checkpoint %d: %v", k.Size, err)
		}
		p, err := db.ProveTree(ctx, c.Size, k.Size)
		if err != nil {
			t.Fatal(err)
		}
		if err := tlog.CheckTree(p, c.Size, c.Hash, k.Size, k.Hash); err != nil {
			t.Errorf("consistency %d→%d: %v", k.Size, c.Size, err)
		}
	}
	if want := []int64{1, 2, 3, 4, 5}; !slices.Equal(sizes, want) {
		t.Errorf("kept checkpoints of sizes %v, want %v", sizes, want)
	}
	rep, err := db.CheckLog(ctx)
	if err != nil || !rep.OK() || rep.Size != n || rep.Fetches != len(fx.fetches) {
		t.Errorf("log check: %+v, %v", rep, err)
	}
}

// TestLogCheckFindsTampering edits the database behind the store's back,
// one way per case, and expects CheckLog to name what was done.
func TestLogCheckFindsTampering(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(t *testing.T, tx *bbolt.Tx, fx logFixture)
		want   []string // kinds, in order of first appearance
		detail string
	}{
		{"edit a status", func(t *testing.T, tx *bbolt.Tx, fx logFixture) {
			rewriteFetch(t, tx, fx.fetches[1], func(f *Fetch) { f.Status = 404 })
		}, []string{ProblemEdited, ProblemCheckpoint}, "fetch 2 of source 1"},
		{"edit a header", func(t *testing.T, tx *bbolt.Tx, fx logFixture) {
			rewriteFetch(t, tx, fx.fetches[3], func(f *Fetch) { f.Header["Date"] = []string{"Mon, 02 May 2022 00:00:00 GMT"} })
		}, []string{ProblemEdited, ProblemCheckpoint}, "fetch 4 of source 1"},
		{"edit a body hash", func(t *testing.T, tx *bbolt.Tx, fx logFixture) {
			rewriteFetch(t, tx, fx.fetches[0], func(f *Fetch) { f.BodySHA256 = Hash([]byte("<p>v0</p>")) })
		}, []string{ProblemEdited, ProblemBody, ProblemCheckpoint}, "fetch 1 of source 1"},
		{"delete a fetch", func(t *testing.T, tx *bbolt.Tx, fx logFixture) {
			f := fx.fetches[2]
			if err := tx.Bucket(bucketFetchLog).Delete(u64(f.ID)); err != nil {
				t.Fatal(err)
			}
		}, []string{ProblemDeleted, ProblemCheckpoint}, "log record 2: fetch 3: no fetch record with ID 3 remains"},
		{"write a fetch around the log", func(t *testing.T, tx *bbolt.Tx, fx logFixture) {
			f := fx.fetches[1]
			f.ID, f.Start = 99, f.Start.Add(time.Minute)
			if err := putRecordJSON(tx, f); err != nil {
				t.Fatal(err)
			}
		}, []string{ProblemUnlogged}, "fetch 99 of source 1"},
		{"edit a fetch and rebuild the stored tree", func(t *testing.T, tx *bbolt.Tx, fx logFixture) {
			f := fx.fetches[4]
			rewriteFetch(t, tx, f, func(f *Fetch) { f.Start = f.Start.Add(-48 * time.Hour) })
			// The forger recomputes every stored hash, but cannot sign.
			n := logSize(tx)
			var rebuilt TreeHashes
			for i := range n {
				leaf, _ := tileHash(tiles(tx), 0, i)
				if i == 4 {
					edited := f
					edited.Start = f.Start.Add(-48 * time.Hour)
					leaf = tlog.RecordHash(LogLeaf(edited))
				}
				more, _ := tlog.StoredHashesForRecordHash(i, leaf, rebuilt)
				rebuilt = append(rebuilt, more...)
			}
			if err := writeTiles(tiles(tx), n, rebuilt); err != nil {
				t.Fatal(err)
			}
		}, []string{ProblemCheckpoint}, "kept checkpoint 5 (size 5, signed 2022-05-13T02:00:00Z) does not match the tree recomputed from the stored fetch records: one of its first 5 records was edited or deleted (as do 1 later checkpoints)"},
		{"truncate the log", func(t *testing.T, tx *bbolt.Tx, fx logFixture) {
			tx.Bucket(bucketMeta).Put(keyLogSize, u64(4))
		}, []string{ProblemUnlogged, ProblemCheckpoint}, "records were removed from the log"},
		{"alter the latest checkpoint's signature", func(t *testing.T, tx *bbolt.Tx, fx logFixture) {
			signed := append([]byte(nil), tx.Bucket(bucketMeta).Get(keyCheckpoint)...)
			i := len(signed) - 10
			signed[i] ^= 0x01
			tx.Bucket(bucketMeta).Put(keyCheckpoint, signed)
		}, []string{ProblemCheckpoint}, "latest checkpoint: checkpoint"},
		{"corrupt a body", func(t *testing.T, tx *bbolt.Tx, fx logFixture) {
			k, _ := blobKey(fx.fetches[4].BodySHA256)
			v := append([]byte(nil), tx.Bucket(bucketBlobs).Get(k)...)
			v[len(v)-1] ^= 0xff
			tx.Bucket(bucketBlobs).Put(k, v)
		}, []string{ProblemBody}, "cannot be read back intact"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newLogFixture(t)
			if err := fx.db.bolt.Update(func(tx *bbolt.Tx) error { tt.tamper(t, tx, fx); return nil }); err != nil {
				t.Fatal(err)
			}
			rep, err := fx.db.CheckLog(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			all := ""
			for _, p := range rep.Problems {
				if !slices.Contains(kinds, p.Kind) {
					kinds = append(kinds, p.Kind)
				}
				all += p.String() + "\n"
			}
			if strings.Join(kinds, ",") != strings.Join(tt.want, ",") || !strings.Contains(all, tt.detail) {
				t.Errorf("problems:\n%swant kinds %v and %q", all, tt.want, tt.detail)
			}
		})
	}
}

// rewriteFetch edits a stored fetch record in place: as a compact record
// when the edit leaves it at its key, else as JSON (the older format,
// which is still read), at its old key.
func rewriteFetch(t *testing.T, tx *bbolt.Tx, f Fetch, edit func(*Fetch)) {
	t.Helper()
	k := fetchKey(f.Start, f.ID)
	stored, err := newFetchReader(tx, f.SourceID).read(k, storedRecord(tx, f.ID))
	if err != nil {
		t.Fatal(err)
	}
	edit(&stored)
	if !bytes.Equal(fetchKey(stored.Start, stored.ID), k) {
		data, err := jsonMarshal(stored)
		if err == nil {
			err = tx.Bucket(bucketFetchLog).Put(u64(f.ID), fetchLogValue(f.SourceID, f.Start, data))
		}
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	data, ok, err := compactRecord(tx, stored, anyGeneration(tx, f.SourceID, stored))
	if err != nil || !ok {
		t.Fatalf("compact record of the edited fetch: %v, %v", ok, err)
	}
	if err := tx.Bucket(bucketFetchLog).Put(u64(f.ID), fetchLogValue(f.SourceID, f.Start, data)); err != nil {
		t.Fatal(err)
	}
}

// TestLogKey: the key is made at first open beside the database and kept;
// a log signed with a key that is missing or different refuses to open
// read-write, naming the key it needs; read-only opens need no key.
func TestLogKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "k.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	vkey, _ := db.PublicKey(t.Context())
	db.Close()
	info, err := os.Stat(path + ".key")
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v", info, err)
	}
	db, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := db.PublicKey(t.Context()); again != vkey {
		t.Errorf("key changed on reopen: %s → %s", vkey, again)
	}
	db.Close()

	other := filepath.Join(dir, "other.key")
	if db, err := Open(filepath.Join(dir, "other.db"), Options{KeyFile: other}); err != nil {
		t.Fatal(err)
	} else {
		db.Close()
	}
	for name, key := range map[string]string{"missing": filepath.Join(dir, "none.key"), "different": other} {
		_, err := Open(path, Options{KeyFile: key})
		if !errors.Is(err, ErrKey) || !strings.Contains(err.Error(), vkey) {
			t.Errorf("%s key: %v; want ErrKey naming %s", name, err, vkey)
		}
	}
	os.Rename(path+".key", path+".key.bak")
	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only open without the key: %v", err)
	}
	if rep, err := ro.CheckLog(t.Context()); err != nil || !rep.OK() {
		t.Errorf("read-only log check: %+v %v", rep, err)
	}
	ro.Close()
}

// TestLogBackfill: a schema-4 database with fetches gets them all in the
// log, oldest first, when it is migrated, under one kept checkpoint.
func TestLogBackfill(t *testing.T) {
	fx := newLogFixture(t)
	ctx := context.Background()
	path := fx.db.Path()
	// Make it a schema-4 database: no log, fetches in per-source buckets.
	err := fx.db.bolt.Update(func(tx *bbolt.Tx) error {
		if err := downgradeToSchema9(tx); err != nil {
			return err
		}
		for _, b := range [][]byte{bucketLogTiles, bucketCheckpoints} {
			if err := tx.DeleteBucket(b); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		for _, k := range [][]byte{keyLogSize, keyCheckpoint, keyLogVKey} {
			meta.Delete(k)
		}
		return meta.Put(keySchema, u64(4))
	})
	if err != nil {
		t.Fatal(err)
	}
	fx.db.Close()
	os.Remove(path + ".key")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rep, err := db.CheckLog(ctx)
	if err != nil || !rep.OK() || rep.Size != int64(len(fx.fetches)) || rep.Checkpoints != 2 {
		t.Fatalf("after backfill: %+v, %v", rep, err)
	}
	for i, f := range fx.fetches {
		if idx, err := db.LogIndex(ctx, f.ID); err != nil || idx != int64(i) {
			t.Errorf("fetch %d at log record %d, %v; want %d", f.ID, idx, err, i)
		}
	}
}

// TestLogCheckDamagedSize: a log size past what the file can hold (a
// damaged meta value, with the fetches' sequence damaged as well) is
// refused as corrupt, before the check allocates for it — a flipped bit
// there made it ask for gigabytes.
func TestLogCheckDamagedSize(t *testing.T) {
	for _, size := range []uint64{1 << 40, 1<<63 + 5} {
		fx := newLogFixture(t)
		err := fx.db.bolt.Update(func(tx *bbolt.Tx) error {
			// The fetches' sequence damaged too: the file's size still
			// bounds the log.
			if err := tx.Bucket(bucketFetchLog).SetSequence(size); err != nil {
				return err
			}
			return tx.Bucket(bucketMeta).Put(keyLogSize, u64(size))
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fx.db.CheckLog(t.Context()); !errors.Is(err, ErrCorrupt) {
			t.Errorf("size %d: CheckLog error %v, want ErrCorrupt", size, err)
		}
	}
}
