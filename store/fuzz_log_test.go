package store_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/store"
)

// FuzzParseCheckpoint: a checkpoint that parses formats back to the same
// text.
func FuzzParseCheckpoint(f *testing.F) {
	f.Add([]byte("clausewatch/0123\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\ntime 2022-05-17T12:00:00Z\n"))
	f.Add([]byte("x\n-1\n\n\n"))
	f.Fuzz(func(t *testing.T, text []byte) {
		c, err := store.ParseCheckpoint(text)
		if err != nil {
			return
		}
		if got := c.Text(); !bytes.Equal(got, text) {
			t.Fatalf("parsed %q, formats as %q", text, got)
		}
	})
}

// FuzzParseLeaf: a leaf that parses is the canonical encoding of its
// entry, so one capture has one leaf hash.
func FuzzParseLeaf(f *testing.F) {
	f.Add(store.LogLeaf(store.Fetch{ID: 1, SourceID: 2, Start: time.Date(2022, 5, 17, 12, 0, 0, 0, time.UTC), URL: "https://a.example/", Status: 200,
		Outcome: store.OutcomeNew, Header: map[string][]string{"Content-Type": {"text/html"}}, BodySHA256: store.Hash([]byte("x"))}))
	f.Add([]byte(`{"v":1}`))
	f.Fuzz(func(t *testing.T, leaf []byte) {
		e, err := store.ParseLeaf(leaf)
		if err != nil {
			return
		}
		f := store.Fetch{ID: e.Fetch, SourceID: e.Source, Start: e.Start, End: e.End, URL: e.URL, FinalURL: e.FinalURL, Status: e.Status,
			Proto: e.Proto, Outcome: e.Outcome, RequestHeader: e.RequestHeader, Header: e.Header, RemoteAddr: e.RemoteAddr, TLS: e.TLS,
			BodySHA256: e.BodySHA256, BodySize: e.BodySize, TextSHA256: e.TextSHA256, Extractor: e.Extractor}
		if !bytes.Equal(store.LogLeaf(f), leaf) {
			t.Fatalf("leaf %q parsed but is not canonical", leaf)
		}
	})
}
