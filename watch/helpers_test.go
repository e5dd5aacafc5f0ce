package watch_test

import (
	"io/fs"

	"context"
	"github.com/clausewatch/clausewatch/fixtures"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/watch"
)

// clock is an injected time the fixture server, the fetch client and the
// store share.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// Advance moves the clock on; every fetch also moves it a second so that
// fetch keys and intervals stay distinct.
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// tick is a Now that moves the clock a second each call.
func (c *clock) tick() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

// newChecker opens a temp store (checked for consistency when the test
// ends) and a checker whose client talks to 127.0.0.1.
func newChecker(t *testing.T, clk *clock, opts fetch.Options) *watch.Checker {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "watch.db"), store.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Check(context.Background()); err != nil {
			t.Errorf("store consistency: %v", err)
		}
		db.Close()
	})
	if opts.Backoff == 0 {
		opts.Backoff = time.Millisecond
	}
	opts.Now = clk.tick
	return &watch.Checker{Store: db, Client: fetch.NewClient(opts), Policy: watch.Policy{ConfirmDelay: time.Nanosecond}, Now: clk.tick}
}

// addSource adds a local source.
func addSource(t *testing.T, c *watch.Checker, name, url string) store.Source {
	t.Helper()
	s, err := c.Store.AddSource(t.Context(), store.Source{Name: name, URL: url, Supplier: "Test supplier", Origin: "cli", AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// mustCheck checks src and fails the test on an error of our own.
func mustCheck(t *testing.T, c *watch.Checker, src store.Source) watch.Result {
	t.Helper()
	r := c.Check(t.Context(), src)
	if r.Err != nil {
		t.Fatalf("check %s: %v", src.Name, r.Err)
	}
	return r
}

// fsRead reads a file of the embedded fixtures.
func fsRead(name string) ([]byte, error) { return fs.ReadFile(fixtures.FS(), name) }
