package extract

import (
	"bytes"
	"io/fs"
	"reflect"
	"regexp/syntax"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/clausewatch/clausewatch/fixtures"
	"golang.org/x/net/html"
	"golang.org/x/text/unicode/norm"
)

// The ASCII fast paths and the date-cue prefilter must answer exactly as
// the plain Unicode code they shortcut, which is kept here as the
// reference: extraction output may not change with them (extract.Version
// stays). FuzzFastPaths checks every one on arbitrary input.

// normalizeReference is Normalize without its ASCII fast path.
func normalizeReference(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	s = strings.Map(func(r rune) rune {
		if _, ok := foldRuneReference(r); !ok {
			return -1
		}
		return r
	}, s)
	s = norm.NFKC.String(s)
	var b strings.Builder
	space := false
	for _, r := range s {
		r, _ = foldRuneReference(r)
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// foldRuneReference is foldRune without its ASCII fast path.
func foldRuneReference(r rune) (rune, bool) {
	if r >= utf8.RuneSelf {
		return foldRune(r)
	}
	switch {
	case r == '\u0060':
		return '\'', true
	case unicode.Is(unicode.Cf, r), unicode.IsControl(r) && !unicode.IsSpace(r):
		return 0, false
	}
	return r, true
}

// displayTextReference is displayText without its ASCII fast path.
func displayTextReference(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) || r == '\u00A0' || r == '\u200B' || r == '\uFEFF' {
			space = true
			continue
		}
		if r == '\u00AD' {
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

func countLettersReference(s string) (n int, any bool) {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			n++
		}
	}
	return n, n > 0
}

// nameHasReference is the word-set test nameKinds replaces, one set at a
// time.
func nameHasReference(token string, words map[string]bool) bool {
	token = strings.ToLower(token)
	if words[token] {
		return true
	}
	parts := strings.FieldsFunc(token, func(r rune) bool { return r == '-' || r == '_' })
	for i := range parts {
		if words[parts[i]] {
			return true
		}
		if i+1 < len(parts) && words[parts[i]+parts[i+1]] {
			return true
		}
		if i+2 < len(parts) && words[parts[i]+parts[i+1]+parts[i+2]] {
			return true
		}
	}
	return false
}

// checkFastPaths compares each fast path with its reference on s.
func checkFastPaths(t *testing.T, s string) {
	t.Helper()
	if got, want := Normalize(s), normalizeReference(s); got != want {
		t.Errorf("Normalize(%q) = %q, want %q", s, got, want)
	}
	if got, want := displayText(s), displayTextReference(s); got != want {
		t.Errorf("displayText(%q) = %q, want %q", s, got, want)
	}
	for _, r := range s {
		if got, want := isSpace(r), unicode.IsSpace(r); got != want {
			t.Errorf("isSpace(%U) = %v, want %v", r, got, want)
		}
	}
	n, any := countLettersReference(s)
	if got := countLetters(s); got != n {
		t.Errorf("countLetters(%q) = %d, want %d", s, got, n)
	}
	if got := hasWordChar(s); got != any {
		t.Errorf("hasWordChar(%q) = %v, want %v", s, got, any)
	}
	k := nameKinds(s)
	for bit, words := range map[uint8]map[string]bool{furnitureName: furnitureWords, siteName: siteWords, contentName: contentWords, consentName: consentWords} {
		if got, want := k&bit != 0, nameHasReference(s, words); got != want {
			t.Errorf("nameKinds(%q) has set %d: %v, want %v", s, bit, got, want)
		}
	}
	for _, n := range []int{-1, 1, 2} {
		if got, want := cueMatches(s, n), updatedCue.FindAllStringIndex(s, n); !reflect.DeepEqual(got, want) {
			t.Errorf("cueMatches(%q, %d) = %v, want %v", s, n, got, want)
		}
	}
}

var fastPathCases = []string{
	"", " ", "  a  ", "a\tb\r\nc", "a\x01b", "a \x01 b", "\x7fx`y`", "plain text, as most clauses are.",
	"Last updated: May 6, 2019", "LAST   UPDATED 2019-05-06", "Effective as of 1 January 2024",
	"Dernière mise à jour : 6 mai 2019", "Mis a jour le 3 mars 2020", "Stand: 01.02.2023",
	"Gültig ab 1. März 2022", "gultig ab 2022", "Última actualización: 5 de mayo de 2021",
	"xúltima actualización 2021", "vigente desde 2020", "version date 2021", "in force from 2020",
	"date of last revision 2020", "Posted 03/17/2016", "published 2020", "reviewed", "G\u00dcLTIG ab", "gUltig ab", "g\u00fcltigab",
	"la\u017Ft updated", "po\u017Fted", "\u017Ftand", "\u212Aeep", "under\u017Ftand", "understand", "standard",
	"exchange rates", "we amended it", "\u00a0Caf\u00e9\u200b \u00ad\u2019s \u201cquoted\u201d \u2013 x\ufb01",
	"last updated 12:00, effective 2020; updated_x updated2 2updated _Updated. (modified)",
	"mise\và jour, mise \u00e0\tjour, \u00fcltima actualizaci\u00f3n; x\u00faltima actualizacion", "\xff\xfe invalid", "caf\xc3", "A\u0301 combining", "\u2160 roman", "١٢٣ digits",
}

func TestIsSpace(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if got, want := isSpace(r), unicode.IsSpace(r); got != want {
			t.Errorf("isSpace(%U) = %v, want %v", r, got, want)
		}
	}
}

func TestFastPaths(t *testing.T) {
	for _, s := range fastPathCases {
		checkFastPaths(t, s)
	}
}

func FuzzFastPaths(f *testing.F) {
	for _, s := range fastPathCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkFastPaths(t, s) })
}

// TestCueAlphabet holds cueMatches to its premise: updatedCue matches no
// ASCII character but letters and \s's white space, so the other ASCII
// characters cut the text into stretches no match crosses.
func TestCueAlphabet(t *testing.T) {
	re, err := syntax.Parse(updatedCue.String(), syntax.Perl)
	if err != nil {
		t.Fatal(err)
	}
	var walk func(re *syntax.Regexp)
	walk = func(re *syntax.Regexp) {
		var runes []rune
		switch re.Op {
		case syntax.OpLiteral:
			runes = re.Rune
		case syntax.OpCharClass:
			for i := 0; i < len(re.Rune); i += 2 {
				for r := re.Rune[i]; r <= re.Rune[i+1] && r < utf8.RuneSelf; r++ {
					runes = append(runes, r)
				}
			}
		case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
			t.Errorf("updatedCue matches any character (%v)", re)
		}
		for _, r := range runes {
			if r < utf8.RuneSelf && cueBreak(byte(r)) {
				t.Errorf("updatedCue can match %q (in %v), which cueBreak cuts at", r, re)
			}
		}
		for _, sub := range re.Sub {
			walk(sub)
		}
	}
	walk(re)
}

// TestPruneCounts checks that the counts prune returns, reused from its
// first measure for every element nothing was removed below, are those a
// fresh measure of the pruned tree finds, on every fixture page.
func TestPruneCounts(t *testing.T) {
	fsys := fixtures.FS()
	for _, p := range fixtures.Pages() {
		data, err := fs.ReadFile(fsys, p.File)
		if err != nil {
			t.Fatal(err)
		}
		root, err := html.Parse(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		body := findBody(root)
		got := prune(body)
		want := measure(body, nil, nil)
		var visit func(n *html.Node)
		visit = func(n *html.Node) {
			if got[n] != want[n] {
				t.Errorf("%s: <%s> counts %+v, a fresh measure %+v", p.File, n.Data, got[n], want[n])
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				visit(c)
			}
		}
		visit(body)
	}
}
