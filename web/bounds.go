package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/clausewatch/clausewatch/diff"
	"github.com/clausewatch/clausewatch/extract"
	"github.com/clausewatch/clausewatch/store"
)

// The work bounds of the pages that show a stored diff or document (see
// docs/decisions/0019-work-bounds.md): a page holds at most so many items
// and about so many bytes of their text, whatever the stored size.
const (
	changesPerPage = 200
	changeText     = 256 << 10
	clausesPerPage = 500
	clauseText     = 256 << 10
	// maxPageBytes caps any rendered page, and maxReportBytes a renewal
	// report (which shows its diffs whole): past it the answer is an
	// error, never an unbounded buffer.
	maxPageBytes   = 4 << 20
	maxReportBytes = 16 << 20
	// retryAfter is what a request refused for want of a render slot is
	// told to wait, in seconds.
	retryAfter = 2
)

// errPageTooLarge is a render that went past its byte cap.
var errPageTooLarge = errors.New("web: page too large")

// cappedBuffer is a buffer that refuses to grow past max bytes.
type cappedBuffer struct {
	bytes.Buffer
	max int
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > b.max {
		return 0, fmt.Errorf("%w: over %d bytes", errPageTooLarge, b.max)
	}
	return b.Buffer.Write(p)
}

func (b *cappedBuffer) WriteString(s string) (int, error) { return b.Write([]byte(s)) }

// renderLimit bounds the expensive renders that run at once: a change
// page, a version's text and a renewal report each read and decode a
// stored diff or document, in memory in proportion to it.
type renderLimit struct {
	slots chan struct{}
	// waiting counts signed-in requests waiting for a slot; at most
	// cap(slots)*4 wait, the rest are refused at once.
	waiting atomic.Int32
	wait    time.Duration
}

func newRenderLimit(n int, wait time.Duration) *renderLimit {
	return &renderLimit{slots: make(chan struct{}, n), wait: wait}
}

// acquire takes a render slot for r, or answers 503 with Retry-After and
// returns false. A signed-in request waits for a slot (up to the limit's
// wait, and only while few others wait); an anonymous reader's never
// waits, so open reading cannot queue work. The caller calls release
// (more than once is fine) as soon as the page is built, before writing
// it: a slow client must not hold a slot.
func (s *Server) acquire(w http.ResponseWriter, r *http.Request) (release func(), ok bool) {
	l := s.renders
	held := true
	release = func() {
		if held {
			held = false
			<-l.slots
		}
	}
	select {
	case l.slots <- struct{}{}:
		return release, true
	default:
	}
	if identityOf(r.Context()).SignedIn() && l.enqueue() {
		got := l.await(r.Context())
		l.waiting.Add(-1)
		if got {
			return release, true
		}
		if r.Context().Err() != nil {
			return nil, false
		}
	}
	w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	s.fail(w, r, http.StatusServiceUnavailable, "busy: too many pages being rendered; retry shortly")
	return nil, false
}

// enqueue counts a waiting request in, unless too many wait already.
func (l *renderLimit) enqueue() bool {
	if l.waiting.Add(1) > int32(4*cap(l.slots)) {
		l.waiting.Add(-1)
		return false
	}
	return true
}

// await waits for a slot, up to the limit's wait or until ctx is done.
func (l *renderLimit) await(ctx context.Context) bool {
	t := time.NewTimer(l.wait)
	defer t.Stop()
	select {
	case l.slots <- struct{}{}:
		return true
	case <-t.C:
	case <-ctx.Done():
	}
	return false
}

// pager places items one by one on pages of at most per items and about
// budget bytes (an item alone may be larger), and keeps the bounds of the
// page wanted.
type pager struct {
	per, budget int
	want        int // the page wanted, from 1
	page        int // the page the last item went on
	count, size int // items and bytes on that page
	first, last int // the wanted page's items: [first, last)
	total       int
}

func newPager(per, budget, want int) *pager {
	return &pager{per: per, budget: budget, want: want, page: 1, first: -1}
}

// add places the next item, of size bytes, and reports whether it is on
// the wanted page.
func (p *pager) add(size int) bool {
	if p.count > 0 && (p.count == p.per || p.size+size > p.budget) {
		p.page++
		p.count, p.size = 0, 0
	}
	p.count++
	p.size += size
	i := p.total
	p.total++
	if p.page != p.want {
		return false
	}
	if p.first < 0 {
		p.first = i
	}
	p.last = i + 1
	return true
}

// pageInfo describes one page of a long list, for templates and the API.
type pageInfo struct {
	Number int `json:"number"`
	Pages  int `json:"pages"`
	// First and Last number the page's items from 1; Total counts them
	// all.
	First int `json:"first"`
	Last  int `json:"last"`
	Total int `json:"total"`
	// Truncated is true when the list goes on past this page.
	Truncated bool   `json:"truncated"`
	Prev      string `json:"prev,omitempty"`
	Next      string `json:"next,omitempty"`
}

// info describes the wanted page; links are path with the query q and
// page=N. ok is false when there is no such page.
func (p *pager) info(path string, q url.Values) (pageInfo, bool) {
	pages := p.page
	if p.total == 0 {
		pages = 1
	}
	if p.want < 1 || p.want > pages {
		return pageInfo{}, false
	}
	pi := pageInfo{Number: p.want, Pages: pages, Total: p.total, Truncated: p.want < pages}
	if p.first >= 0 {
		pi.First, pi.Last = p.first+1, p.last
	}
	link := func(n int) string {
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		v.Set("page", strconv.Itoa(n))
		return path + "?" + v.Encode()
	}
	if p.want > 1 {
		pi.Prev = link(p.want - 1)
	}
	if p.want < pages {
		pi.Next = link(p.want + 1)
	}
	return pi, true
}

// pageParam reads ?page= (default 1); ok is false when it is not a
// positive number.
func pageParam(r *http.Request) (int, bool) {
	v := r.URL.Query().Get("page")
	if v == "" {
		return 1, true
	}
	n, err := strconv.Atoi(v)
	return n, err == nil && n >= 1
}

// decodePaged decodes the JSON object data into v, except the array under
// key: its elements are decoded one at a time and handed to each, so that
// only the ones each keeps stay in memory (a stored diff of 150,000
// changes is 60 MB of JSON, and several times that decoded).
func decodePaged[T any](data []byte, key string, v any, each func(T)) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := delim(dec, '{'); err != nil {
		return err
	}
	rest := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		k, _ := tok.(string)
		if k != key {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return err
			}
			rest[k] = raw
			continue
		}
		tok, err = dec.Token()
		if err != nil || tok == nil { // null
			return err
		}
		if d, ok := tok.(json.Delim); !ok || d != '[' {
			return fmt.Errorf("%q is not an array", key)
		}
		for dec.More() {
			var item T
			if err := dec.Decode(&item); err != nil {
				return err
			}
			each(item)
		}
		if err := delim(dec, ']'); err != nil {
			return err
		}
	}
	if err := delim(dec, '}'); err != nil {
		return err
	}
	head, err := json.Marshal(rest)
	if err != nil {
		return err
	}
	return json.Unmarshal(head, v)
}

func delim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("want %q, got %v", want, tok)
	}
	return nil
}

// changeSize is what a change weighs on a page: its texts and its inline
// spans.
func changeSize(c diff.Change) int {
	n := 0
	for _, sd := range []*diff.Side{c.Old, c.New} {
		if sd != nil {
			n += len(sd.Text)
		}
	}
	for _, sp := range c.Inline {
		n += len(sp.Text)
	}
	return n
}

// diffPage reads one page of a stored diff result: Changes holds that
// page's changes only.
func diffPage(data []byte, p *pager) (*diff.Result, error) {
	var r diff.Result
	var kept []diff.Change
	err := decodePaged(data, "changes", &r, func(c diff.Change) {
		if p.add(changeSize(c)) {
			kept = append(kept, c)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", store.ErrCorrupt, err)
	}
	r.Changes = kept
	return &r, nil
}

// documentPage reads one page of a stored document: Clauses holds that
// page's clauses only.
func documentPage(data []byte, p *pager) (*extract.Document, error) {
	var doc extract.Document
	var kept []extract.Clause
	err := decodePaged(data, "clauses", &doc, func(c extract.Clause) {
		if p.add(len(c.Display)) {
			kept = append(kept, c)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", store.ErrCorrupt, err)
	}
	doc.Clauses = kept
	return &doc, nil
}
