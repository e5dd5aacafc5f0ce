package watch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/render"
	"github.com/clausewatch/clausewatch/store"
)

// Renderer renders a page in a headless browser; *render.Browser is one.
type Renderer interface {
	Render(ctx context.Context, req render.Request) (*render.Page, error)
}

// renderMode is src's render mode, "" read as auto.
func renderMode(src store.Source) store.RenderMode {
	if src.Render == "" {
		return store.RenderAuto
	}
	return src.Render
}

// get fetches src's page, plainly or in the browser as its render mode
// says, and decides what it means. blobs are to be stored before the
// record (a rendered fetch's capture); err is only ctx's.
func (c *Checker) get(ctx context.Context, src store.Source, cur current, req fetch.Request) (d decision, blobs [][]byte, err error) {
	mode := renderMode(src)
	if c.Renderer != nil && (mode == store.RenderAlways || (mode == store.RenderAuto && cur.state.NeedsRender)) {
		why := whyAlways
		if mode == store.RenderAuto {
			why = whyRemembered
		}
		d, blobs, err := c.rendered(ctx, src, cur, why, nil, nil)
		if f := d.record.Fetch; err == nil && (f.Outcome == store.OutcomeFailed || f.Outcome == store.OutcomeSuspect) && wall(f.Reason) {
			rewordFailure(&d, "bot wall even in the browser: "+f.Reason)
		}
		return d, blobs, err
	}
	if c.elsewhere() && (mode == store.RenderAlways || (mode == store.RenderAuto && cur.state.NeedsRender)) {
		return decision{}, nil, ErrRenderElsewhere
	}
	capture, ferr := c.plainFetch(ctx, cur, req)
	if ctx.Err() != nil && capture == nil {
		return decision{}, nil, ctx.Err()
	}
	d = c.decide(src, cur.clone(), capture, ferr)
	why, strong := c.browserSigns(capture, ferr, d)
	if why == "" {
		return d, nil, nil
	}
	f := d.record.Fetch
	plainOK := f.Outcome != store.OutcomeFailed && f.Outcome != store.OutcomeSuspect
	switch {
	case mode == store.RenderNever && strong:
		c.failAs(&d, src, cur, capture, ferr, "needs a browser (set render: always): "+why)
		return d, nil, nil
	case mode == store.RenderNever && !plainOK:
		c.failAs(&d, src, cur, capture, ferr, "may need a browser (set render: always): "+why)
		return d, nil, nil
	case c.elsewhere() && (strong || capture == nil || cur.state.RenderUseless != store.Hash(capture.Body)):
		// A worker with the browser would render it: leave it to one,
		// with this fetch, so that it need not fetch the page again.
		return decision{}, nil, &RenderElsewhereError{Plain: capture, Err: ferr}
	case c.Renderer == nil && strong && !wall(why):
		// A widget's or a script app's shell is not the policy, whatever
		// words its frame has. (A wall without a browser keeps its own
		// reason: a browser may or may not pass it.)
		c.failAs(&d, src, cur, capture, ferr, "needs a browser, and none is available here (install chromium): "+why)
		return d, nil, nil
	case mode == store.RenderNever || c.Renderer == nil:
		return d, nil, nil
	case !strong && capture != nil && cur.state.RenderUseless == store.Hash(capture.Body):
		return d, nil, nil // this very page was rendered before, to no gain
	}
	plain := &store.PlainFetch{Words: f.Words, Reason: why}
	var plainBody []byte
	if capture != nil {
		plain.Status, plainBody = capture.Status, capture.Body
		if len(plainBody) > 0 {
			plain.BodySHA256, plain.BodySize = store.Hash(plainBody), len(plainBody)
		}
	}
	rd, blobs, err := c.rendered(ctx, src, cur, "plain fetch: "+why, plain, plainBody)
	if err != nil {
		return decision{}, nil, err
	}
	rf := rd.record.Fetch
	renderedOK := rf.Outcome != store.OutcomeFailed && rf.Outcome != store.OutcomeSuspect
	switch {
	case renderedOK && (!plainOK || rf.Words >= f.Words+max(20, f.Words/5)):
		// The browser adds real policy text: keep it, and render this
		// source directly from now on.
		rd.record.State.NeedsRender, rd.record.State.RenderUseless = true, ""
		return rd, blobs, nil
	case !strong:
		// Nothing added: keep the plain reading, and do not render the
		// same plain page again.
		if capture != nil {
			d.record.State.RenderUseless = store.Hash(capture.Body)
		}
		return d, nil, nil
	case !renderedOK && (wall(why) || wall(rf.Reason)):
		rewordFailure(&rd, "bot wall even in the browser: "+rf.Reason)
		return rd, blobs, nil
	case !renderedOK:
		rewordFailure(&rd, "no policy text even in the browser: "+rf.Reason)
		return rd, blobs, nil
	}
	// A widget or a script app, and the browser's text is no better than
	// the plain page's: neither is the policy.
	c.failAs(&d, src, cur, capture, ferr, fmt.Sprintf("the browser found no more policy text than a plain fetch (%d words): %s", rf.Words, why))
	return d, nil, nil
}

// ErrRenderElsewhere ends a check that needs the browser on a checker
// without one whose RenderElsewhere is set; the check recorded nothing.
var ErrRenderElsewhere = errors.New("needs the browser of another worker")

// elsewhere reports whether checks that would render are left to a
// worker with the browser.
func (c *Checker) elsewhere() bool { return c.Renderer == nil && c.RenderElsewhere }

// wall reports a reason that names a bot wall: a challenge, or an HTTP
// status sites answer unwanted clients with.
func wall(reason string) bool {
	for _, w := range []string{"bot challenge", "HTTP 403", "HTTP 406", "HTTP 429", "HTTP 503", "HTTP 401"} {
		if strings.Contains(reason, w) {
			return true
		}
	}
	return false
}

// browserSigns says why the plain fetch may need a browser, or "": strong
// signs (a wall, a widget embed, a script app's shell) make a plain page
// with little text not the policy; a weak one (little text alone) only
// asks for a render.
func (c *Checker) browserSigns(capture *fetch.Capture, ferr error, d decision) (why string, strong bool) {
	if capture == nil || capture.NotModified {
		return "", false
	}
	f := d.record.Fetch
	if ferr != nil {
		if errors.Is(ferr, fetch.ErrStatus) && slices.Contains([]int{http.StatusUnauthorized, http.StatusForbidden, http.StatusNotAcceptable, http.StatusTooManyRequests, http.StatusServiceUnavailable}, capture.Status) {
			return fmt.Sprintf("the site answers a plain client with HTTP %d", capture.Status), true
		}
		return "", false // a network or server error: a browser would meet it too
	}
	if f.Words >= c.policy().RenderBelow {
		// Every sign below asks for few words: a page with enough is read
		// as it is, and its body is not scanned (most unchanged checks).
		return "", false
	}
	if v := fetch.Challenge(capture.Body); v != "" {
		return "bot challenge (" + v + ")", true
	}
	if v := fetch.PolicyWidget(capture.Body); v != "" {
		return fmt.Sprintf("the page holds a %s policy embed (%d words without it)", v, f.Words), true
	}
	if v := fetch.ScriptApp(capture.Body); v != "" {
		return fmt.Sprintf("the page is a script app: %s (%d words)", v, f.Words), true
	}
	if !strings.HasPrefix(f.Reason, "scanned PDF") && !strings.Contains(capture.ContentType(), "pdf") {
		return fmt.Sprintf("only %d words of policy text", f.Words), false
	}
	return "", false
}

// rendered renders src's page and decides what it means; blobs are the
// capture's (the document response, the plain body, the capture).
func (c *Checker) rendered(ctx context.Context, src store.Source, cur current, why string, plain *store.PlainFetch, plainBody []byte) (decision, [][]byte, error) {
	page, err := c.Renderer.Render(ctx, render.Request{URL: src.URL, AllowPrivate: src.AllowPrivate})
	if ctx.Err() != nil {
		return decision{}, nil, ctx.Err()
	}
	if err != nil {
		return c.decide(src, cur.clone(), nil, err), nil, nil
	}
	capture := captureOf(page)
	var ferr error
	if page.Status >= 400 {
		ferr = fmt.Errorf("%w: %d (in the browser)", fetch.ErrStatus, page.Status)
	}
	d := c.decide(src, cur.clone(), capture, ferr)
	rc := store.RenderCapture{V: 1, Browser: page.Browser, Wait: page.Wait.String(), Settled: page.Wait.Settled, Why: why,
		DocumentStatus: page.Status, DocumentHeader: withoutCookies(page.Header), DOMSHA256: store.Hash(page.DOM),
		DOMTruncated: page.DOMTruncated, Dropped: page.Dropped, Refused: page.Refused, Plain: plain, Start: page.Start, End: page.End}
	for _, r := range page.Requests {
		rc.Requests = append(rc.Requests, store.RenderRequest(r))
	}
	var blobs [][]byte
	if page.Body != nil {
		rc.DocumentSHA256 = store.Hash(page.Body)
		blobs = append(blobs, page.Body)
	}
	if len(plainBody) > 0 {
		blobs = append(blobs, plainBody)
	}
	data, err := json.Marshal(rc)
	if err != nil {
		return decision{}, nil, fmt.Errorf("render capture: %w", err)
	}
	d.record.Fetch.RenderSHA256 = store.Hash(data)
	return d, append(blobs, data), nil
}

// captureOf is a rendered page as a capture for decide: the body is the
// DOM, read as UTF-8 HTML (what it is); the document's own headers are
// otherwise kept, Set-Cookie aside.
func captureOf(p *render.Page) *fetch.Capture {
	h := withoutCookies(p.Header)
	h.Set("Content-Type", "text/html; charset=utf-8")
	return &fetch.Capture{URL: p.URL, FinalURL: p.FinalURL, Status: p.Status, Header: h, Body: p.DOM,
		Start: p.Start, End: p.End, Attempts: 1, UserAgent: p.Browser}
}

func withoutCookies(h http.Header) http.Header {
	out := h.Clone()
	if out == nil {
		out = http.Header{}
	}
	out.Del("Set-Cookie")
	return out
}

// failAs turns d into a suspect fetch of the plain capture with reason
// (a plain page that is not the policy without a browser).
func (c *Checker) failAs(d *decision, src store.Source, cur current, capture *fetch.Capture, ferr error, reason string) {
	if o := d.record.Fetch.Outcome; o == store.OutcomeFailed || o == store.OutcomeSuspect {
		rewordFailure(d, reason)
		return
	}
	// decide took the plain page for the policy: decide again, as a page
	// that is not.
	nd := c.decide(src, cur.clone(), capture, fmt.Errorf("%w: %s", errNeedsBrowser, reason))
	nd.record.Fetch.Error = ""
	*d = nd
}

// errNeedsBrowser marks a plain page that is not the policy without a
// browser; decide records it as suspect with its reason.
var errNeedsBrowser = errors.New("needs a browser")

// rewordFailure replaces the reason of a failed or suspect decision, in
// the fetch, the health reason and the notice alike.
func rewordFailure(d *decision, reason string) {
	old := d.record.Fetch.Reason
	d.record.Fetch.Reason = reason
	if old != "" {
		d.record.State.HealthReason = strings.Replace(d.record.State.HealthReason, old, reason, 1)
		d.notice = strings.Replace(d.notice, old, reason, 1)
	}
}

// clone copies the parts of cur that decide changes in place, so that a
// fetch can be decided twice (plain, then rendered).
func (cur current) clone() current {
	st := cur.state
	if st.Pending != nil {
		p := *st.Pending
		st.Pending = &p
	}
	st.Unconfirmed = slices.Clone(st.Unconfirmed)
	st.Reported = slices.Clone(st.Reported)
	cur.state = st
	return cur
}
