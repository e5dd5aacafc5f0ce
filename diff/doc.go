// Package diff compares two extracted versions of a policy clause by clause
// and says which changes matter: the product's core judgement.
//
// Compare aligns the clauses (identical and punctuation-only edits anchored
// on a longest-common-subsequence backbone, moved clauses recognised, the
// rest paired by word similarity, splits and merges found by containment),
// detects renames ("IMS Global" → "1EdTech", its e-mail domain included)
// and folds them, and classifies every change as cosmetic, rename,
// editorial or substantive, with the privacy categories it touches and the
// reasons in words. Any substantive change sets Result.Revet.
//
// The judgement is driven by Rules: lexicons, triggers and thresholds in a
// readable YAML file embedded in the binary (rules.yaml), which a
// deployment may replace (ParseRules, LoadRules). Results are deterministic
// and symmetric: diff(A, B) mirrors diff(B, A).
//
// WriteText, WriteJSON and WriteHTML render a Result for a terminal, for
// programs and as a self-contained page. The package is pure: Documents in,
// a Result out; no I/O but the writer it is given.
//
// Every comparison counts its work against a budget (CompareBudget): a
// hostile pair that would cost more is shown as whole replacements, and
// Result.BudgetSpent says so.
//
// Decision records: docs/decisions/0004 (alignment), 0005 (significance
// rules), 0006 (renames), 0037 (the word-list index and the work budget),
// 0044 (a rename inside a substantive clause as a span of its own).
package diff
