package store

import (
	"encoding/json"
	"time"
)

// Kind is what sort of document a source is.
type Kind string

// The kinds of source.
const (
	Privacy Kind = "privacy"
	Terms   Kind = "terms"
)

// Source is a page to watch and how to read it.
type Source struct {
	V        int      `json:"v"`
	ID       uint64   `json:"id"`
	Name     string   `json:"name"`
	URL      string   `json:"url"`
	Supplier string   `json:"supplier"`
	Kind     Kind     `json:"kind"`
	Schedule string   `json:"schedule,omitempty"` // cron spec; empty means the daemon's default
	Select   []string `json:"select,omitempty"`   // CSS selectors for the policy text
	Remove   []string `json:"remove,omitempty"`   // CSS selectors to drop
	// Section is the heading of the document to keep when the page holds
	// several (extract.Options.Section); empty keeps the whole policy.
	Section string    `json:"section,omitempty"`
	Paused  bool      `json:"paused,omitempty"`
	Added   time.Time `json:"added"`
	// Origin says how the source came in: "cli", "watchlist" or "api".
	Origin string `json:"origin"`
	// AllowPrivate switches the SSRF guard off for this source (an
	// operator's local page). Never set for sources added over the API.
	AllowPrivate bool `json:"allow_private,omitempty"`
	// Render says when the source is read in a browser (see RenderMode);
	// empty is RenderAuto.
	Render RenderMode `json:"render,omitempty"`
	// Archived hides a source from the default lists; an archived source
	// is also paused. Its history is kept, like every source's.
	Archived bool `json:"archived,omitempty"`
	// Tags are the staff's own labels for filtering (see ValidTags).
	Tags []string `json:"tags,omitempty"`
}

// Outcome is what one fetch meant.
type Outcome string

// The outcomes of a fetch. Only New and Changed start a version.
const (
	// OutcomeNew: the first version of the source was recorded.
	OutcomeNew Outcome = "new"
	// OutcomeChanged: a confirmed change; a new version was recorded.
	OutcomeChanged Outcome = "changed"
	// OutcomeUnchanged: the same clause text as the current version.
	OutcomeUnchanged Outcome = "unchanged"
	// OutcomeNotModified: the server answered 304.
	OutcomeNotModified Outcome = "not-modified"
	// OutcomePending: the text differs from the current version; a second
	// fetch must confirm it before it is recorded.
	OutcomePending Outcome = "pending"
	// OutcomeFlip: the text is a version seen before, not the current one
	// (A/B pages, rotating content); noted, not recorded as a change.
	OutcomeFlip Outcome = "flip"
	// OutcomeSuspect: a page came back but is not the policy (challenge,
	// error or login page, empty, drastically shrunk, redirected away).
	OutcomeSuspect Outcome = "suspect"
	// OutcomeFailed: no usable answer (network, TLS or HTTP error, too
	// large, redirect loop).
	OutcomeFailed Outcome = "failed"
)

// Good reports whether the fetch saw the policy (new, changed, unchanged,
// not modified).
func (o Outcome) Good() bool {
	return o == OutcomeNew || o == OutcomeChanged || o == OutcomeUnchanged || o == OutcomeNotModified
}

// Fetch is one fetch attempt, kept for every attempt whatever its outcome.
type Fetch struct {
	V        int       `json:"v"`
	ID       uint64    `json:"id"`
	SourceID uint64    `json:"source"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	URL      string    `json:"url"`
	FinalURL string    `json:"final_url,omitempty"`
	Status   int       `json:"status,omitempty"`
	Outcome  Outcome   `json:"outcome"`
	// Reason says why a fetch is suspect, pending or a flip, in words.
	Reason string `json:"reason,omitempty"`
	// Error is the fetch or extraction error, if any.
	Error string `json:"error,omitempty"`
	// Attempts counts the requests including retries.
	Attempts int `json:"attempts,omitempty"`
	// BodySHA256 is the hex SHA-256 of the raw body, the key of its blob.
	BodySHA256 string `json:"body_sha256,omitempty"`
	BodySize   int    `json:"body_size,omitempty"`
	// DocSHA256 is the key of the extracted document's blob.
	DocSHA256 string `json:"doc_sha256,omitempty"`
	// TextSHA256 identifies the clause text (what versions compare).
	TextSHA256 string `json:"text_sha256,omitempty"`
	Words      int    `json:"words,omitempty"`
	// Version is the sequence number of the version this fetch saw or
	// started (0 when none).
	Version uint64 `json:"version,omitempty"`
	// Proto is the response's protocol ("HTTP/1.1", "HTTP/2.0").
	Proto string `json:"proto,omitempty"`
	// Header holds the response headers kept (all but Set-Cookie).
	Header map[string][]string `json:"header,omitempty"`
	// RequestHeader holds the headers sent, Host included.
	RequestHeader  map[string][]string `json:"request_header,omitempty"`
	RemoteAddr     string              `json:"remote_addr,omitempty"`
	TLS            *TLS                `json:"tls,omitempty"`
	UserAgent      string              `json:"user_agent,omitempty"`
	AcceptLanguage string              `json:"accept_language,omitempty"`
	Extractor      string              `json:"extractor,omitempty"`
	// RenderSHA256 is the key of the RenderCapture blob when the page was
	// read in a browser: then the body is the rendered DOM, and the
	// capture holds the document response as the browser got it, the
	// requests the page made, the browser and the wait.
	RenderSHA256 string `json:"render_sha256,omitempty"`
}

// TLS are the facts of an HTTPS fetch.
type TLS struct {
	Version     string    `json:"version"`
	CipherSuite string    `json:"cipher_suite"`
	ServerName  string    `json:"server_name"`
	PeerSHA256  string    `json:"peer_sha256"`
	Subject     string    `json:"subject"`
	Issuer      string    `json:"issuer"`
	NotAfter    time.Time `json:"not_after"`
}

// Version is one distinct clause text of a source, with the interval in
// which it was seen.
type Version struct {
	V          int    `json:"v"`
	Seq        uint64 `json:"seq"`
	SourceID   uint64 `json:"source"`
	Generation uint64 `json:"generation"`
	TextSHA256 string `json:"text_sha256"`
	DocSHA256  string `json:"doc_sha256"`
	BodySHA256 string `json:"body_sha256"`
	// FirstSeen and FirstFetch are the fetch that first saw this text
	// (before confirmation); LastSeen and LastFetch the latest good fetch
	// that still saw it.
	FirstSeen  time.Time `json:"first_seen"`
	FirstFetch uint64    `json:"first_fetch"`
	LastSeen   time.Time `json:"last_seen"`
	LastFetch  uint64    `json:"last_fetch"`
	// Extractor is the extract.Version that read the text.
	Extractor string `json:"extractor"`
	// Reading fingerprints the extractor and the source's selectors when
	// the version was read: a later fetch of the same bytes read the same
	// way has the same text and need not be read again.
	Reading string `json:"reading,omitempty"`
	// Reextracted marks versions rebuilt by reextract from stored bodies.
	Reextracted bool   `json:"reextracted,omitempty"`
	Title       string `json:"title,omitempty"`
	Updated     string `json:"updated,omitempty"` // the policy's own "last updated" date
	Clauses     int    `json:"clauses"`
	Words       int    `json:"words"`
}

// TriageState is where a change stands with the program staff.
type TriageState string

// The triage states.
const (
	TriageNew       TriageState = "new"
	TriageReviewed  TriageState = "reviewed"
	TriageRevet     TriageState = "revet"
	TriageDismissed TriageState = "dismissed"
)

// Triage is the staff's decision on a change.
type Triage struct {
	State TriageState `json:"state"`
	At    time.Time   `json:"at,omitzero"`
	By    string      `json:"by,omitempty"`
	Note  string      `json:"note,omitempty"`
}

// TriageEntry is one triage decision in a change's history: who moved it
// from which state to which, when, and why (decision record 0043).
type TriageEntry struct {
	At   time.Time   `json:"at"`
	By   string      `json:"by,omitempty"`
	From TriageState `json:"from"`
	To   TriageState `json:"to"`
	Note string      `json:"note,omitempty"`
}

// Change is a recorded difference between two consecutive versions.
type Change struct {
	V          int    `json:"v"`
	ID         uint64 `json:"id"`
	SourceID   uint64 `json:"source"`
	Generation uint64 `json:"generation"`
	From       uint64 `json:"from"` // version seq
	To         uint64 `json:"to"`
	// After and Detected bound when the change went live: the last fetch
	// that saw the old text and the first that saw the new one.
	After    time.Time `json:"after"`
	Detected time.Time `json:"detected"`
	// Recorded is when the change was written (after confirmation).
	Recorded time.Time `json:"recorded"`
	Revet    bool      `json:"revet"`
	Summary  string    `json:"summary"`
	// Reasons say why re-vetting is needed: the substantive changes'
	// reasons, each once, at most maxReasons (the diff blob has all).
	Reasons    []string       `json:"reasons,omitempty"`
	Categories []string       `json:"categories,omitempty"`
	Counts     map[string]int `json:"counts,omitempty"`
	// Rewrite, Gist and Rank are the diff's reading aids, kept with the
	// change so that feeds and webhooks show them without reading the
	// diff blob: Gist is the diff.Gist as JSON, Rank the first few
	// diff.RankItems as a JSON array. Changes recorded before them have
	// none.
	Rewrite bool            `json:"rewrite,omitempty"`
	Gist    json.RawMessage `json:"gist,omitempty"`
	Rank    json.RawMessage `json:"rank,omitempty"`
	// DiffSHA256 is the blob holding the diff.Result as JSON.
	DiffSHA256   string `json:"diff_sha256"`
	DiffVersion  string `json:"diff_version"`
	RulesVersion string `json:"rules_version"`
	// Reextracted marks changes between rebuilt versions: not policy
	// changes for the feed.
	Reextracted bool `json:"reextracted,omitempty"`
	// Triage is where the change stands now (the feed filters on it);
	// TriageHistory is every decision that led there, oldest first.
	// Changes triaged before the history was kept have none for those
	// decisions.
	Triage        Triage        `json:"triage"`
	TriageHistory []TriageEntry `json:"triage_history,omitempty"`
}

// Health says whether a source is being tracked properly.
type Health string

// The health of a source.
const (
	HealthOK Health = "ok"
	// HealthFailing: recent fetches failed or were suspect, but not long
	// enough to call tracking broken.
	HealthFailing Health = "failing"
	// HealthBroken: the source keeps failing, answers 404/410 or redirects
	// elsewhere. Its last good version is kept; the policy is not
	// considered deleted.
	HealthBroken Health = "broken"
	// HealthUnstable: the page is read, but its text differs on every
	// fetch (a token or a clock in the text), so no new text is seen
	// twice and no change can be confirmed. The reason shows the clauses
	// that differ.
	HealthUnstable Health = "unstable"
)

// State is what the pipeline knows about a source between fetches.
type State struct {
	V        int    `json:"v"`
	SourceID uint64 `json:"source"`
	// Rev increases with every write; Record refuses a state computed
	// from an older one.
	Rev uint64 `json:"rev"`
	// ETag and LastModified are the validators for the next request.
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	// Generation is the current extraction generation; Current the seq
	// of its latest version (0 when none).
	Generation uint64 `json:"generation"`
	Current    uint64 `json:"current"`
	// FinalURL is where the last good fetch ended up.
	FinalURL  string    `json:"final_url,omitempty"`
	LastFetch time.Time `json:"last_fetch,omitzero"`
	LastGood  time.Time `json:"last_good,omitzero"`
	// Pending is a change seen once and awaiting confirmation.
	Pending *Pending `json:"pending,omitempty"`
	// Unsettled counts the fetches in a row that each saw a new text
	// other than the fetch before (failed fetches between them aside).
	Unsettled int `json:"unsettled,omitempty"`
	// Failures counts consecutive failed or suspect fetches.
	Failures     int       `json:"failures,omitempty"`
	Health       Health    `json:"health"`
	HealthReason string    `json:"health_reason,omitempty"`
	HealthSince  time.Time `json:"health_since,omitzero"`
	// Flips counts fetches that returned an earlier or alternating text.
	Flips int `json:"flips,omitempty"`
	// Unconfirmed are texts seen once and contradicted by the next fetch
	// (newest last, at most 8): if one comes back, the page alternates.
	Unconfirmed []string `json:"unconfirmed,omitempty"`
	// Reported are alternating texts already reported, so each
	// alternation is reported once.
	Reported []string `json:"reported,omitempty"`
	// NeedsRender remembers that the source's text comes only from a
	// browser (render: auto found it so): later checks render directly.
	NeedsRender bool `json:"needs_render,omitempty"`
	// RenderUseless is the body SHA-256 of the last plain page a render
	// added no policy text to: the same page again is not rendered again.
	RenderUseless string `json:"render_useless,omitempty"`
}

// Pending is a candidate new text and the fetch that first saw it
// (FetchID 0 in a Record means "this fetch"; Record fills it in).
type Pending struct {
	TextSHA256 string    `json:"text_sha256"`
	FetchID    uint64    `json:"fetch"`
	Seen       time.Time `json:"seen"`
	Count      int       `json:"count"`
	// DocSHA256 is the sighting's document, to show what differs when
	// the next fetch sees yet another text.
	DocSHA256 string `json:"doc_sha256,omitempty"`
}
