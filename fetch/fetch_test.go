package fetch_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/fetch"
)

func TestGet(t *testing.T) {
	var mu sync.Mutex
	var gotUA, gotLang string
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		gotUA, gotLang = r.Header.Get("User-Agent"), r.Header.Get("Accept-Language")
		mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte("<p>policy</p>"))
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat("x", 2048)))
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/ok", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(5 * time.Second):
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("/gone", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "gone", http.StatusGone)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := fetch.NewClient(fetch.Options{MaxBytes: 1024, MaxRedirects: 3, Timeout: 500 * time.Millisecond, AllowPrivate: true, Attempts: 1})

	tests := []struct {
		path      string
		wantErr   error
		wantFinal string
		wantBody  string
	}{
		{path: "/ok", wantFinal: "/ok", wantBody: "<p>policy</p>"},
		{path: "/moved", wantFinal: "/ok", wantBody: "<p>policy</p>"},
		{path: "/big", wantErr: fetch.ErrTooLarge},
		{path: "/loop", wantErr: fetch.ErrTooManyRedirects},
		{path: "/gone", wantErr: fetch.ErrStatus},
		{path: "/slow", wantErr: fetch.ErrTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res, err := c.Get(context.Background(), srv.URL+tt.path)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("got %v, want %v", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), srv.URL+tt.path) {
					t.Errorf("error %q does not name the URL", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.FinalURL != srv.URL+tt.wantFinal || string(res.Body) != tt.wantBody || res.Status != 200 {
				t.Errorf("got final %s status %d body %q", res.FinalURL, res.Status, res.Body)
			}
			mu.Lock()
			if !strings.HasPrefix(gotUA, "clausewatch/") || gotUA != res.UserAgent || gotLang != "en" || res.AcceptLanguage != "en" {
				t.Errorf("request headers: UA %q (recorded %q), Accept-Language %q", gotUA, res.UserAgent, gotLang)
			}
			mu.Unlock()
			if res.ContentType() != "text/html; charset=utf-8" || res.End.Before(res.Start) {
				t.Errorf("content type %q, start %v end %v", res.ContentType(), res.Start, res.End)
			}
		})
	}
}

// TestEvidenceHeaders: a capture keeps the request as sent (Host
// included), the protocol, and every response header but Set-Cookie; past
// the size cap only the headers that matter for the record are kept.
func TestEvidenceHeaders(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Server", "test-server/1")
		w.Header().Add("Vary", "Accept-Language")
		w.Header().Set("Set-Cookie", "session=secret")
		w.Write([]byte("<p>policy</p>"))
	})
	mux.HandleFunc("/huge", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		for i := range 40 {
			w.Header().Add("X-Padding", strings.Repeat(string(rune('a'+i%26)), 600))
		}
		w.Write([]byte("<p>policy</p>"))
	})
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/ok", http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := fetch.NewClient(fetch.Options{AllowPrivate: true, Attempts: 1})
	host := strings.TrimPrefix(srv.URL, "http://")

	tests := []struct {
		path        string
		wantHeaders []string
		noHeaders   []string
	}{
		{"/ok", []string{"Content-Type", "Server", "Vary", "Date", "Content-Length"}, []string{"Set-Cookie"}},
		{"/moved", []string{"Content-Type", "Server", "Vary"}, []string{"Set-Cookie"}},
		{"/huge", []string{"Content-Type", "Date"}, []string{"X-Padding"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res, err := c.Fetch(t.Context(), fetch.Request{URL: srv.URL + tt.path, ETag: `"v1"`})
			if err != nil {
				t.Fatal(err)
			}
			if res.Proto != "HTTP/1.1" {
				t.Errorf("proto %q", res.Proto)
			}
			for _, h := range tt.wantHeaders {
				if res.Header.Get(h) == "" {
					t.Errorf("response header %s not kept: %v", h, res.Header)
				}
			}
			for _, h := range tt.noHeaders {
				if _, ok := res.Header[h]; ok {
					t.Errorf("response header %s kept", h)
				}
			}
			rh := res.RequestHeader
			if rh.Get("Host") != host || rh.Get("User-Agent") != res.UserAgent || rh.Get("If-None-Match") != `"v1"` || rh.Get("Accept-Encoding") == "" {
				t.Errorf("request headers %v", rh)
			}
		})
	}
}
