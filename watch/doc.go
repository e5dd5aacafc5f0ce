// Package watch runs checks: fetch a source, read its clauses, decide what
// the fetch means, and record it. Checker.Check is one check of one
// source; CheckAll runs many with a bounded worker pool; Reextract replays
// every stored body through the current extractor.
//
// What a fetch means is decided here, never by the server alone. A fetch
// becomes a new version only when the clause text differs from the
// current version, the page is not a challenge, error, login or empty
// page, has not shrunk drastically or been redirected away, and a second
// fetch confirms the same text. Text that returns to an earlier version is
// a flip (A/B pages, rotating content) and is recorded as a change only
// when it stays for several fetches. A source that keeps failing, answers
// 404 or redirects elsewhere is marked "tracking broken", its last good
// version kept; one whose text differs on every fetch (a token or a clock
// in the page), so that no new text is ever confirmed, is marked
// "tracking unstable" with the clauses that differ. Decision records 0009
// and 0020 give the thresholds and why.
//
// Scheduler is the daemon's loop: each source's cron Schedule (read on
// the wall clock of a zone, so DST neither skips nor doubles a run), its
// next-due time kept in the store and moved in the same transaction as the
// check's record, a bounded pool of workers, and a graceful shutdown.
// Decision record 0010 gives the rules.
package watch
