package store

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on what people name things (decision record 0016). Names are
// printed on terminals, pages, feeds and archive headers, and sources'
// names and URLs are bbolt keys (at most 32 KiB).
const (
	// MaxName is the longest name, in bytes.
	MaxName = 200
	// MaxURL is the longest URL, in bytes. RFC 9110 §4.1 recommends that
	// senders and recipients support URIs of at least 8000 octets.
	MaxURL = 8000
)

// NameKind says what a name names, for the checks and the messages.
type NameKind string

// The names ValidName checks.
const (
	SourceName   NameKind = "source name"
	SupplierName NameKind = "supplier name"
	ProductName  NameKind = "product name"
	TokenName    NameKind = "token name"
	BaselineName NameKind = "baseline name"
	RubricName   NameKind = "rubric version"
	// SectionName is a source's section: the heading of the document it
	// keeps on a page that holds several.
	SectionName NameKind = "section"
	// TagName is one of a source's tags.
	TagName NameKind = "tag"
)

// InputError is a name or URL that cannot be stored: what it is, the
// value, and why. It is an ErrInvalid. Its message quotes the value
// escaped and cut short, so it is safe to show.
type InputError struct {
	What   string // "source name", "URL", …
	Value  string
	Reason string
}

func (e *InputError) Error() string {
	return fmt.Sprintf("%s %s: %s", e.What, quoteShort(e.Value), e.Reason)
}

// Unwrap makes an InputError an ErrInvalid.
func (e *InputError) Unwrap() error { return ErrInvalid }

// ValidName checks a name before it is stored: 1 to MaxName bytes of
// UTF-8, no leading or trailing space, and nothing that acts on a
// terminal or reorders text — no control characters (C0, DEL, C1),
// line or paragraph separators, or format characters such as the bidi
// overrides of "Trojan Source" (CVE-2021-42574; Unicode UAX #9). Zero
// width joiners and non-joiners are allowed: some scripts need them. A
// source's name may also not read as a source ID (a number) or a URL
// (http: or https:), so a reference to a source can always be told apart.
func ValidName(kind NameKind, s string) error {
	if reason := nameProblem(kind, s); reason != "" {
		return &InputError{What: string(kind), Value: s, Reason: reason}
	}
	return nil
}

func nameProblem(kind NameKind, s string) string {
	switch {
	case s == "":
		return "empty"
	case len(s) > MaxName:
		return fmt.Sprintf("%d bytes, more than the %d allowed", len(s), MaxName)
	case !utf8.ValidString(s):
		return "not valid UTF-8"
	case strings.TrimSpace(s) != s:
		return "leading or trailing space"
	}
	for i, r := range s {
		switch {
		case unicode.IsControl(r):
			return fmt.Sprintf("control character %U at byte %d", r, i)
		case unicode.In(r, unicode.Zl, unicode.Zp):
			return fmt.Sprintf("line or paragraph separator %U at byte %d", r, i)
		case unicode.Is(unicode.Cf, r) && r != '\u200c' && r != '\u200d':
			return fmt.Sprintf("format character %U at byte %d (bidi control or invisible)", r, i)
		}
	}
	if !visible(s) {
		return "nothing visible: only blank, filler or combining characters"
	}
	if kind == SourceName {
		if _, err := strconv.ParseUint(s, 10, 64); err == nil {
			return "a number, which reads as a source ID"
		}
		if lower := strings.ToLower(s); strings.HasPrefix(lower, "http:") || strings.HasPrefix(lower, "https:") {
			return "looks like a URL, which reads as a source's URL"
		}
	}
	return ""
}

// visible reports whether s has a character a reader can see: a letter,
// digit, mark-free symbol or punctuation that is not one of the blank
// "filler" letters (Hangul fillers, the braille blank, the combining
// grapheme joiner), so no name can look empty.
func visible(s string) bool {
	for _, r := range s {
		switch r {
		case '\u115f', '\u1160', '\u3164', '\uffa0', '\u2800', '\u034f', '\ufffc':
			continue
		}
		if unicode.IsGraphic(r) && !unicode.IsSpace(r) && !unicode.In(r, unicode.Mn, unicode.Me) {
			return true
		}
	}
	return false
}

// ValidURL checks a URL before it is stored: an absolute http or https
// URL with a host, at most MaxURL bytes, with no white space, control,
// separator or format character (a URL's non-ASCII is percent-encoded,
// RFC 3986 §2.1; these would reorder or act on a terminal). what names
// it in the error ("URL", "webhook URL").
func ValidURL(what, s string) error {
	if len(s) > MaxURL {
		return &InputError{What: what, Value: s, Reason: fmt.Sprintf("%d bytes, more than the %d allowed", len(s), MaxURL)}
	}
	if !utf8.ValidString(s) {
		return &InputError{What: what, Value: s, Reason: "not valid UTF-8"}
	}
	for i, r := range s {
		if unicode.IsControl(r) || unicode.IsSpace(r) || unicode.In(r, unicode.Zl, unicode.Zp, unicode.Cf) {
			return &InputError{What: what, Value: s, Reason: fmt.Sprintf("character %U at byte %d (percent-encode it)", r, i)}
		}
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &InputError{What: what, Value: s, Reason: "not an http or https URL"}
	}
	return nil
}

// quoteShort quotes s for a message, escaped, and cut to its first 60
// bytes (on a rune boundary) when it is longer.
func quoteShort(s string) string {
	const keep = 60
	if len(s) <= keep {
		return strconv.Quote(s)
	}
	cut := keep
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "…"
}
