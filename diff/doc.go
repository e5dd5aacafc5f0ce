// Package diff compares two extracted policy Documents clause by clause:
// alignment (identical clauses anchored, then best-match pairing so moved,
// split and merged clauses are recognised), word-level inline diffs, rename
// detection, and classification of every change as cosmetic, rename,
// editorial or substantive with the privacy categories it touches and the
// reason in words. It is pure: Documents in, a result out.
//
// Not built yet: this is the subject of the "Clause diff and significance"
// issue, which builds on package extract.
package diff
