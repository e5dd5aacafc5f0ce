// Package evidence builds and verifies evidence bundles: one file that
// lets a third party, who trusts neither the supplier nor the operator of
// clausewatch, check offline what a supplier's policy page said before a
// vetting notification and when it changed.
//
// A bundle is a zip archive (stored, not compressed, so that it is the one
// canonical archive of its contents) holding the captures (raw body, the
// request and response headers, the transparency-log record of each), the
// clause diff between them (JSON and HTML, and the rules it was computed
// with), the deadline computation, inclusion proofs of the captures in a
// signed checkpoint of the log and in an earlier kept checkpoint, the
// consistency proof between the two, and a summary page for a reviewer. A
// manifest lists every file's SHA-256 and is signed with the log's key.
//
// Verify checks every one of those offline, and names each check that
// fails. What the bundle cannot prove — that the site served everyone the
// same page, that the operator's clock was right, that the notification
// date is the real one — is said on the summary page and by Verify.
package evidence
