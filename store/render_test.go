package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"go.etcd.io/bbolt"
)

// TestRenderedFetch: a rendered fetch's capture key is stored in the
// compact record (not the JSON fallback), reads back, and is in its log
// leaf, format 2; the log still checks, and a leaf without a capture is
// format 1 byte for byte as before.
func TestRenderedFetch(t *testing.T) {
	fx := newLogFixture(t)
	ctx := t.Context()
	capture, _ := json.Marshal(RenderCapture{V: 1, Browser: "Chrome/1", Wait: "load", DOMSHA256: Hash([]byte("<p>dom</p>"))})
	keys, err := fx.db.PutBlobs(ctx, capture, []byte("<p>document</p>"))
	if err != nil {
		t.Fatal(err)
	}
	st, _ := fx.db.State(ctx, fx.src.ID)
	st.NeedsRender = true
	last := fx.fetches[len(fx.fetches)-1]
	f := Fetch{SourceID: fx.src.ID, URL: fx.src.URL, Start: last.Start.Add(3600e9), End: last.Start.Add(3601e9), Status: 200,
		Outcome: OutcomeUnchanged, RenderSHA256: keys[0], TextSHA256: Hash([]byte("text:<p>v2</p>"))}
	got, _, err := fx.db.Record(ctx, Record{Fetch: f, State: st, Body: []byte("<p>dom</p>"), Seen: true})
	if err != nil {
		t.Fatal(err)
	}
	back, err := fx.db.Fetches(ctx, fx.src.ID, f.Start, f.End, 0)
	if err != nil || len(back) != 1 || back[0].RenderSHA256 != keys[0] {
		t.Fatalf("read back %+v, %v; want the render capture %s", back, err, keys[0])
	}
	if st2, _ := fx.db.State(ctx, fx.src.ID); !st2.NeedsRender {
		t.Errorf("state lost NeedsRender")
	}
	fx.db.bolt.View(func(tx *bbolt.Tx) error {
		v := storedRecord(tx, got.ID)
		if len(v) == 0 || v[0] != fetchFormat {
			t.Errorf("rendered fetch stored as %q, want a compact record", v)
		}
		return nil
	})
	leaf := LogLeaf(got)
	e, err := ParseLeaf(leaf)
	if err != nil || e.V != 2 || e.RenderSHA256 != keys[0] {
		t.Errorf("leaf %s parses as %+v, %v; want format 2 with the capture", leaf, e, err)
	}
	if plain := LogLeaf(fx.fetches[0]); !bytes.HasPrefix(plain, []byte(`{"v":1,`)) || bytes.Contains(plain, []byte("render")) {
		t.Errorf("a fetch without a render: leaf %s, want format 1 as before", plain)
	}
	if rep, err := fx.db.CheckLog(ctx); err != nil {
		t.Errorf("log check: %+v, %v", rep, err)
	}
	if data, err := fx.db.Blob(ctx, keys[1]); err != nil || string(data) != "<p>document</p>" {
		t.Errorf("document blob %q, %v", data, err)
	}
}

// TestParseLeafRenderFormat: format 2 needs a capture, format 1 refuses
// one.
func TestParseLeafRenderFormat(t *testing.T) {
	for _, tc := range []struct{ name, leaf, want string }{
		{"v2 without capture", `{"v":2,"fetch":1,"source":1,"start":"2026-01-01T00:00:00Z","end":"2026-01-01T00:00:00Z","url":"u","outcome":"new"}` + "\n", "format 2 with render capture"},
		{"v1 with capture", `{"v":1,"fetch":1,"source":1,"start":"2026-01-01T00:00:00Z","end":"2026-01-01T00:00:00Z","url":"u","outcome":"new","render_sha256":"ab"}` + "\n", "format 1 with render capture"},
		{"v3", `{"v":3,"fetch":1,"source":1,"start":"2026-01-01T00:00:00Z","end":"2026-01-01T00:00:00Z","url":"u","outcome":"new"}` + "\n", "want 1 or 2"},
	} {
		_, err := ParseLeaf([]byte(tc.leaf))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: ParseLeaf = %v, want an error with %q", tc.name, err, tc.want)
		}
	}
}

// TestRenderModeValid: a source's render mode is one of three.
func TestRenderModeValid(t *testing.T) {
	fx := newLogFixture(t)
	ctx := t.Context()
	for _, m := range []RenderMode{"", RenderAuto, RenderNever, RenderAlways} {
		s, err := fx.db.AddSource(ctx, Source{Name: "s-" + string(m) + "x", URL: "https://x.example/" + string(m), Supplier: "X", Render: m})
		if err != nil || s.Render != m {
			t.Errorf("render %q: %+v, %v", m, s.Render, err)
		}
	}
	if _, err := fx.db.AddSource(ctx, Source{Name: "bad", URL: "https://x.example/bad", Supplier: "X", Render: "sometimes"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("render sometimes: %v, want ErrInvalid", err)
	}
	for in, want := range map[string]RenderMode{"": RenderAuto, "always": RenderAlways} {
		if got, err := ParseRenderMode(in); err != nil || got != want {
			t.Errorf("ParseRenderMode(%q) = %q, %v", in, got, err)
		}
	}
}
