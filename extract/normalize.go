package extract

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Normalize returns the comparison form of a piece of clause text: what a
// reader cannot see is removed, so that markup and typography churn between
// two fetches of the same policy does not count as a difference.
//
// In order it applies Unicode NFKC (which also turns NBSP, ligatures and
// full-width forms into their plain equivalents), removes zero-width
// characters, soft hyphens and other invisible format characters, maps curly
// and angled quotes to ' and ", maps every dash and minus variant to "-",
// and folds every run of white space to one ASCII space, trimmed at both ends.
// Letter case and punctuation are kept: they are visible, and the diff package
// decides whether such an edit matters.
func Normalize(s string) string {
	if isASCII(s) {
		return normalizeASCII(s)
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	// Invisible characters go first, so that NFKC sees the marks around
	// them side by side and orders them once and for all.
	s = strings.Map(func(r rune) rune {
		if _, ok := foldRune(r); !ok {
			return -1
		}
		return r
	}, s)
	return foldRunes(norm.NFKC.String(s))
}

// foldRunes is Normalize's last step on valid UTF-8: each rune as foldRune
// maps it (one NFKC made invisible becomes NUL, as it always has), and
// every run of white space one space, trimmed. It returns s itself when
// that changes nothing, and copies the runes that stay as they are.
func foldRunes(s string) string {
	if runesFolded(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		f, _ := foldRune(r)
		if isSpace(f) {
			space = true
			i += size
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		if f == r {
			b.WriteString(s[i : i+size])
		} else {
			b.WriteRune(f)
		}
		i += size
	}
	return b.String()
}

// runesFolded reports whether foldRunes leaves s as it is: every rune
// folds to itself and the only white space is single ASCII spaces between
// other characters.
func runesFolded(s string) bool {
	space := true // a space here would lead
	for i := 0; i < len(s); {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		if f, _ := foldRune(r); f != r || isSpace(r) && (r != ' ' || space) {
			return false
		}
		space = r == ' '
		i += size
	}
	return !space || s == ""
}

// isSpace is unicode.IsSpace, answering at once for ASCII and above
// U+3000, the last white space character.
func isSpace(r rune) bool {
	if r < utf8.RuneSelf {
		return asciiSpace(byte(r))
	}
	return r <= '\u3000' && unicode.IsSpace(r)
}

// isASCII reports whether s is all ASCII.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// asciiSpace reports whether b is white space as unicode.IsSpace has it.
func asciiSpace(b byte) bool { return b == ' ' || b >= '\t' && b <= '\r' }

// normalizeASCII is Normalize for text that is all ASCII, where NFKC
// changes nothing, the only invisible characters are the control
// characters other than white space, and the only quote to map is "`".
// It returns s itself when nothing changes, as for most clauses.
func normalizeASCII(s string) string {
	clean := len(s) == 0 || s[0] != ' ' && s[len(s)-1] != ' '
	for i := 0; clean && i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ':
			clean = s[i+1] != ' ' // never the last byte, so s[i+1] exists
		case c < 0x20 || c == 0x7F || c == '`':
			clean = false
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case asciiSpace(c):
			space = true
			continue
		case c < 0x20 || c == 0x7F:
			continue // a control character: invisible
		case c == '`':
			c = '\''
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteByte(c)
	}
	return b.String()
}

// foldRune maps one rune to its normalised form. ok is false when the rune is
// invisible and must be dropped.
func foldRune(r rune) (rune, bool) {
	if r < utf8.RuneSelf {
		switch {
		case r == '`':
			return '\'', true
		case r < 0x20 && !asciiSpace(byte(r)), r == 0x7F:
			return 0, false // a control character
		}
		return r, true
	}
	switch r {
	case '\u00AD', // soft hyphen
		'\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF', // zero-width space, (non-)joiner, word joiner, BOM
		'\u180E', '\u2061', '\u2062', '\u2063', '\u2064', // Mongolian vowel separator, invisible operators
		'\u200E', '\u200F', '\u202A', '\u202B', '\u202C', '\u202D', '\u202E', // direction marks and embeddings
		'\u2066', '\u2067', '\u2068', '\u2069', '\u034F': // isolates, combining grapheme joiner
		return 0, false
	case '\u2018', '\u2019', '\u201A', '\u201B', '\u2032', '\u2035', '\u0060', '\u00B4', '\u02BC', '\u2039', '\u203A':
		return '\'', true
	case '\u201C', '\u201D', '\u201E', '\u201F', '\u2033', '\u2036', '\u00AB', '\u00BB', '\u301D', '\u301E':
		return '"', true
	case '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2015', '\u2212', '\uFE58', '\uFE63', '\uFF0D', '\u2043':
		return '-', true
	case '\u00A0', '\u2007', '\u202F', '\u3000':
		return ' ', true
	}
	if unicode.Is(unicode.Cf, r) { // any other format (invisible) character
		return 0, false
	}
	if unicode.IsControl(r) && !unicode.IsSpace(r) {
		return 0, false
	}
	return r, true
}

// displayText folds white space (every kind, NBSP included) to single spaces
// and trims, without otherwise changing what the page showed.
func displayText(s string) string {
	if isASCII(s) {
		return foldSpaceASCII(s)
	}
	if displayed(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		switch {
		case displaySpace(r):
			space = true
			i += size
			continue
		case r == '\u00AD':
			i += size
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(r) // an invalid byte
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// displaySpace reports whether displayText counts r as white space.
func displaySpace(r rune) bool {
	return isSpace(r) || r == '\u00A0' || r == '\u200B' || r == '\uFEFF'
}

// displayed reports whether displayText leaves s as it is: valid UTF-8
// without soft hyphens whose only white space is single ASCII spaces
// between other characters.
func displayed(s string) bool {
	space := true // a space here would lead
	for i := 0; i < len(s); {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		if r == utf8.RuneError && size == 1 || r == '\u00AD' || displaySpace(r) && (r != ' ' || space) {
			return false
		}
		space = r == ' '
		i += size
	}
	return !space || s == ""
}

// foldSpaceASCII is displayText for text that is all ASCII. It returns s
// itself when it has no white space to fold or trim.
func foldSpaceASCII(s string) string {
	clean := len(s) == 0 || s[0] != ' ' && s[len(s)-1] != ' '
	for i := 0; clean && i < len(s); i++ {
		if c := s[i]; c == ' ' {
			clean = s[i+1] != ' '
		} else if asciiSpace(c) {
			clean = false
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); i++ {
		if asciiSpace(s[i]) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteByte(s[i])
	}
	return b.String()
}

// listMarker matches what a list item starts with when the numbering or
// bullet is part of its text: bullet glyphs, "1.", "1)", "(a)", "a.", "iv)".
var listMarker = regexp.MustCompile(`^(?:[•·▪▫◦‣⁃○●■□►▶➢➤✓✔\-*+]|\(?(?:\d{1,3}|[a-zA-Z]|[ivxlcIVXLC]{1,5})[.)]|\((?:\d{1,3}|[a-zA-Z]|[ivxlcIVXLC]{1,5})\))\s+`)

// bulletOnly matches a leading bullet glyph (not numbering), for paragraphs
// that are list items in disguise.
var bulletOnly = regexp.MustCompile(`^[•·▪▫◦‣⁃○●■□►▶➢➤✓✔]\s*`)

// stripListMarker removes one leading bullet or list number.
func stripListMarker(s string) string {
	if loc := listMarker.FindStringIndex(s); loc != nil && loc[1] < len(s) {
		return s[loc[1]:]
	}
	if loc := bulletOnly.FindStringIndex(s); loc != nil && loc[1] < len(s) {
		return s[loc[1]:]
	}
	return s
}
