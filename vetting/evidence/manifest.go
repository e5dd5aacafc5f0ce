package evidence

import (
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/clausewatch/clausewatch/diff"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/vetting"
)

// Format names the bundle layout this package writes and reads.
const Format = "clausewatch-evidence/1"

// The outcomes a bundle can show.
const (
	// Met: the first capture showing a change is inside the window.
	Met = "met"
	// Missed: the first capture showing a change is after the window.
	Missed = "missed"
	// NoChange: the window has closed and no capture shows a change.
	NoChange = "no-change"
	// Open: the window is still open and no capture shows a change yet.
	Open = "open"
)

// The roles of the captures in a bundle.
const (
	// RoleBefore: the last capture of the policy before the notification.
	RoleBefore = "before"
	// RoleAfter: the first capture showing a different text after it.
	RoleAfter = "after"
	// RoleLast: with no change, the latest capture after the notification
	// (still showing the old text).
	RoleLast = "last"
)

// Names of the bundle's fixed members.
const (
	nameManifest  = "manifest.json"
	nameSignature = "manifest.sig"
	nameSummary   = "summary.html"
	nameKey       = "key.txt"
	nameDeadline  = "deadline.json"
	nameDiffJSON  = "diff/diff.json"
	nameDiffHTML  = "diff/diff.html"
	nameRules     = "diff/rules.yaml"
	nameLatest    = "log/checkpoint.txt"
	nameEarlier   = "log/earlier-checkpoint.txt"
	nameProofs    = "log/proofs.json"
)

// Manifest describes a bundle and lists the SHA-256 of every other member.
// It is signed, with the log's key, as EvidencePrefix followed by its JSON.
type Manifest struct {
	Format string `json:"format"`
	// Created is when the bundle was made (UTC, whole seconds); every
	// member of the archive carries it as its modification time.
	Created   time.Time `json:"created"`
	Generator string    `json:"generator"`
	Source    Source    `json:"source"`
	// Notification is the date the update window counts from: an input
	// to the bundle, not something the log proves.
	Notification Notification   `json:"notification"`
	Deadline     Deadline       `json:"deadline"`
	Captures     []CaptureEntry `json:"captures"`
	Log          LogInfo        `json:"log"`
	Diff         *DiffInfo      `json:"diff,omitempty"`
	Files        []FileEntry    `json:"files"`
}

// Source is the watched page the captures are of.
type Source struct {
	ID       uint64   `json:"id"`
	Name     string   `json:"name"`
	URL      string   `json:"url"`
	Supplier string   `json:"supplier,omitempty"`
	Select   []string `json:"select,omitempty"`
	Remove   []string `json:"remove,omitempty"`
	Section  string   `json:"section,omitempty"`
}

// Notification is the vetting notification the window counts from.
type Notification struct {
	Date string `json:"date"`
	Zone string `json:"zone"`
	// At is the instant the notification was sent: captures before it are
	// "before". The start of Date in Zone when only the date is known.
	At time.Time `json:"at"`
	// Recorded is the ID of the notification stored in clausewatch, 0 when
	// the date was given by hand.
	Recorded uint64 `json:"recorded,omitempty"`
}

// Deadline is the window and what the captures show about it.
type Deadline struct {
	Window  Window `json:"window"`
	Outcome string `json:"outcome"`
	// Statement says the outcome in one sentence.
	Statement string `json:"statement"`
}

// CaptureEntry is one capture in the bundle; its files are under Dir.
type CaptureEntry struct {
	Role       string        `json:"role"`
	Dir        string        `json:"dir"`
	Leaf       int64         `json:"leaf"`
	Fetch      uint64        `json:"fetch"`
	Start      time.Time     `json:"start"`
	Outcome    store.Outcome `json:"outcome"`
	BodySHA256 string        `json:"body_sha256"`
	TextSHA256 string        `json:"text_sha256"`
	Body       string        `json:"body"` // the body's member name
	// A rendered capture's body is the rendered DOM; RenderSHA256 is
	// its logged render capture, Render the member holding it, Document
	// and Plain the members holding the document as served and the plain
	// fetch's body (when it differs). Empty for a capture not rendered,
	// and in bundles made before they were carried.
	RenderSHA256 string `json:"render_sha256,omitempty"`
	Render       string `json:"render,omitempty"`
	Document     string `json:"document,omitempty"`
	Plain        string `json:"plain,omitempty"`
}

// LogInfo names the log and the checkpoints the proofs are against.
type LogInfo struct {
	Origin string `json:"origin"`
	// Key is the verifier key of the log (also in key.txt): the bundle's
	// own claim, to be compared with the key the operator publishes.
	Key string `json:"key"`
	// Latest and Earlier are the checkpoints' sizes and signing times.
	LatestSize  int64     `json:"latest_size"`
	LatestTime  time.Time `json:"latest_time"`
	EarlierSize int64     `json:"earlier_size"`
	EarlierTime time.Time `json:"earlier_time"`
}

// DiffInfo summarises the clause diff between the before and after
// captures.
type DiffInfo struct {
	Summary      string      `json:"summary"`
	Revet        bool        `json:"revet"`
	Counts       diff.Counts `json:"counts"`
	Version      string      `json:"version"`
	RulesVersion int         `json:"rules_version"`
}

// FileEntry is one member and its SHA-256.
type FileEntry struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Size   int    `json:"size"`
}

// Proofs is log/proofs.json: where each capture's record is in the log,
// the inclusion proofs against both checkpoints, and the consistency
// proof between them.
type Proofs struct {
	LatestSize  int64         `json:"latest_size"`
	Records     []RecordProof `json:"records"`
	EarlierSize int64         `json:"earlier_size"`
	// Earlier holds inclusion proofs against the earlier checkpoint, for
	// the captures it covers.
	Earlier     []RecordProof `json:"earlier"`
	Consistency []tlog.Hash   `json:"consistency"`
}

// RecordProof is one inclusion proof.
type RecordProof struct {
	Role  string      `json:"role"`
	Leaf  int64       `json:"leaf"`
	Proof []tlog.Hash `json:"proof"`
}

// Window is vetting.Window as bundles write it: its dates as objects
// ({"Year":2022,"Month":6,"Day":1}), the layout they had before
// vetting.Date took the YYYY-MM-DD form of the API, so that bundles
// written before and after stay canonical byte for byte.
type Window struct {
	Notified dateV1    `json:"notified"`
	LastDay  dateV1    `json:"last_day"`
	Due      time.Time `json:"due"`
	Zone     string    `json:"zone"`
	Rule     string    `json:"rule"`
}

// dateV1 is a vetting.Date in the bundle's layout (no text form).
type dateV1 struct {
	Year  int
	Month time.Month
	Day   int
}

// windowOf is w in the bundle's layout.
func windowOf(w vetting.Window) Window {
	return Window{Notified: dateV1(w.Notified), LastDay: dateV1(w.LastDay), Due: w.Due, Zone: w.Zone, Rule: w.Rule}
}
