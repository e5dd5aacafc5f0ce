// Package extract turns a policy page into a Document: its title, the
// policy's own "last updated" date, its language, and its clauses — the
// headings, paragraphs, list items and table rows of the policy text, in
// reading order, each with the trail of headings above it.
//
// It works on any page without per-site configuration: page furniture
// (menus, site headers and footers, sidebars, breadcrumbs, cookie banners,
// share widgets, hidden templates) is pruned, the main content is found from
// semantic markup or text density, and what a reader cannot see (white-space
// kinds, zero-width characters, soft hyphens, quote and dash variants,
// bullets) is normalised away so that markup churn between fetches is not a
// change. Options.Select and Options.Remove take CSS selectors for the rare
// page the generic rules get wrong. HTML in any charset, plain text and
// Markdown are accepted; see Bytes.
//
// The package is pure: bytes in, value out, no I/O and no logging. See
// docs/decisions/0001-generic-main-content-extraction.md for why the rules
// are what they are, and Version for when stored extractions go stale.
package extract
