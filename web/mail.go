package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/clausewatch/clausewatch/mail"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/vetting"
)

// MailerOptions configures a Mailer.
type MailerOptions struct {
	DB     store.Store
	Sender *mail.Sender
	// Program computes the deadlines reminders are about. Default: one
	// on DB with the same clock.
	Program *vetting.Program
	// BaseURL makes the links in messages absolute.
	BaseURL string
	// Backoff are the waits before each retry of a message (the
	// webhooks' schedule by default); Poll the longest wait between
	// passes (default 1m).
	Backoff []time.Duration
	Poll    time.Duration
	// DigestHour is the hour of the day, in Zone, after which the daily
	// digest goes out: 1 to 23, 0 for the default 7, negative for
	// midnight. Zone default UTC.
	DigestHour int
	Zone       *time.Location
	Logger     *slog.Logger
	Now        func() time.Time
}

// Mailer queues e-mail for each subscription — a message per change, a
// daily digest, deadline reminders — and sends what is queued, retrying
// with the webhooks' backoff. A message is built once, when it is queued,
// and stored with the subscription's cursor in one transaction, so a
// restart neither repeats nor skips one, and every retry sends the same
// bytes.
type Mailer struct {
	opts MailerOptions
	db   store.Store
	tpl  *mailTemplates
	wake chan struct{}
	// tests limits each user's test e-mails: the button must not make the
	// daemon a way to send mail to anyone, fast.
	tests captureLimits
}

// errTestLimit refuses a test e-mail over a user's limit.
var errTestLimit = errors.New("web: too many test e-mails; try again in a few minutes")

// NewMailer checks the options and parses the message templates.
func NewMailer(opts MailerOptions) (*Mailer, error) {
	if opts.DB == nil || opts.Sender == nil {
		return nil, errors.New("web: mailer needs a database and a sender")
	}
	if opts.Backoff == nil {
		opts.Backoff = defaultBackoff()
	}
	if opts.Poll <= 0 {
		opts.Poll = time.Minute
	}
	switch {
	case opts.DigestHour > 23:
		return nil, fmt.Errorf("web: digest hour %d (want 0 to 23)", opts.DigestHour)
	case opts.DigestHour == 0:
		opts.DigestHour = 7
	case opts.DigestHour < 0:
		opts.DigestHour = 0 // midnight
	}
	if opts.Zone == nil {
		opts.Zone = time.UTC
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Program == nil {
		opts.Program = &vetting.Program{DB: opts.DB, Now: opts.Now, Logger: opts.Logger}
	}
	tpl, err := parseMailTemplates()
	if err != nil {
		return nil, err
	}
	return &Mailer{opts: opts, db: opts.DB, tpl: tpl, wake: make(chan struct{}, 1),
		tests: captureLimits{every: 2 * time.Minute, burst: 3}}, nil
}

// Notify says a change was recorded or a subscription added: look for
// work now.
func (m *Mailer) Notify() { notify(m.wake) }

// Run plans and sends until ctx is done.
func (m *Mailer) Run(ctx context.Context) error {
	runLoop(ctx, m.wake, m.opts.Poll, m.Deliver)
	return nil
}

// Deliver makes one pass: queue what every subscription has due, then
// send what is queued and due. It returns how long until the next retry.
func (m *Mailer) Deliver(ctx context.Context) time.Duration {
	if err := m.Plan(ctx); err != nil {
		m.opts.Logger.ErrorContext(ctx, "mail: plan", "err", err)
	}
	return m.Send(ctx)
}

// Plan queues the messages every subscription has due at now.
func (m *Mailer) Plan(ctx context.Context) error {
	now := m.opts.Now()
	subs, err := m.db.Subscriptions(ctx)
	if err != nil {
		return err
	}
	var items []vetting.Item
	if slices.ContainsFunc(subs, func(s store.Subscription) bool { return s.Reminders }) {
		if items, err = m.opts.Program.Deadlines(ctx, now); err != nil {
			return fmt.Errorf("deadlines: %w", err)
		}
	}
	var errs []error
	for _, s := range subs {
		var err error
		switch s.Mode {
		case store.MailDigest:
			err = m.planDigest(ctx, s, now)
		default:
			err = m.planImmediate(ctx, s, now)
		}
		if err == nil && s.Reminders {
			err = m.planReminders(ctx, s, items, now)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("subscription %d (%s): %w", s.ID, s.Email, err))
		}
	}
	return errors.Join(errs...)
}

// planBatch bounds the changes read per step.
const planBatch = 50

// planImmediate queues a message for every wanted change after the
// subscription's cursor.
func (m *Mailer) planImmediate(ctx context.Context, s store.Subscription, now time.Time) error {
	for ctx.Err() == nil {
		es, err := m.changesAfter(ctx, s.Cursor, planBatch)
		if err != nil || len(es) == 0 {
			return err
		}
		var mails []store.Mail
		for _, e := range es {
			if !s.Wants(e.Change, e.Source.Supplier) {
				continue
			}
			ml, err := m.changeMail(s, e, now)
			if err != nil {
				return err
			}
			mails = append(mails, ml)
		}
		last := es[len(es)-1].ID
		queued, err := m.db.QueueMail(ctx, s.ID, last, "", mails)
		if err != nil {
			return err
		}
		m.logQueued(ctx, queued)
		s.Cursor = last
	}
	return ctx.Err()
}

// digestMax bounds the changes a digest lists (the rest are counted).
const digestMax = 100

// planDigest queues the day's digest once the digest hour has passed:
// every wanted change since the last one. A day without any sends
// nothing.
func (m *Mailer) planDigest(ctx context.Context, s store.Subscription, now time.Time) error {
	today := vetting.DateOf(now, m.opts.Zone)
	if s.LastDigest == today.String() || now.Before(today.Start(m.opts.Zone).Add(time.Duration(m.opts.DigestHour)*time.Hour)) {
		return nil
	}
	var wanted []entry
	more, cursor := 0, s.Cursor
	for ctx.Err() == nil {
		es, err := m.changesAfter(ctx, cursor, planBatch)
		if err != nil {
			return err
		}
		if len(es) == 0 {
			break
		}
		for _, e := range es {
			switch {
			case !s.Wants(e.Change, e.Source.Supplier):
			case len(wanted) < digestMax:
				wanted = append(wanted, e)
			default:
				more++
			}
		}
		cursor = es[len(es)-1].ID
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	var mails []store.Mail
	if len(wanted) > 0 {
		ml, err := m.digestMail(s, today, wanted, more, now)
		if err != nil {
			return err
		}
		mails = append(mails, ml)
	}
	queued, err := m.db.QueueMail(ctx, s.ID, cursor, today.String(), mails)
	m.logQueued(ctx, queued)
	return err
}

// planReminders queues a reminder for each deadline of the
// subscription's suppliers whose reminder day has come (vetting.Remind),
// once.
func (m *Mailer) planReminders(ctx context.Context, s store.Subscription, items []vetting.Item, now time.Time) error {
	for _, it := range items {
		if !s.Covers(it.Supplier) || !vetting.Remind(it, now) {
			continue
		}
		key := "reminder/" + strconv.FormatUint(s.ID, 10) + "/" + it.Supplier + "/" + it.ID
		done, err := m.db.MailQueued(ctx, key)
		if err != nil {
			return err
		}
		if done {
			continue
		}
		ml, err := m.reminderMail(s, it, now)
		if err != nil {
			return err
		}
		ml.Key = key
		queued, err := m.db.QueueMail(ctx, s.ID, 0, "", []store.Mail{ml})
		if err != nil {
			return err
		}
		m.logQueued(ctx, queued)
	}
	return nil
}

// changesAfter reads changes with their sources.
func (m *Mailer) changesAfter(ctx context.Context, after uint64, limit int) ([]entry, error) {
	cs, err := m.db.ChangesAfter(ctx, after, limit)
	if err != nil || len(cs) == 0 {
		return nil, err
	}
	ids := make([]uint64, len(cs))
	for i, c := range cs {
		ids[i] = c.SourceID
	}
	srcs, err := m.db.SourcesByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	es := make([]entry, len(cs))
	for i, c := range cs {
		es[i] = entry{Change: c, Source: srcs[c.SourceID]}
	}
	return es, nil
}

func (m *Mailer) logQueued(ctx context.Context, queued []store.Mail) {
	for _, ml := range queued {
		m.opts.Logger.InfoContext(ctx, "mail queued", "mail", ml.ID, "kind", ml.Kind, "subscription", ml.Sub, "key", ml.Key)
	}
}

// Send sends every queued message that is due, oldest first, and returns
// how long until the next retry is due (at most Poll).
func (m *Mailer) Send(ctx context.Context) time.Duration {
	wait := m.opts.Poll
	pending, err := m.db.PendingMail(ctx)
	if err != nil {
		m.opts.Logger.ErrorContext(ctx, "mail: read the outbox", "err", err)
		return wait
	}
	for _, ml := range pending {
		if ctx.Err() != nil {
			break
		}
		w, try, _ := due(ml.State, ml.Next, m.opts.Now())
		if try {
			w = m.attempt(ctx, ml)
		}
		if w > 0 {
			wait = min(wait, w)
		}
	}
	return wait
}

// attempt sends one message and records the outcome; it returns the
// wait until its retry (0 when it is finished).
func (m *Mailer) attempt(ctx context.Context, ml store.Mail) time.Duration {
	log := m.opts.Logger.With("mail", ml.ID, "kind", ml.Kind, "subscription", ml.Sub)
	sendErr := m.opts.Sender.Send(ctx, []string{ml.To}, ml.Message)
	if ctx.Err() != nil {
		return 0 // shutting down: the attempt does not count
	}
	ml.Attempts++
	ml.Last, ml.Error = m.opts.Now(), ""
	ml.State, ml.Next = backoff(m.opts.Backoff).settle(ml.Attempts, ml.Last, sendErr, !mail.Temporary(sendErr))
	switch ml.State {
	case store.DeliveryDelivered:
		log.InfoContext(ctx, "mail sent", "attempts", ml.Attempts)
	case store.DeliveryFailed:
		ml.Error = sendErr.Error()
		log.ErrorContext(ctx, "mail given up", "attempts", ml.Attempts, "err", sendErr)
	default:
		ml.Error = sendErr.Error()
		log.WarnContext(ctx, "mail not sent; will retry", "attempts", ml.Attempts, "next", ml.Next, "err", sendErr)
	}
	if err := m.db.RecordMail(ctx, ml); err != nil {
		log.ErrorContext(ctx, "mail: record attempt", "err", err)
		return m.opts.Poll
	}
	if ml.State == store.DeliveryPending {
		return max(ml.Next.Sub(m.opts.Now()), time.Nanosecond)
	}
	return 0
}

// SendTest sends a test message to an address at once and says how it
// went: the "send test e-mail" button. Each user may send three at once,
// then one every two minutes (errTestLimit).
func (m *Mailer) SendTest(ctx context.Context, to, by string) error {
	if err := mail.ValidAddress(to); err != nil {
		return fmt.Errorf("%w: %w", store.ErrInvalid, err)
	}
	if !m.tests.limiter(by).AllowN(m.opts.Now(), 1) {
		return errTestLimit
	}
	msg, err := m.testMessage(to, by, m.opts.Now())
	if err != nil {
		return err
	}
	if err := m.opts.Sender.Send(ctx, []string{to}, msg); err != nil {
		m.opts.Logger.WarnContext(ctx, "test e-mail failed", "to", to, "by", by, "err", err)
		return err
	}
	m.opts.Logger.InfoContext(ctx, "test e-mail sent", "to", to, "by", by)
	return nil
}

// Server describes the SMTP server, without secrets.
func (m *Mailer) Server() string { return m.opts.Sender.Config().String() }
