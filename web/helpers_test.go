package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/fixtures"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/watch"
	"github.com/clausewatch/clausewatch/web"
)

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t.Add(6 * time.Hour)
}

// history is a database that watched the fixture pages for real: IMS
// checked in 2003, 2019 and 2022 (two changes: the 2019 rewrite and the
// 2022 rename with its sharing and scope changes), COR in March and
// October 2016 (one change).
type history struct {
	DB      *store.DB
	Path    string
	Clock   *fixtures.Clock
	Checker *watch.Checker
	Fixture *httptest.Server
	IMS     store.Source
	COR     store.Source
}

func newHistory(t *testing.T) *history {
	t.Helper()
	clk := fixtures.NewClock(day("2003-01-01"))
	fx := httptest.NewServer(fixtures.Handler(clk.Now))
	t.Cleanup(fx.Close)
	path := filepath.Join(t.TempDir(), "web.db")
	db, err := store.Open(path, store.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	h := &history{DB: db, Path: path, Clock: clk, Fixture: fx,
		Checker: &watch.Checker{Store: db, Client: fetch.NewClient(fetch.Options{Backoff: time.Millisecond, Now: clk.Tick}),
			Policy: watch.Policy{ConfirmDelay: time.Nanosecond}, Now: clk.Tick}}
	// The test may reopen the database: close whichever is open at the end.
	t.Cleanup(func() {
		if err := h.DB.Check(context.Background()); err != nil {
			t.Errorf("store consistency: %v", err)
		}
		h.DB.Close()
	})
	ctx := t.Context()
	h.IMS = h.add(t, store.Source{Name: "ims-privacy", URL: fx.URL + "/ims/privacy", Supplier: "1EdTech Consortium"})
	for _, d := range []string{"2003-01-01", "2019-06-01", "2022-06-01"} {
		clk.Set(day(d))
		if res := h.Checker.Check(ctx, h.IMS); res.Err != nil {
			t.Fatalf("check ims %s: %v", d, res.Err)
		}
	}
	clk.Set(day("2016-04-01"))
	h.COR = h.add(t, store.Source{Name: "cor-privacy", URL: fx.URL + "/cor/privacy", Supplier: "COR"})
	for _, d := range []string{"2016-04-01", "2016-10-01"} {
		clk.Set(day(d))
		if res := h.Checker.Check(ctx, h.COR); res.Err != nil {
			t.Fatalf("check cor %s: %v", d, res.Err)
		}
	}
	clk.Set(day("2022-06-02"))
	return h
}

func (h *history) add(t *testing.T, s store.Source) store.Source {
	t.Helper()
	s.Kind, s.Origin, s.AllowPrivate = store.Privacy, "cli", true
	s, err := h.DB.AddSource(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// changeOf returns the change of src that went to version to.
func (h *history) changeOf(t *testing.T, src store.Source, to uint64) store.Change {
	t.Helper()
	cs, err := h.DB.Changes(t.Context(), store.ChangeFilter{SourceID: src.ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.To == to {
			return c
		}
	}
	t.Fatalf("%s has no change to version %d (changes: %+v)", src.Name, to, cs)
	return store.Change{}
}

// serve starts the web server on 127.0.0.1.
func serve(t *testing.T, opts web.Options) *httptest.Server {
	t.Helper()
	s, err := web.New(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv
}

// token makes an admin API token.
func token(t *testing.T, db *store.DB, name string) string {
	t.Helper()
	return roleToken(t, db, name, store.RoleAdmin)
}

// roleToken makes an API token with role.
func roleToken(t *testing.T, db *store.DB, name string, role store.Role) string {
	t.Helper()
	secret, _, err := db.CreateToken(t.Context(), name, role)
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// do sends a request and returns the answer with its body read.
func do(t *testing.T, method, url, tok, body string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if body != "" && strings.HasPrefix(body, "{") {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func strconvU(n uint64) string { return strconv.FormatUint(n, 10) }
