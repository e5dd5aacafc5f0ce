package storetest

import (
	"bytes"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/store"
)

var t0 = time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)

var historyCases = []Case{
	{"History/VersionsAndChanges", func(t *testing.T, db store.Store, clock *Clock) {
		ctx := t.Context()
		src := addSource(t, db, "alpha", "").ID
		f1, ch := record(t, db, src, fetch{at: t0, body: "<p>one</p>", text: "one", start: true})
		if f1.ID == 0 || f1.Version != 1 || ch != nil || f1.BodySHA256 != store.Hash([]byte("<p>one</p>")) || f1.BodySize != 10 {
			t.Fatalf("first fetch %+v, change %v", f1, ch)
		}
		f2, _ := record(t, db, src, fetch{at: t0.Add(time.Hour), body: "<p>one</p>", text: "one", seen: true})
		record(t, db, src, fetch{at: t0.Add(2 * time.Hour)}) // a failure between
		clock.Advance(time.Minute)
		f4, ch := record(t, db, src, fetch{at: t0.Add(3 * time.Hour), body: "<p>two</p>", text: "two", start: true, change: true})
		if ch == nil || ch.From != 1 || ch.To != 2 || !ch.After.Equal(f2.Start) || !ch.Detected.Equal(f4.Start) ||
			!ch.Recorded.Equal(clock.Now()) || ch.Triage.State != store.TriageNew || ch.SourceID != src || ch.DiffSHA256 != store.Hash([]byte(`{"diff":"two"}`)) {
			t.Errorf("change %+v", ch)
		}
		vs, err := db.Versions(ctx, src)
		must(t, "versions", err)
		if len(vs) != 2 || vs[0].Seq != 1 || vs[0].FirstFetch != f1.ID || vs[0].LastFetch != f2.ID || !vs[0].LastSeen.Equal(f2.Start) ||
			vs[1].Seq != 2 || vs[1].FirstFetch != f4.ID || vs[1].BodySHA256 != f4.BodySHA256 || vs[1].DocSHA256 != f4.DocSHA256 {
			t.Errorf("versions %+v", vs)
		}
		st, _ := db.State(ctx, src)
		if st.Rev != 4 || st.Current != 2 {
			t.Errorf("state after four records: %+v", st)
		}
		for _, h := range []struct{ key, want string }{{f4.BodySHA256, "<p>two</p>"}, {f4.DocSHA256, `{"text":"two"}`}, {ch.DiffSHA256, `{"diff":"two"}`}, {f1.BodySHA256, "<p>one</p>"}} {
			got, err := db.Blob(ctx, h.key)
			if err != nil || string(got) != h.want {
				t.Errorf("blob %s = %q, %v", h.key, got, err)
			}
		}
		_, err = db.Blob(ctx, store.Hash([]byte("never stored")))
		wantErr(t, "missing blob", err, store.ErrNotFound)
		_, err = db.Blob(ctx, "not-hex")
		wantErr(t, "malformed key", err, store.ErrInvalid)
		v, err := db.VersionAt(ctx, src, t0.Add(150*time.Minute))
		if err != nil || v.Seq != 1 {
			t.Errorf("VersionAt between = %+v, %v", v, err)
		}
		_, err = db.VersionAt(ctx, src, t0.Add(-time.Hour))
		wantErr(t, "VersionAt before the first", err, store.ErrNotFound)
	}},
	{"History/Conflict", func(t *testing.T, db store.Store, _ *Clock) {
		ctx := t.Context()
		src := addSource(t, db, "alpha", "").ID
		st, _ := db.State(ctx, src)
		record(t, db, src, fetch{at: t0, body: "a", text: "a", start: true})
		// A record decided on the state before that one is refused whole.
		_, _, err := db.Record(ctx, store.Record{State: st, Fetch: store.Fetch{SourceID: src, Start: t0.Add(time.Hour), URL: "https://x.example/", Outcome: store.OutcomeFailed}, Body: []byte("lost")})
		wantErr(t, "stale state", err, store.ErrConflict)
		if fs, _ := db.Fetches(ctx, src, time.Time{}, time.Time{}, 0); len(fs) != 1 {
			t.Errorf("a refused record left %d fetches", len(fs))
		}
		if _, err := db.Blob(ctx, store.Hash([]byte("lost"))); err == nil {
			t.Errorf("a refused record left its body")
		}
		// Seen and a change need a current version.
		b := addSource(t, db, "beta", "").ID
		st, _ = db.State(ctx, b)
		_, _, err = db.Record(ctx, store.Record{State: st, Seen: true, Fetch: store.Fetch{SourceID: b, Start: t0, URL: "https://x.example/", Outcome: store.OutcomeUnchanged}})
		wantErr(t, "seen without a version", err, store.ErrInvalid)
	}},
	{"History/FetchesWindowAndLimit", func(t *testing.T, db store.Store, _ *Clock) {
		ctx := t.Context()
		src := addSource(t, db, "alpha", "").ID
		other := addSource(t, db, "beta", "").ID
		var ids []uint64
		for i := range 6 {
			f, _ := record(t, db, src, fetch{at: t0.Add(time.Duration(i) * time.Hour)})
			record(t, db, other, fetch{at: t0.Add(time.Duration(i) * time.Hour)})
			ids = append(ids, f.ID)
		}
		all, err := db.Fetches(ctx, src, time.Time{}, time.Time{}, 0)
		if err != nil || len(all) != 6 || all[0].ID != ids[0] || all[5].ID != ids[5] {
			t.Fatalf("all fetches: %d, %v", len(all), err)
		}
		if all[2].Outcome != store.OutcomeFailed || !all[2].Start.Equal(t0.Add(2*time.Hour)) || all[2].SourceID != src || all[2].URL == "" {
			t.Errorf("fetch read back as %+v", all[2])
		}
		win, _ := db.Fetches(ctx, src, t0.Add(time.Hour), t0.Add(4*time.Hour), 0)
		if len(win) != 3 || win[0].ID != ids[1] || win[2].ID != ids[3] {
			t.Errorf("window [1h,4h): %v", fetchIDs(win))
		}
		last, _ := db.Fetches(ctx, src, time.Time{}, time.Time{}, 2)
		if len(last) != 2 || last[0].ID != ids[4] || last[1].ID != ids[5] {
			t.Errorf("limit 2 keeps the newest two, oldest first: %v", fetchIDs(last))
		}
		f, err := db.FetchAt(ctx, src, all[3].Start, all[3].ID)
		if err != nil || f.ID != ids[3] {
			t.Errorf("FetchAt = %+v, %v", f, err)
		}
		_, err = db.FetchAt(ctx, src, all[3].Start.Add(time.Second), all[3].ID)
		wantErr(t, "FetchAt at the wrong time", err, store.ErrNotFound)
		if none, err := db.Fetches(ctx, 99, time.Time{}, time.Time{}, 0); err != nil || len(none) != 0 {
			t.Errorf("fetches of an unknown source: %v, %v", none, err)
		}
	}},
	{"History/FetchRoundTrip", func(t *testing.T, db store.Store, _ *Clock) {
		ctx := t.Context()
		src := addSource(t, db, "alpha", "").ID
		st, _ := db.State(ctx, src)
		in := store.Fetch{SourceID: src, Start: t0, End: t0.Add(time.Second), URL: "https://alpha.example/privacy", FinalURL: "https://alpha.example/p",
			Status: 200, Outcome: store.OutcomeNew, Attempts: 2, TextSHA256: store.Hash([]byte("t")), Words: 7, Proto: "HTTP/2.0",
			Header: map[string][]string{"Etag": {`"x"`}}, RequestHeader: map[string][]string{"User-Agent": {"cw"}}, RemoteAddr: "192.0.2.1:443",
			TLS:       &store.TLS{Version: "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", ServerName: "alpha.example", NotAfter: t0.Add(90 * 24 * time.Hour)},
			UserAgent: "cw", AcceptLanguage: "en", Extractor: "x/1", Reason: "first"}
		st.ETag, st.Pending = `"x"`, &store.Pending{TextSHA256: "p", Count: 1}
		f, _, err := db.Record(ctx, store.Record{State: st, Fetch: in, Body: []byte("body"), Doc: []byte("{}"), Start: &store.Version{TextSHA256: in.TextSHA256, Title: "T", Clauses: 3}})
		must(t, "record", err)
		got, err := db.FetchAt(ctx, src, f.Start, f.ID)
		must(t, "read back", err)
		if !bytes.Equal(store.LogLeaf(got), store.LogLeaf(f)) || got.Attempts != 2 || got.Words != 7 || got.Reason != "first" || got.UserAgent != "cw" || got.Version != 1 {
			t.Errorf("fetch changed on the way:\n in %+v\nout %+v", f, got)
		}
		st2, _ := db.State(ctx, src)
		if st2.ETag != `"x"` || st2.Pending == nil || st2.Pending.FetchID != f.ID || !st2.Pending.Seen.Equal(t0) {
			t.Errorf("state %+v (Pending.FetchID 0 means this fetch)", st2)
		}
	}},
	{"History/BlobsDeduplicated", func(t *testing.T, db store.Store, _ *Clock) {
		ctx := t.Context()
		src := addSource(t, db, "alpha", "").ID
		big := bytes.Repeat([]byte("<p>a long policy that compresses well</p>\n"), 500)
		record(t, db, src, fetch{at: t0, body: string(big), text: "one", start: true})
		n1, stored1, err := db.BlobStats(ctx)
		must(t, "stats", err)
		record(t, db, src, fetch{at: t0.Add(time.Hour), body: string(big), text: "one", seen: true})
		n2, _, _ := db.BlobStats(ctx)
		if n1 != 2 || n2 != 2 || stored1 >= int64(len(big)) {
			t.Errorf("blobs %d then %d (same body and document again: none new), %d bytes stored for a %d-byte body", n1, n2, stored1, len(big))
		}
		// A body that differs a little from the current version's is
		// stored in few bytes (compressed against it).
		near := append(bytes.Clone(big), []byte("<p>one more line</p>")...)
		record(t, db, src, fetch{at: t0.Add(2 * time.Hour), body: string(near), text: "one", seen: true})
		n3, stored3, _ := db.BlobStats(ctx)
		if n3 != 3 || stored3-stored1 > 200 {
			t.Errorf("a near-copy body took %d bytes (blobs %d)", stored3-stored1, n3)
		}
		got, err := db.Blob(ctx, store.Hash(near))
		if err != nil || !bytes.Equal(got, near) {
			t.Errorf("near-copy body read back wrong: %v", err)
		}
		keys, err := db.PutBlobs(ctx, []byte("x"), []byte("y"), []byte("x"))
		if err != nil || len(keys) != 3 || keys[0] != store.Hash([]byte("x")) || keys[2] != keys[0] {
			t.Errorf("PutBlobs = %v, %v", keys, err)
		}
		n4, _, _ := db.BlobStats(ctx)
		if n4 != 5 {
			t.Errorf("after PutBlobs of two new blobs: %d", n4)
		}
		if got, _ := db.Blob(ctx, keys[1]); string(got) != "y" {
			t.Errorf("PutBlobs blob read back %q", got)
		}
	}},
	{"History/ReplaceGeneration", func(t *testing.T, db store.Store, _ *Clock) {
		ctx := t.Context()
		src := addSource(t, db, "alpha", "").ID
		record(t, db, src, fetch{at: t0, body: "a", text: "a", start: true})
		record(t, db, src, fetch{at: t0.Add(time.Hour), body: "b", text: "b", start: true, change: true})
		st, _ := db.State(ctx, src)
		g := store.Generation{
			Versions: []store.Version{{Seq: 1, TextSHA256: "x1", FirstSeen: t0, LastSeen: t0}, {Seq: 2, TextSHA256: "x2", FirstSeen: t0.Add(time.Hour), LastSeen: t0.Add(time.Hour)}},
			Changes:  []store.Change{{From: 1, To: 2, Summary: "rebuilt", DiffSHA256: store.Hash([]byte("rediff"))}},
			Blobs:    [][]byte{[]byte("rediff")},
		}
		_, err := db.ReplaceGeneration(ctx, src, st.Rev-1, g)
		wantErr(t, "stale rev", err, store.ErrConflict)
		gen, err := db.ReplaceGeneration(ctx, src, st.Rev, g)
		if err != nil || gen != 2 {
			t.Fatalf("generation %d, %v", gen, err)
		}
		vs, _ := db.Versions(ctx, src)
		if len(vs) != 2 || vs[0].TextSHA256 != "x1" || !vs[1].Reextracted || vs[1].Generation != 2 {
			t.Errorf("new generation's versions %+v", vs)
		}
		old, _ := db.GenerationVersions(ctx, src, 1)
		if len(old) != 2 || old[1].TextSHA256 != store.Hash([]byte("b")) {
			t.Errorf("the old generation is kept: %+v", old)
		}
		st2, _ := db.State(ctx, src)
		if st2.Generation != 2 || st2.Current != 2 || st2.Rev != st.Rev+1 {
			t.Errorf("state %+v", st2)
		}
		all, _ := db.Changes(ctx, store.ChangeFilter{SourceID: src, Reextracted: true})
		plain, _ := db.Changes(ctx, store.ChangeFilter{SourceID: src})
		if len(all) != 2 || len(plain) != 1 || !all[1].Reextracted || all[1].Generation != 2 {
			t.Errorf("changes with rebuilt %d, without %d", len(all), len(plain))
		}
		if b, err := db.Blob(ctx, store.Hash([]byte("rediff"))); err != nil || string(b) != "rediff" {
			t.Errorf("generation blob: %q, %v", b, err)
		}
		bad := store.Generation{Versions: []store.Version{{Seq: 2}}}
		_, err = db.ReplaceGeneration(ctx, src, st2.Rev, bad)
		wantErr(t, "versions not numbered from 1", err, store.ErrInvalid)
	}},
}

func fetchIDs(fs []store.Fetch) []uint64 {
	out := make([]uint64, len(fs))
	for i, f := range fs {
		out[i] = f.ID
	}
	return out
}
