package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// memRefs resolves a compact record's references from memory.
type memRefs struct {
	contexts map[uint64]fetchContext
	headerz  map[uint64]map[string][]string
	versions map[[2]uint64]Version
}

func (m memRefs) context(seq uint64) (fetchContext, error) {
	if c, ok := m.contexts[seq]; ok {
		return c, nil
	}
	return fetchContext{}, errors.New("missing")
}

func (m memRefs) headers(seq uint64) (map[string][]string, error) {
	if h, ok := m.headerz[seq]; ok {
		return h, nil
	}
	return nil, errors.New("missing")
}

func (m memRefs) version(gen, seq uint64) (Version, error) {
	if v, ok := m.versions[[2]uint64{gen, seq}]; ok {
		return v, nil
	}
	return Version{}, errors.New("missing")
}

// sampleVersion is the version the sample fetches saw (generation 2).
var sampleVersion = Version{Seq: 3, Generation: 2, BodySHA256: Hash([]byte("body")), DocSHA256: Hash([]byte("doc")), TextSHA256: Hash([]byte("text"))}

// sampleFetches are fetches of every shape a record must keep exactly.
func sampleFetches() map[string]Fetch {
	start := time.Date(2026, 3, 1, 6, 0, 0, 123456789, time.UTC)
	req := map[string][]string{"Host": {"a.example"}, "User-Agent": {"clausewatch/test"}, "Accept-Language": {"en"}, "Accept": {"text/html"}}
	resp := map[string][]string{"Content-Type": {"text/html"}, "Date": {start.Format("Mon, 02 Jan 2006 15:04:05 GMT")}, "Server": {"nginx"}}
	unchanged := Fetch{V: 1, ID: 7, SourceID: 1, Start: start, End: start.Add(80 * time.Millisecond), URL: "https://a.example/p", FinalURL: "https://a.example/p",
		Status: 200, Outcome: OutcomeUnchanged, Attempts: 1, BodySHA256: sampleVersion.BodySHA256, BodySize: 282000, DocSHA256: sampleVersion.DocSHA256,
		TextSHA256: sampleVersion.TextSHA256, Words: 4100, Version: 3, Proto: "HTTP/1.1", Header: resp, RequestHeader: req, RemoteAddr: "127.0.0.1:443",
		UserAgent: "clausewatch/test", AcceptLanguage: "en", Extractor: "extract/3"}
	tlsFetch := unchanged
	tlsFetch.TLS = &TLS{Version: "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", ServerName: "a.example", PeerSHA256: Hash([]byte("cert")),
		Subject: "CN=a.example", Issuer: "CN=CA", NotAfter: time.Date(2027, 1, 1, 0, 0, 0, 0, time.FixedZone("X", 3600))}
	tlsFetch.FinalURL, tlsFetch.UserAgent = "https://a.example/p/", "other agent"
	churned := unchanged
	churned.BodySHA256, churned.DocSHA256 = Hash([]byte("churned")), "NOT-HEX"
	churned.Header = map[string][]string{"Content-Type": {"text/html"}, "Date": {"Sun, 01 Mar 2026 06:00:01 GMT"}, "X-Request-Id": {"abc"},
		"Expires": {"Thu, 01 Jan 1970 00:00:00 GMT"}, "Empty": {}, "Null": nil, "Weekday": {"Mon, 01 Mar 2026 06:00:01 GMT"}}
	failed := Fetch{V: 1, ID: 9, SourceID: 1, Start: start, End: start, URL: "https://a.example/p", Outcome: OutcomeFailed, Error: "connection refused",
		Reason: "dial tcp: refused", Extractor: "extract/3"}
	odd := Fetch{ID: 10, SourceID: 1, Start: start.In(time.FixedZone("Y", -7200)), End: time.Time{}, Outcome: "from-the-future", Status: -1, Version: 99,
		RequestHeader: map[string][]string{}, TextSHA256: sampleVersion.TextSHA256}
	zero := Fetch{V: 1, ID: 11, SourceID: 1}
	rendered := unchanged
	rendered.RenderSHA256 = Hash([]byte("render capture"))
	return map[string]Fetch{"unchanged": unchanged, "tls": tlsFetch, "churned": churned, "failed": failed, "odd": odd, "zero start": zero, "rendered": rendered}
}

// TestFetchRecordRoundTrip encodes each sample against a header set of
// the unchanged one and decodes it: the same fetch, the same log leaf.
func TestFetchRecordRoundTrip(t *testing.T) {
	samples := sampleFetches()
	base := samples["unchanged"].Header
	for name, f := range samples {
		t.Run(name, func(t *testing.T) {
			refs := fetchRefs{context: 1, header: 2, base: base, gen: 2, version: &sampleVersion}
			m := memRefs{contexts: map[uint64]fetchContext{1: contextOf(f)}, headerz: map[uint64]map[string][]string{2: base},
				versions: map[[2]uint64]Version{{2, 3}: sampleVersion}}
			if contextOf(f).empty() {
				refs.context = 0
			}
			if f.Version != sampleVersion.Seq {
				refs.version = nil
			}
			data := encodeFetch(f, refs)
			got, err := decodeFetch(data, f.SourceID, fetchKey(f.Start, f.ID), m)
			if err != nil {
				t.Fatal(err)
			}
			if !sameFetch(got, f) {
				t.Errorf("decoded\n%s\nwant\n%s", LogLeaf(got), LogLeaf(f))
			}
			if a, b := jsonOf(t, got), jsonOf(t, f); a != b {
				t.Errorf("decoded %s\nwant    %s", a, b)
			}
			if name == "unchanged" && len(data) > 24 {
				t.Errorf("an unchanged fetch takes %d bytes: % x", len(data), data)
			}
		})
	}
}

// jsonOf is a fetch's JSON with its times in UTC (what the format keeps).
func jsonOf(t *testing.T, f Fetch) string {
	t.Helper()
	f.Start, f.End = f.Start.UTC(), f.End.UTC()
	if f.TLS != nil {
		c := *f.TLS
		c.NotAfter = c.NotAfter.UTC()
		f.TLS = &c
	}
	data, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestCompactRecordsInStore: every fetch Record writes is compact, reads
// back as written, and an unchanged fetch's record is a few dozen bytes.
func TestCompactRecordsInStore(t *testing.T) {
	fx := newLogFixture(t)
	ctx := t.Context()
	got, err := fx.db.Fetches(ctx, fx.src.ID, time.Time{}, time.Time{}, 0)
	if err != nil || len(got) != len(fx.fetches) {
		t.Fatalf("%d fetches, %v", len(got), err)
	}
	for i, f := range fx.fetches {
		if jsonOf(t, got[i]) != jsonOf(t, f) {
			t.Errorf("fetch %d reads back as\n%s\nwant\n%s", f.ID, jsonOf(t, got[i]), jsonOf(t, f))
		}
	}
	fx.db.bolt.View(func(tx *bbolt.Tx) error {
		return eachRecord(tx, fx.src.ID, func(k, v []byte) error {
			if v[0] != fetchFormat {
				t.Errorf("fetch %d stored as %q", fromU64(k[8:]), v)
			}
			if id := fromU64(k[8:]); id == 2 && len(v) > 24 {
				t.Errorf("unchanged fetch %d takes %d bytes: % x", id, len(v), v)
			}
			return nil
		})
	})
}

// TestMigrateCompact turns the fixture's database back into schema 5 —
// JSON fetch records, one key per tree hash, the leaf maps — and opens it:
// the records are compact again, each fetch is at its old log record with
// its old leaf, and the log check is clean.
func TestMigrateCompact(t *testing.T) {
	fx := newLogFixture(t)
	ctx := t.Context()
	leaves := map[uint64]tlog.Hash{}
	for _, f := range fx.fetches {
		leaves[f.ID] = tlog.RecordHash(LogLeaf(f))
	}
	if err := fx.db.bolt.Update(downgradeToSchema5); err != nil {
		t.Fatal(err)
	}
	path := fx.db.Path()
	fx.db.Close()
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rep, err := db.CheckLog(ctx)
	if err != nil || !rep.OK() || rep.Size != int64(len(fx.fetches)) {
		t.Fatalf("log check after the migration: %+v, %v", rep, err)
	}
	if err := db.Check(ctx); err != nil {
		t.Errorf("check: %v", err)
	}
	fs, _ := db.Fetches(ctx, fx.src.ID, time.Time{}, time.Time{}, 0)
	for i, f := range fs {
		n, err := db.LogIndex(ctx, f.ID)
		if err != nil || n != int64(i) || tlog.RecordHash(LogLeaf(f)) != leaves[f.ID] {
			t.Errorf("fetch %d: log record %d, %v; leaf changed: %v", f.ID, n, err, tlog.RecordHash(LogLeaf(f)) != leaves[f.ID])
		}
	}
	db.bolt.View(func(tx *bbolt.Tx) error {
		for _, b := range [][]byte{bucketLog, bucketLogLeaves, bucketLogIndex} {
			if tx.Bucket(b) != nil {
				t.Errorf("bucket %s still there", b)
			}
		}
		return eachRecord(tx, fx.src.ID, func(k, v []byte) error {
			if v[0] != fetchFormat {
				t.Errorf("fetch %d not rewritten: %q", fromU64(k[8:]), v)
			}
			return nil
		})
	})
}

// TestMigrateKeepsWhatItCannotCompact: a JSON record whose compact form
// would not hash to the same leaf (one edited to disagree with its key)
// is kept as it is, and the log check still names it.
func TestMigrateKeepsWhatItCannotCompact(t *testing.T) {
	fx := newLogFixture(t)
	if err := fx.db.bolt.Update(downgradeToSchema5); err != nil {
		t.Fatal(err)
	}
	// Fetch 2's JSON record says it is fetch 2 of source 7: the key
	// says source 1, so the compact form would change its leaf.
	err := fx.db.bolt.Update(func(tx *bbolt.Tx) error {
		f := fx.fetches[1]
		b := tx.Bucket(bucketFetches).Bucket(u64(f.SourceID))
		f.SourceID = 7
		return putJSON(b, fetchKey(f.Start, f.ID), f)
	})
	if err != nil {
		t.Fatal(err)
	}
	path := fx.db.Path()
	fx.db.Close()
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rep, err := db.CheckLog(t.Context())
	var all []string
	for _, p := range rep.Problems {
		all = append(all, p.String())
	}
	if err != nil || !strings.Contains(strings.Join(all, "\n"), "the record stored there is fetch 2 of source 7") {
		t.Errorf("log check: %+v, %v", rep, err)
	}
	db.bolt.View(func(tx *bbolt.Tx) error {
		f := fx.fetches[1]
		if v := storedRecord(tx, f.ID); !bytes.HasPrefix(v, []byte("{")) {
			t.Errorf("the edited record was rewritten: %q", v)
		}
		return nil
	})
}

// downgradeToSchema5 rewrites a database as the schema-5 build stored
// it: JSON fetch records, the tree's hashes one per key, the leaf maps,
// no sets and no tiles.
func downgradeToSchema5(tx *bbolt.Tx) error {
	if err := downgradeToSchema9(tx); err != nil {
		return err
	}
	fetches := tx.Bucket(bucketFetches)
	type rec struct {
		b *bbolt.Bucket
		k []byte
		f Fetch
	}
	var recs []rec
	err := fetches.ForEachBucket(func(sk []byte) error {
		r := newFetchReader(tx, fromU64(sk))
		b := fetches.Bucket(sk)
		return b.ForEach(func(k, v []byte) error {
			f, err := r.read(k, v)
			recs = append(recs, rec{b, bytes.Clone(k), f})
			return err
		})
	})
	if err != nil {
		return err
	}
	n := logSize(tx)
	hashes, err := tileReaderFor(tx)(n)
	if err != nil {
		return err
	}
	log, _ := tx.CreateBucket(bucketLog)
	leaves, _ := tx.CreateBucket(bucketLogLeaves)
	index, _ := tx.CreateBucket(bucketLogIndex)
	for i, h := range hashes {
		log.Put(u64(uint64(i)), h[:])
	}
	for _, r := range recs {
		if err := putJSON(r.b, r.k, r.f); err != nil {
			return err
		}
		leaves.Put(u64(r.f.ID-1), append(u64(r.f.SourceID), r.k...))
		index.Put(u64(r.f.ID), u64(r.f.ID-1))
	}
	for _, b := range [][]byte{bucketFetchSets, bucketLogTiles} {
		if err := tx.DeleteBucket(b); err != nil {
			return err
		}
	}
	return tx.Bucket(bucketMeta).Put(keySchema, u64(5))
}

// tileReaderFor reads every stored hash of the tree, for ReadHashes.
func tileReaderFor(tx *bbolt.Tx) func(int64) ([]tlog.Hash, error) {
	return func(n int64) ([]tlog.Hash, error) {
		idx := make([]int64, tlog.StoredHashCount(n))
		for i := range idx {
			idx[i] = int64(i)
		}
		return tileReader{tiles(tx)}.ReadHashes(idx)
	}
}
