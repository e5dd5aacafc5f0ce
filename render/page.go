package render

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdpfetch "github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/clausewatch/clausewatch/fetch"
)

// Request is one page to render.
type Request struct {
	// URL is the page; http or https only.
	URL string
	// AllowPrivate switches the SSRF guard off for this render (an
	// operator's local source).
	AllowPrivate bool
}

// Page is one rendered page: the document's response as the browser got
// it, the DOM after scripts ran, and every request the page made.
type Page struct {
	// URL is the URL asked for; FinalURL the document's, after redirects.
	URL, FinalURL string
	// Status and Header are the document response's.
	Status int
	Header http.Header
	// Body is the document's response body as the browser received it
	// (nil when the browser no longer had it).
	Body []byte
	// DOM is the document after the wait, serialised as HTML.
	DOM []byte
	// DOMTruncated reports that DOM was cut at Options.MaxDOM.
	DOMTruncated bool
	// Requests are the requests the page made, the document's first, in
	// the order they were sent (at most Options.MaxRequests; Dropped
	// counts the rest).
	Requests []Resource
	Dropped  int
	// Refused lists the connections the SSRF guard refused, "host:port:
	// why" each.
	Refused []string
	// Browser is the browser's product and version.
	Browser string
	// Wait says how long the page was given.
	Wait Wait
	// Start and End are when the render started and ended.
	Start, End time.Time
}

// Resource is one request a page made.
type Resource struct {
	URL    string `json:"url"`
	Method string `json:"method,omitempty"`
	// Type is the browser's resource type ("Document", "Script", "XHR",
	// "Fetch", "Image", ...).
	Type   string `json:"type,omitempty"`
	Status int    `json:"status,omitempty"`
	// Error is why it failed ("net::ERR_BLOCKED_BY_CLIENT" for the images,
	// fonts and media a render blocks).
	Error string `json:"error,omitempty"`
}

// Wait is how a render waited for its page: the load event, then looks
// at the text every Poll until Quiet looks in a row saw the same text
// and no request in flight (Settled), or Polls reached the bound.
type Wait struct {
	Poll    time.Duration `json:"poll"`
	Quiet   int           `json:"quiet"`
	Polls   int           `json:"polls"`
	Settled bool          `json:"settled"`
}

// String says the wait in words.
func (w Wait) String() string {
	if w.Settled {
		return fmt.Sprintf("load, then text settled after %d looks %s apart (%d quiet)", w.Polls, w.Poll, w.Quiet)
	}
	return fmt.Sprintf("load, then %d looks %s apart without the text settling (taken as it was)", w.Polls, w.Poll)
}

// blocked are the resource types a render never loads.
var blocked = []network.ResourceType{network.ResourceTypeImage, network.ResourceTypeFont, network.ResourceTypeMedia}

// Render loads req.URL in a fresh browser context, waits for the load
// event and for the text to settle, and returns the page. A URL or
// redirect the guard refuses is fetch.ErrBlocked.
func (b *Browser) Render(ctx context.Context, req Request) (*Page, error) {
	u, err := url.Parse(req.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: %s: want an http or https URL with a host", fetch.ErrURL, req.URL)
	}
	guard := b.strict
	if req.AllowPrivate {
		guard = b.open
	}
	if err := guard.CheckURL(ctx, req.URL); err != nil {
		return nil, err
	}
	select {
	case b.tabs <- struct{}{}:
		defer func() { <-b.tabs }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	p, err := b.acquire()
	if err != nil {
		return nil, err
	}
	defer b.release(p)
	px, err := startProxy(guard)
	if err != nil {
		return nil, err
	}
	defer px.close()
	page, err := b.renderIn(ctx, p, px, req.URL)
	if page != nil {
		page.Refused = px.Refused()
	}
	if err != nil && px.refusedHost(hostPort(u.Host, defaultPort(u.Scheme))) {
		return nil, fmt.Errorf("%w: %s (%v)", fetch.ErrBlocked, req.URL, strings.Join(px.Refused(), "; "))
	}
	if err == nil {
		// A redirect the guard refused: the browser shows the proxy's
		// refusal as the page.
		if final, perr := url.Parse(page.FinalURL); perr == nil && px.refusedHost(hostPort(final.Host, defaultPort(final.Scheme))) {
			return nil, fmt.Errorf("%w: %s redirected to %s (%v)", fetch.ErrBlocked, req.URL, page.FinalURL, strings.Join(px.Refused(), "; "))
		}
	}
	return page, err
}

func defaultPort(scheme string) string {
	if scheme == "https" {
		return "443"
	}
	return "80"
}

// renderIn renders rawURL in a new browser context of p that goes out
// through px, and disposes of the context afterwards.
func (b *Browser) renderIn(ctx context.Context, p *process, px *proxy, rawURL string) (*Page, error) {
	// chromedp's WithNewBrowserContext fails here with "no browser is
	// open" (v0.14.2): the context and its window are made by hand, and
	// the tab is attached by target ID.
	bc, err := target.CreateBrowserContext().WithDisposeOnDetach(true).
		WithProxyServer(px.URL()).WithProxyBypassList("<-loopback>").Do(p.exec)
	if err != nil {
		return nil, fmt.Errorf("render: new browser context: %w", err)
	}
	defer func() {
		dctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
		defer cancel()
		_ = target.DisposeBrowserContext(bc).Do(cdp.WithExecutor(dctx, chromedp.FromContext(p.ctx).Browser))
	}()
	tid, err := target.CreateTarget("about:blank").WithBrowserContextID(bc).WithNewWindow(true).Do(p.exec)
	if err != nil {
		return nil, fmt.Errorf("render: new tab: %w", err)
	}
	tab, cancelTab := chromedp.NewContext(p.ctx, chromedp.WithTargetID(tid))
	defer cancelTab() // detaches and closes the tab
	stop := context.AfterFunc(ctx, cancelTab)
	defer stop()

	page := &Page{URL: rawURL, Browser: p.version, Start: b.opts.Now().UTC()}
	log := newRequestLog(b.opts.MaxRequests, cdp.FrameID(tid))
	chromedp.ListenTarget(tab, func(ev any) {
		if paused, ok := ev.(*cdpfetch.EventRequestPaused); ok {
			// Only the blocked types pause (see the patterns below).
			go func() {
				c := chromedp.FromContext(tab)
				if c == nil || c.Target == nil {
					return
				}
				_ = cdpfetch.FailRequest(paused.RequestID, network.ErrorReasonBlockedByClient).Do(cdp.WithExecutor(tab, c.Target))
			}()
			return
		}
		log.event(ev)
	})
	var patterns []*cdpfetch.RequestPattern
	for _, t := range blocked {
		patterns = append(patterns, &cdpfetch.RequestPattern{ResourceType: t, RequestStage: cdpfetch.RequestStageRequest})
	}
	if err := chromedp.Run(tab, network.Enable(), cdpfetch.Enable().WithPatterns(patterns)); err != nil {
		return nil, fmt.Errorf("render: set up tab: %w", err)
	}
	navCtx, cancelNav := context.WithTimeout(tab, b.opts.NavigationTimeout)
	err = chromedp.Run(navCtx, chromedp.Navigate(rawURL))
	cancelNav()
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w: %s: %v", ErrNavigation, rawURL, err)
	}
	if page.Wait, err = b.settle(ctx, tab, log); err != nil {
		return nil, err
	}
	if err := b.capture(tab, page, log); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	page.End = b.opts.Now().UTC()
	return page, nil
}

// textProbe returns the page's visible text length and a 32-bit hash of
// it: enough to tell whether the text moved since the last look.
const textProbe = `(() => { const t = document.body ? document.body.innerText : ""; let h = 0;
for (let i = 0; i < t.length; i++) { h = (Math.imul(h, 31) + t.charCodeAt(i)) | 0; }
return t.length + ":" + h; })()`

// settle looks at the page's text every SettlePoll until SettleQuiet
// looks in a row see the same text with no request in flight, or
// SettleMaxPolls looks were made.
func (b *Browser) settle(ctx context.Context, tab context.Context, log *requestLog) (Wait, error) {
	w := Wait{Poll: b.opts.SettlePoll, Quiet: b.opts.SettleQuiet}
	last, quiet := "", 0
	t := time.NewTicker(b.opts.SettlePoll)
	defer t.Stop()
	for w.Polls < b.opts.SettleMaxPolls {
		select {
		case <-ctx.Done():
			return w, ctx.Err()
		case <-tab.Done():
			return w, fmt.Errorf("%w: the tab closed", ErrNavigation)
		case <-t.C:
		}
		w.Polls++
		var probe string
		if err := chromedp.Run(tab, chromedp.Evaluate(textProbe, &probe)); err != nil {
			return w, fmt.Errorf("render: look at the text: %w", err)
		}
		if probe == last && log.inFlight() == 0 {
			quiet++
		} else {
			quiet = 0
		}
		last = probe
		if quiet >= b.opts.SettleQuiet {
			w.Settled = true
			break
		}
	}
	return w, nil
}

// capture fills in the page: the DOM, the document's response and body,
// and the request list.
func (b *Browser) capture(tab context.Context, page *Page, log *requestLog) error {
	var dom string
	const serialise = `(() => { const d = document.doctype; return (d ? new XMLSerializer().serializeToString(d) + "\n" : "") + document.documentElement.outerHTML; })()`
	if err := chromedp.Run(tab, chromedp.Evaluate(serialise, &dom)); err != nil {
		return fmt.Errorf("render: read the DOM: %w", err)
	}
	if len(dom) > b.opts.MaxDOM {
		dom, page.DOMTruncated = dom[:b.opts.MaxDOM], true
	}
	page.DOM = []byte(dom)
	doc := log.document()
	page.Requests, page.Dropped = log.list()
	if doc == nil {
		var loc string
		_ = chromedp.Run(tab, chromedp.Location(&loc))
		page.FinalURL = loc
		return nil
	}
	page.FinalURL, page.Status, page.Header = doc.url, doc.status, doc.header
	err := chromedp.Run(tab, chromedp.ActionFunc(func(ctx context.Context) error {
		body, err := network.GetResponseBody(doc.id).Do(ctx)
		if err == nil {
			page.Body = body
		}
		return nil // the browser may have let the body go: Body stays nil
	}))
	return err
}
