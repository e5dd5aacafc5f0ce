package store

import (
	"context"
	"io"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// The store's contract, by concern: what the rest of clausewatch asks of
// a database, whichever backend keeps it (bbolt in this package, and
// PostgreSQL in package pgstore; decision record 0036). A caller asks
// for the narrowest interface it needs; Store is all of them. The
// conformance suite in package storetest holds every backend to the
// behaviour these methods document on *DB.

// Sources are the pages watched and what the pipeline knows of each.
type Sources interface {
	AddSource(ctx context.Context, s Source) (Source, error)
	AddSources(ctx context.Context, srcs []Source) ([]Source, error)
	UpdateSource(ctx context.Context, s Source) error
	GrantPrivate(ctx context.Context, id uint64, url string) error
	Source(ctx context.Context, ref string) (Source, error)
	SourceByID(ctx context.Context, id uint64) (Source, error)
	Sources(ctx context.Context) ([]Source, error)
	SourcesByID(ctx context.Context, ids []uint64) (map[uint64]Source, error)
	State(ctx context.Context, sourceID uint64) (State, error)
	StatesByID(ctx context.Context, ids []uint64) (map[uint64]State, error)
}

// Schedule is the daemon's queue of due checks.
type Schedule interface {
	SetDue(ctx context.Context, due Due) error
	SetDues(ctx context.Context, dues []Due) error
	DeleteDue(ctx context.Context, sourceID uint64) error
	DueOf(ctx context.Context, sourceID uint64) (Due, error)
	Dues(ctx context.Context) ([]Due, error)
	DueBy(ctx context.Context, t time.Time, limit int) ([]Due, error)
	DueByExcept(ctx context.Context, t time.Time, limit int, skip func(sourceID uint64) bool) ([]Due, error)
}

// History is what the checks record: fetches, versions, generations and
// the content-addressed blobs they point at.
type History interface {
	Record(ctx context.Context, r Record) (Fetch, *Change, error)
	ReplaceGeneration(ctx context.Context, sourceID, rev uint64, g Generation) (uint64, error)
	Fetches(ctx context.Context, sourceID uint64, from, to time.Time, limit int) ([]Fetch, error)
	FetchAt(ctx context.Context, sourceID uint64, start time.Time, id uint64) (Fetch, error)
	Versions(ctx context.Context, sourceID uint64) ([]Version, error)
	GenerationVersions(ctx context.Context, sourceID, gen uint64) ([]Version, error)
	VersionAt(ctx context.Context, sourceID uint64, t time.Time) (Version, error)
	Blob(ctx context.Context, hash string) ([]byte, error)
	PutBlobs(ctx context.Context, data ...[]byte) ([]string, error)
	BlobStats(ctx context.Context) (count int, stored int64, err error)
}

// Feed is the recorded changes, their triage and the pages the web UI
// reads them in.
type Feed interface {
	Changes(ctx context.Context, f ChangeFilter) ([]Change, error)
	Change(ctx context.Context, id uint64) (Change, error)
	SetTriage(ctx context.Context, id uint64, t Triage) error
	ChangePage(ctx context.Context, q ChangeQuery) ([]Change, uint64, error)
	ChangesAfter(ctx context.Context, id uint64, limit int) ([]Change, error)
	Census(ctx context.Context, t time.Time) (Counts, error)
}

// Log is the transparency log of fetches: its checkpoints, proofs and
// key.
type Log interface {
	PublicKey(ctx context.Context) (string, error)
	KeyFile() string
	LogSize(ctx context.Context) (int64, error)
	LogIndex(ctx context.Context, fetchID uint64) (int64, error)
	LatestCheckpoint(ctx context.Context) (SignedCheckpoint, error)
	Checkpoints(ctx context.Context) ([]SignedCheckpoint, error)
	ProveRecord(ctx context.Context, size, n int64) (tlog.RecordProof, error)
	ProveTree(ctx context.Context, size, old int64) (tlog.TreeProof, error)
	SignEvidence(text []byte) ([]byte, error)
	CheckLog(ctx context.Context) (LogReport, error)
}

// Auth is the API tokens and the browser sessions signed in with them.
type Auth interface {
	CreateToken(ctx context.Context, name string, role Role) (string, Token, error)
	TokenFor(ctx context.Context, secret string) (Token, error)
	Tokens(ctx context.Context) ([]Token, error)
	RevokeToken(ctx context.Context, name string) error
	// SetTokenRole gives the token named name role, at once for its
	// sessions too (SessionFor reads the token's current role). It
	// refuses, with ErrLastAdmin, to demote the only admin.
	SetTokenRole(ctx context.Context, name string, role Role) (Token, error)
	CreateSession(ctx context.Context, tok Token, ttl time.Duration) (string, Session, error)
	SessionFor(ctx context.Context, secret string) (Session, error)
	EndSession(ctx context.Context, secret string) error
}

// Hooks is the webhooks and their deliveries.
type Hooks interface {
	AddWebhook(ctx context.Context, h Webhook) (Webhook, error)
	Webhooks(ctx context.Context) ([]Webhook, error)
	Webhook(ctx context.Context, id uint64) (Webhook, error)
	DeleteWebhook(ctx context.Context, id uint64) error
	Delivery(ctx context.Context, hook, change uint64) (Delivery, error)
	Deliveries(ctx context.Context, hook uint64, limit int) ([]Delivery, error)
	RecordDelivery(ctx context.Context, dl Delivery) error
	SkipChange(ctx context.Context, hook, change uint64) error
}

// Mailing is the e-mail subscriptions and their outbox (decision record
// 0034).
type Mailing interface {
	AddSubscription(ctx context.Context, s Subscription) (Subscription, error)
	Subscriptions(ctx context.Context) ([]Subscription, error)
	// SubscriptionsOf lists one owner's ("": the admins').
	SubscriptionsOf(ctx context.Context, owner string) ([]Subscription, error)
	Subscription(ctx context.Context, id uint64) (Subscription, error)
	DeleteSubscription(ctx context.Context, id uint64) error
	// DeleteOwnSubscription deletes only a subscription owner owns;
	// another's is ErrNotFound, as a missing one.
	DeleteOwnSubscription(ctx context.Context, id uint64, owner string) error
	QueueMail(ctx context.Context, sub, cursor uint64, digest string, mails []Mail) ([]Mail, error)
	MailQueued(ctx context.Context, key string) (bool, error)
	PendingMail(ctx context.Context) ([]Mail, error)
	RecordMail(ctx context.Context, m Mail) error
	Mails(ctx context.Context, sub uint64, limit int) ([]Mail, error)
}

// Vetting is the seal programme's suppliers, notifications, rubrics and
// pinned baselines.
type Vetting interface {
	PutSupplier(ctx context.Context, s Supplier) (Supplier, error)
	Supplier(ctx context.Context, name string) (Supplier, error)
	Suppliers(ctx context.Context) ([]Supplier, error)
	CreateSupplierToken(ctx context.Context, name string) (string, error)
	SupplierForToken(ctx context.Context, secret string) (Supplier, error)
	AddNotification(ctx context.Context, n Notification) (Notification, error)
	Notification(ctx context.Context, id uint64) (Notification, error)
	Notifications(ctx context.Context, supplier string) ([]Notification, error)
	UpdateNotification(ctx context.Context, id uint64, fn func(*Notification) error) (Notification, error)
	AddRubric(ctx context.Context, r Rubric) (Rubric, error)
	Rubrics(ctx context.Context) ([]Rubric, error)
	PinBaseline(ctx context.Context, b Baseline) (Baseline, error)
	Baselines(ctx context.Context, source uint64) ([]Baseline, error)
	DeleteBaseline(ctx context.Context, source uint64, name string) error
}

// Admin is the database as a whole: its identity, health, size and
// closing.
type Admin interface {
	Instance(ctx context.Context) (string, error)
	Schema(ctx context.Context) (int, error)
	Check(ctx context.Context) error
	Size(ctx context.Context) (int64, error)
	Close() error
}

// FileBackup is a backend that copies itself to a file (bbolt). It is not
// part of Store: a PostgreSQL database is backed up with PostgreSQL's own
// tools (pg_dump, base backups), not through clausewatch.
type FileBackup interface {
	Backup(ctx context.Context, w io.Writer) (int64, error)
	BackupFile(ctx context.Context, path string) (int64, error)
}

// Store is the whole contract: every backend implements it.
type Store interface {
	Sources
	Schedule
	History
	Feed
	Log
	Auth
	Hooks
	Mailing
	Vetting
	Admin
}

// *DB, the bbolt backend, keeps the whole contract.
var (
	_ Store      = (*DB)(nil)
	_ FileBackup = (*DB)(nil)
)
