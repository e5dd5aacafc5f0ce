package render

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"

	"github.com/clausewatch/clausewatch/fetch"
)

// Errors returned by New and Render. Test them with errors.Is; a refused
// address is fetch.ErrBlocked and a bad URL fetch.ErrURL, as for a plain
// fetch.
var (
	// ErrNoBrowser means no Chromium was found (Options.ExecPath, the
	// CHROMIUM environment variable, then chromium, chromium-browser and
	// google-chrome on PATH).
	ErrNoBrowser = errors.New("render: no Chromium found")
	// ErrClosed means the Browser was closed.
	ErrClosed = errors.New("render: browser closed")
	// ErrNavigation means the page did not load: a network error, or the
	// navigation timeout.
	ErrNavigation = errors.New("render: navigation failed")
)

// Options configures a Browser. Zero fields take the defaults of New.
type Options struct {
	// ExecPath is the Chromium binary. Default: $CHROMIUM, else the first
	// of chromium, chromium-browser, google-chrome on PATH.
	ExecPath string
	// Tabs is how many pages render at once. Default half the CPUs, at
	// least 1.
	Tabs int
	// RecycleAfter restarts the browser after this many renders (a long
	// running Chromium grows). Default 200.
	RecycleAfter int
	// MaxMemory restarts the browser, between renders, when its processes
	// use more than this many bytes (proportional set size, Linux).
	// Default 1 GiB.
	MaxMemory int64
	// NavigationTimeout bounds the load of the page (to its load event).
	// Default 30s.
	NavigationTimeout time.Duration
	// SettlePoll is the wait between two looks at the page's text after
	// the load event. Default 250ms.
	SettlePoll time.Duration
	// SettleQuiet is how many looks in a row must see the same text and no
	// request in flight for the text to count as settled. Default 3.
	SettleQuiet int
	// SettleMaxPolls bounds the looks: after this many the page is taken
	// as it is (Wait.Settled false). Default 40.
	SettleMaxPolls int
	// MaxDOM caps the serialised DOM kept, in bytes. Default 10 MiB.
	MaxDOM int
	// MaxRequests caps the requests listed per render. Default 500.
	MaxRequests int
	// AllowPrivate switches the SSRF guard off for every render (local
	// use). Request.AllowPrivate does it for one.
	AllowPrivate bool
	// GuardExceptions are addresses the guard lets through although they
	// are not public (a test server, an intranet mirror).
	GuardExceptions []netip.AddrPort
	// Resolver resolves host names for the guard. Default
	// net.DefaultResolver.
	Resolver fetch.Resolver
	// TempDir is where the browser's profile directories are made
	// (clausewatch-render-pid<PID>-*), and where those of dead processes
	// are swept at each browser start. Default os.TempDir().
	TempDir string
	// Logger receives a line per browser start and stop. Default: discard.
	Logger *slog.Logger
	// Now stamps Page.Start and End. Default time.Now.
	Now func() time.Time
}

// Browser renders pages in one headless Chromium, started on first use
// and restarted after Options.RecycleAfter renders or past
// Options.MaxMemory. Every render gets a fresh browser context (no
// cookies, cache or storage from another render) and its own proxy. It is
// safe for concurrent use; Close stops the browser and waits for it.
type Browser struct {
	opts   Options
	strict *fetch.Guard // the guard for renders
	open   *fetch.Guard // the guard for renders that allow private addresses
	tabs   chan struct{}
	marker string // CLAUSEWATCH_RENDER=<random>, in every browser process's environment

	mu     sync.Mutex
	proc   *process
	closed bool
	starts int
}

// New returns a Browser with opts, defaults filled in. It finds Chromium
// but does not start it: the first Render does.
func New(opts Options) (*Browser, error) {
	if opts.ExecPath == "" {
		opts.ExecPath = FindChromium()
	}
	if opts.ExecPath == "" {
		return nil, ErrNoBrowser
	}
	if opts.Tabs <= 0 {
		opts.Tabs = max(1, runtime.NumCPU()/2)
	}
	if opts.RecycleAfter <= 0 {
		opts.RecycleAfter = 200
	}
	if opts.MaxMemory <= 0 {
		opts.MaxMemory = 1 << 30
	}
	if opts.NavigationTimeout <= 0 {
		opts.NavigationTimeout = 30 * time.Second
	}
	if opts.SettlePoll <= 0 {
		opts.SettlePoll = 250 * time.Millisecond
	}
	if opts.SettleQuiet <= 0 {
		opts.SettleQuiet = 3
	}
	if opts.SettleMaxPolls <= 0 {
		opts.SettleMaxPolls = 40
	}
	if opts.MaxDOM <= 0 {
		opts.MaxDOM = 10 << 20
	}
	if opts.MaxRequests <= 0 {
		opts.MaxRequests = 500
	}
	if opts.TempDir == "" {
		opts.TempDir = os.TempDir()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	var id [8]byte
	_, _ = rand.Read(id[:])
	b := &Browser{opts: opts, tabs: make(chan struct{}, opts.Tabs), marker: "CLAUSEWATCH_RENDER=" + hex.EncodeToString(id[:])}
	b.strict = fetch.NewGuard(fetch.GuardOptions{AllowPrivate: opts.AllowPrivate, Exceptions: opts.GuardExceptions, Resolver: opts.Resolver})
	b.open = fetch.NewGuard(fetch.GuardOptions{AllowPrivate: true, Resolver: opts.Resolver})
	return b, nil
}

// FindChromium returns the Chromium binary New would use: $CHROMIUM, else
// the first of chromium, chromium-browser, google-chrome on PATH; "" when
// there is none.
func FindChromium() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// process is one running Chromium.
type process struct {
	// ctx is chromedp's handle on the browser: chromedp keeps the browser
	// in a context, so this one lives as long as the process does (the
	// exception to "no context in a struct").
	ctx     context.Context
	cancel  func() // stops the browser and waits for it
	exec    context.Context
	proxy   *proxy // serves the default browser context, with the strict guard
	profile string
	pid     int
	version string

	renders int  // renders started
	users   int  // renders running
	retired bool // stop when the last user leaves
	stopped sync.Once
}

// start launches Chromium. A start that fails is tried again, twice:
// Chromium now and then exits before it prints its DevTools address when
// several start at once on a busy machine ("chrome failed to start").
func (b *Browser) start() (*process, error) {
	var err error
	for attempt := 1; attempt <= 3; attempt++ {
		var p *process
		if p, err = b.startOnce(); err == nil {
			return p, nil
		}
		b.opts.Logger.Warn("browser did not start", "attempt", attempt, "err", err)
	}
	return nil, err
}

// startOnce launches Chromium once.
func (b *Browser) startOnce() (*process, error) {
	px, err := startProxy(b.strict)
	if err != nil {
		return nil, err
	}
	sweepProfiles(b.opts.TempDir, b.opts.Logger)
	profile, err := makeProfile(b.opts.TempDir)
	if err != nil {
		px.close()
		return nil, profileError(b.opts.TempDir, err)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), b.flags(px.URL(), profile)...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	p := &process{ctx: ctx, proxy: px, profile: profile}
	p.cancel = func() {
		stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_ = chromedp.Cancel(stopCtx) // asks the browser to close and waits for it
		cancelCtx()
		cancelAlloc() // kills the process if it did not close, and waits
		px.close()
		_ = os.RemoveAll(profile)
	}
	// The first Run starts the browser, which lives as long as the
	// context it is given: no timeout here (chromedp bounds the start by
	// its own wait for the DevTools address).
	if err := chromedp.Run(ctx); err != nil {
		p.cancel()
		return nil, fmt.Errorf("render: start %s: %w", b.opts.ExecPath, err)
	}
	c := chromedp.FromContext(ctx)
	p.exec = cdp.WithExecutor(ctx, c.Browser)
	if proc := c.Browser.Process(); proc != nil {
		p.pid = proc.Pid
	}
	_, product, _, _, _, err := browser.GetVersion().Do(p.exec)
	if err != nil {
		p.cancel()
		return nil, fmt.Errorf("render: browser version: %w", err)
	}
	p.version = product
	b.opts.Logger.Info("browser started", "version", product, "pid", p.pid)
	return p, nil
}

// flags are Chromium's command line: headless, no GPU, nothing in the
// background, every request through the proxy (loopback included), no
// local files, no UDP outside the proxy.
func (b *Browser) flags(proxyURL, profile string) []chromedp.ExecAllocatorOption {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(b.opts.ExecPath),
		chromedp.UserDataDir(profile),
		chromedp.DisableGPU,
		chromedp.Env(b.marker),
		chromedp.ProxyServer(proxyURL),
		// Chromium sends loopback requests around a proxy unless told.
		chromedp.Flag("proxy-bypass-list", "<-loopback>"),
		chromedp.Flag("disable-file-system", true),
		chromedp.Flag("webrtc-ip-handling-policy", "disable_non_proxied_udp"),
		chromedp.Flag("force-webrtc-ip-handling-policy", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("dns-prefetch-disable", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("blink-settings", "imagesEnabled=false"),
		chromedp.WindowSize(1280, 900),
	)
	if os.Geteuid() == 0 {
		// Chromium's sandbox refuses to run as root (containers, CI).
		opts = append(opts, chromedp.NoSandbox)
	}
	return opts
}

// acquire returns the running browser, starting one when there is none
// or the last one is due for recycling, and counts a render on it.
func (b *Browser) acquire() (*process, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, ErrClosed
	}
	if p := b.proc; p != nil && (p.renders >= b.opts.RecycleAfter || p.dead()) {
		b.retire(p)
	}
	if b.proc == nil {
		p, err := b.start()
		if err != nil {
			return nil, err
		}
		b.proc = p
		b.starts++
	}
	b.proc.renders++
	b.proc.users++
	return b.proc, nil
}

// release ends a render on p; past the memory ceiling, p is retired.
func (b *Browser) release(p *process) {
	over := p.pid > 0 && treeMemory(p.pid) > b.opts.MaxMemory
	b.mu.Lock()
	defer b.mu.Unlock()
	p.users--
	if over && b.proc == p {
		b.opts.Logger.Info("browser over its memory ceiling; recycling", "pid", p.pid, "max", b.opts.MaxMemory)
		b.retire(p)
	}
	if p.retired && p.users == 0 {
		p.stop()
	}
}

// retire takes p out of use; it stops when its last render ends. b.mu is
// held.
func (b *Browser) retire(p *process) {
	if b.proc == p {
		b.proc = nil
	}
	p.retired = true
	if p.users == 0 {
		p.stop()
	}
}

func (p *process) stop() { p.stopped.Do(p.cancel) }

// dead reports whether the browser process has gone.
func (p *process) dead() bool {
	select {
	case <-p.ctx.Done():
		return true
	default:
		return false
	}
}

// Close stops the browser and waits for its processes to exit. Renders
// still running fail.
func (b *Browser) Close() error {
	b.mu.Lock()
	b.closed = true
	p := b.proc
	b.proc = nil
	b.mu.Unlock()
	if p != nil {
		p.stop()
	}
	return nil
}

// Stats are a Browser's figures.
type Stats struct {
	// Starts counts the browser processes started.
	Starts int
	// PID is the running browser's process ID (0 when none runs).
	PID int
	// Memory is the running browser's memory, all its processes (PSS),
	// in bytes.
	Memory int64
	// Version is the running browser's product, e.g. "Chrome/131.0.6778.139".
	Version string
}

// Stats returns the browser's figures now.
func (b *Browser) Stats() Stats {
	b.mu.Lock()
	s := Stats{Starts: b.starts}
	if p := b.proc; p != nil {
		s.PID, s.Version = p.pid, p.version
	}
	b.mu.Unlock()
	s.Memory = treeMemory(s.PID)
	return s
}

// Processes lists the live processes of this Browser's Chromium (every
// one it ever started), found by a marker in their environment: after
// Close, and after this process dies, the list must become empty.
func (b *Browser) Processes() []int { return markedProcs(b.marker) }

// Marker is the environment entry every process of this Browser carries.
func (b *Browser) Marker() string { return b.marker }

// MarkedProcesses lists the live processes whose environment holds
// marker (a Browser's Marker), for a caller that outlived the Browser.
func MarkedProcesses(marker string) []int { return markedProcs(marker) }
