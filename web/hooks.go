package web

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/store"
)

// Webhook request headers.
const (
	// HeaderSignature is "sha256=" and the hex HMAC-SHA256, keyed with
	// the webhook's secret, of the timestamp, a dot and the body.
	HeaderSignature = "X-Clausewatch-Signature"
	// HeaderTimestamp is the Unix time the request was signed.
	HeaderTimestamp = "X-Clausewatch-Timestamp"
	// HeaderDelivery identifies the delivery ("<hook>-<change>"): the same
	// on every retry, so a receiver can drop repeats.
	HeaderDelivery = "X-Clausewatch-Delivery"
)

// Sign returns the signature header value for body sent at ts.
func Sign(secret string, ts time.Time, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(ts.Unix(), 10)))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Errors of Verify.
var (
	// ErrBadSignature means the signature does not match the body.
	ErrBadSignature = errors.New("web: webhook signature does not match")
	// ErrStale means the timestamp is too far from now (a replay?).
	ErrStale = errors.New("web: webhook timestamp outside the tolerance")
)

// Verify checks a webhook request's signature as a receiver should: the
// HMAC over timestamp and body, compared in constant time, and the
// timestamp within tolerance of now.
func Verify(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	sec, err := strconv.ParseInt(h.Get(HeaderTimestamp), 10, 64)
	if err != nil {
		return fmt.Errorf("%w: no valid %s header", ErrBadSignature, HeaderTimestamp)
	}
	ts := time.Unix(sec, 0)
	if d := now.Sub(ts); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: signed at %s", ErrStale, ts.UTC().Format(time.RFC3339))
	}
	if !hmac.Equal([]byte(Sign(secret, ts, body)), []byte(h.Get(HeaderSignature))) {
		return ErrBadSignature
	}
	return nil
}

// Payload is what a JSON webhook receives for each change.
type Payload struct {
	Event    string    `json:"event"` // "change"
	Delivery string    `json:"delivery"`
	Sent     time.Time `json:"sent"`
	Change   apiChange `json:"change"`
}

// DelivererOptions configures a Deliverer.
type DelivererOptions struct {
	DB store.Store
	// BaseURL makes the links in payloads absolute.
	BaseURL string
	// AllowPrivate lets webhooks post to loopback, private and other
	// non-public addresses (serve --webhooks-allow-private). Off, the
	// SSRF guard of package fetch checks each receiver's addresses when
	// it connects, as for sources, and the API refuses such a URL.
	AllowPrivate bool
	// Resolver resolves receivers' host names. Default
	// net.DefaultResolver.
	Resolver fetch.Resolver
	// Backoff are the waits before each retry; after the last, the
	// delivery is given up as failed. Default 30s, 2m, 10m, 1h, 6h, 24h.
	Backoff []time.Duration
	// Poll is the longest wait between looks for work. Default 30s.
	Poll    time.Duration
	Metrics *Metrics
	Logger  *slog.Logger
	Now     func() time.Time
}

// Deliverer sends each recorded change to every webhook, in order,
// retrying with backoff. What was delivered is recorded in the database
// with the webhook's cursor, so a restart neither repeats nor skips a
// delivery.
type Deliverer struct {
	opts   DelivererOptions
	db     store.Store
	guard  *fetch.Guard
	client *http.Client
	wake   chan struct{}
}

// NewDeliverer returns a deliverer; Run starts it.
func NewDeliverer(opts DelivererOptions) *Deliverer {
	guard := fetch.NewGuard(fetch.GuardOptions{AllowPrivate: opts.AllowPrivate, Resolver: opts.Resolver})
	client := &http.Client{Transport: guard.Transport(), Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if opts.Backoff == nil {
		opts.Backoff = defaultBackoff()
	}
	if opts.Poll <= 0 {
		opts.Poll = 30 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Deliverer{opts: opts, db: opts.DB, guard: guard, client: client, wake: make(chan struct{}, 1)}
}

// CheckURL refuses a receiver URL the deliverer would not post to (see
// fetch.Guard.CheckURL): the API asks before it stores a webhook.
func (d *Deliverer) CheckURL(ctx context.Context, rawURL string) error {
	return d.guard.CheckURL(ctx, rawURL)
}

// Notify says a change was recorded or a hook added: look for work now.
func (d *Deliverer) Notify() { notify(d.wake) }

// Run delivers until ctx is done.
func (d *Deliverer) Run(ctx context.Context) error {
	runLoop(ctx, d.wake, d.opts.Poll, d.Deliver)
	return nil
}

// Deliver makes one pass: every webhook sends what it has due, in change
// order, until it is up to date or waiting for a retry. Webhooks are
// served concurrently, so one slow receiver does not hold up the others.
// It returns how long until the next retry is due.
func (d *Deliverer) Deliver(ctx context.Context) time.Duration {
	hooks, err := d.db.Webhooks(ctx)
	if err != nil {
		d.opts.Logger.ErrorContext(ctx, "webhooks: list", "err", err)
		return d.opts.Poll
	}
	var mu sync.Mutex
	wait := d.opts.Poll
	var wg sync.WaitGroup
	for _, h := range hooks {
		wg.Go(func() {
			w := d.deliverHook(ctx, h)
			mu.Lock()
			wait = min(wait, w)
			mu.Unlock()
		})
	}
	wg.Wait()
	return wait
}

// deliverBatch bounds the changes one hook reads per step.
const deliverBatch = 50

func (d *Deliverer) deliverHook(ctx context.Context, h store.Webhook) time.Duration {
	log := d.opts.Logger.With("webhook", h.ID, "url", h.URL)
	for ctx.Err() == nil {
		changes, err := d.db.ChangesAfter(ctx, h.Cursor, deliverBatch)
		if err != nil {
			log.ErrorContext(ctx, "webhook: read changes", "err", err)
			return d.opts.Poll
		}
		if len(changes) == 0 {
			return d.opts.Poll
		}
		for _, c := range changes {
			if c.Reextracted || (h.RevetOnly && !c.Revet) {
				if err := d.db.SkipChange(ctx, h.ID, c.ID); err != nil {
					log.ErrorContext(ctx, "webhook: skip change", "change", c.ID, "err", err)
					return d.opts.Poll
				}
				h.Cursor = c.ID
				continue
			}
			wait, done := d.attempt(ctx, log, h, c)
			if !done {
				return wait
			}
			h.Cursor = c.ID
		}
	}
	return d.opts.Poll
}

// attempt tries one delivery if it is due; done is true when the change
// is finished with (delivered, or given up), else wait says when to try.
func (d *Deliverer) attempt(ctx context.Context, log *slog.Logger, h store.Webhook, c store.Change) (wait time.Duration, done bool) {
	now := d.opts.Now()
	dl, err := d.db.Delivery(ctx, h.ID, c.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		dl = store.Delivery{Hook: h.ID, Change: c.ID, State: store.DeliveryPending, First: now}
	case err != nil:
		log.ErrorContext(ctx, "webhook: read delivery", "change", c.ID, "err", err)
		return d.opts.Poll, false
	default:
		if wait, try, finished := due(dl.State, dl.Next, now); !try {
			return wait, finished // finished: before a crash moved the cursor
		}
	}
	status, sendErr := d.send(ctx, h, c, dl.ID())
	if ctx.Err() != nil {
		return 0, false // shutting down: the attempt does not count
	}
	dl.Attempts++
	dl.Last, dl.Status, dl.Error = d.opts.Now(), status, ""
	// A refused address is given up at once: retrying cannot help.
	dl.State, dl.Next = backoff(d.opts.Backoff).settle(dl.Attempts, dl.Last, sendErr, errors.Is(sendErr, fetch.ErrBlocked))
	switch dl.State {
	case store.DeliveryDelivered:
		d.observe("delivered")
		log.InfoContext(ctx, "webhook delivered", "change", c.ID, "status", status, "attempts", dl.Attempts)
	case store.DeliveryFailed:
		dl.Error = sendErr.Error()
		d.observe("failed")
		log.ErrorContext(ctx, "webhook delivery given up", "change", c.ID, "attempts", dl.Attempts, "err", sendErr)
	default:
		dl.Error = sendErr.Error()
		d.observe("retry")
		log.WarnContext(ctx, "webhook delivery failed; will retry", "change", c.ID, "attempts", dl.Attempts, "next", dl.Next, "err", sendErr)
	}
	if err := d.db.RecordDelivery(ctx, dl); err != nil {
		log.ErrorContext(ctx, "webhook: record delivery", "change", c.ID, "err", err)
		return d.opts.Poll, false
	}
	if dl.State == store.DeliveryPending {
		return dl.Next.Sub(d.opts.Now()), false
	}
	return 0, true
}

func (d *Deliverer) observe(result string) {
	if d.opts.Metrics != nil {
		d.opts.Metrics.observeDelivery(result)
	}
}

// send POSTs one change; an error for anything but a 2xx answer.
func (d *Deliverer) send(ctx context.Context, h store.Webhook, c store.Change, deliveryID string) (int, error) {
	srcs, err := d.db.SourcesByID(ctx, []uint64{c.SourceID})
	if err != nil {
		return 0, err
	}
	e := entry{Change: c, Source: srcs[c.SourceID]}
	if e.Triage.State == "" {
		e.Triage.State = store.TriageNew
	}
	now := d.opts.Now()
	body, err := payload(h.Format, d.opts.BaseURL, e, deliveryID, now)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "clausewatch-webhook/1")
	req.Header.Set(HeaderDelivery, deliveryID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(HeaderSignature, Sign(h.Secret, now, body))
	resp, err := d.client.Do(req)
	if errors.Is(err, fetch.ErrBlocked) {
		// Nothing was dialled: the message is the guard's, the same for
		// an open port and a closed one.
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, fmt.Errorf("post to %s: blocked by SSRF guard: %w", h.URL, err)
	}
	if err != nil {
		return 0, fmt.Errorf("post to %s: %w", h.URL, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("post to %s: %s", h.URL, resp.Status)
	}
	return resp.StatusCode, nil
}

// payload renders a change for a webhook format.
func payload(format, base string, e entry, deliveryID string, now time.Time) ([]byte, error) {
	if format == store.HookSlack {
		var b strings.Builder
		verdict := "no re-vet"
		if e.Revet {
			verdict = "*re-vet*"
		}
		fmt.Fprintf(&b, "%s — %s changed (%s): %s", slackEscape(e.Source.Supplier), slackEscape(e.Source.Name), verdict, slackEscape(e.Summary))
		if e.Rewrite {
			fmt.Fprintf(&b, "\n*%s*", slackEscape(e.Headline()))
		}
		// The top three ranked changes say what matters; records from
		// before the ranking fall back on the reasons.
		if items := e.ranked(); len(items) > 0 {
			for _, it := range items[:min(len(items), slackRanked)] {
				fmt.Fprintf(&b, "\n• %s", slackEscape(it.Line()))
			}
		} else {
			for _, r := range e.Reasons {
				fmt.Fprintf(&b, "\n• %s", slackEscape(r))
			}
		}
		fmt.Fprintf(&b, "\n<%s|Open the change>", base+e.Link())
		return json.Marshal(map[string]string{"text": b.String()})
	}
	return json.Marshal(Payload{Event: "change", Delivery: deliveryID, Sent: now.UTC(), Change: toAPIChange(base, e)})
}

// slackRanked is how many ranked changes a Slack message lists.
const slackRanked = 3

// slackEscape escapes the three characters Slack's mrkdwn gives meaning
// to, so a supplier's text cannot make links or mentions.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// CheckWebhookURL refuses (with an error wrapping fetch.ErrBlocked) a
// webhook URL that check — the deliverer's SSRF guard — would not post
// to: on a loopback, private or other non-public address, unless the
// operator allowed those (serve --webhooks-allow-private).
func CheckWebhookURL(ctx context.Context, rawURL string, check func(context.Context, string) error) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second) // bounds the DNS lookup
	defer cancel()
	err := check(ctx, rawURL)
	if errors.Is(err, fetch.ErrBlocked) {
		return fmt.Errorf("webhook URL refused by the SSRF guard: %w; the operator can allow private receivers with serve --webhooks-allow-private", err)
	}
	return nil // a malformed URL is the store's to refuse
}
