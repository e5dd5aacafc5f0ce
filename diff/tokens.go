package diff

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// token is one word of a clause, as compared. Punctuation, case and white
// space are not part of a token, so edits to them leave the token stream
// unchanged.
type token struct {
	// key is the comparison form: lower case, spelling variants mapped to
	// one form, thousands separators removed from numbers.
	key string
	// start and end are byte offsets of the word in the clause text.
	start, end int
	// sentEnd is true when a sentence (or clause-level) break follows.
	sentEnd bool
	// inAddress is true when the word is part of an e-mail address or URL.
	inAddress bool
	// role says what else the word is besides running text (roles.go):
	// a piece of a bare domain or a company name, which no lexicon reads,
	// an enumeration label or cross-reference number, which is structure,
	// or a piece of a phone number or postal address.
	role role
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

// tokenize splits normalised clause text into word tokens. A word is a run
// of letters, digits and marks; an apostrophe between letters stays inside
// the word ("don't", "member's"); a number keeps its inner separators
// ("1,000", "3.5") so that it stays one token.
func tokenize(text string, spelling map[string]string) []token {
	var toks []token
	i := 0
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		if !isWordRune(r) {
			if len(toks) > 0 && isSentenceBreak(text, i, r) {
				toks[len(toks)-1].sentEnd = true
			}
			i += size
			continue
		}
		start := i
		digits := unicode.IsDigit(r)
		i += size
		for i < len(text) {
			r, size = utf8.DecodeRuneInString(text[i:])
			if isWordRune(r) {
				i += size
				continue
			}
			// Keep inner apostrophes and number separators.
			if i+size < len(text) {
				next, _ := utf8.DecodeRuneInString(text[i+size:])
				if r == '\'' && unicode.IsLetter(next) && !digits {
					// French elision: "l'adresse" is "le" and "adresse",
					// "n'est" is "ne" and "est".
					if full, ok := elisions[strings.ToLower(text[start:i])]; ok {
						toks = append(toks, token{key: full, start: start, end: i + size})
						i += size
						start = i
						continue
					}
					i += size
					continue
				}
				if (r == ',' || r == '.') && digits && unicode.IsDigit(next) {
					i += size
					continue
				}
			}
			break
		}
		word := text[start:i]
		key := strings.ToLower(word)
		if digits {
			key = numberKey(key)
		} else if m, ok := spelling[key]; ok {
			key = m
		}
		// A contraction is its two words: "won't" reads "will not", so
		// that writing it either way is cosmetic.
		if first, ok := contraction(key); ok {
			toks = append(toks, token{key: first, start: start, end: i}, token{key: "not", start: start, end: i})
			continue
		}
		toks = append(toks, token{key: key, start: start, end: i})
	}
	markAddresses(text, toks)
	toks = numberWords(toks)
	markRoles(text, toks)
	return toks
}

// elisions are the French words written with an apostrophe before a
// vowel, and their full forms: "l'adresse" reads "le adresse", "qu'il"
// "que il", "n'est" "ne est", so that the words after them are read as
// words and the negation "n'" as "ne".
var elisions = map[string]string{
	"l": "le", "d": "de", "n": "ne", "j": "je", "m": "me", "s": "se", "t": "te", "c": "ce",
	"qu": "que", "jusqu": "jusque", "lorsqu": "lorsque", "puisqu": "puisque", "quoiqu": "quoique",
	"presqu": "presque", "quelqu": "quelque",
}

// contraction splits a negative contraction: "don't" → "do", "won't" →
// "will", "can't" → "can".
func contraction(k string) (string, bool) {
	if !strings.HasSuffix(k, "n't") || len(k) < 4 {
		return "", false
	}
	switch k {
	case "won't":
		return "will", true
	case "can't":
		return "can", true
	case "shan't":
		return "shall", true
	}
	return strings.TrimSuffix(k, "n't"), true
}

// periodUnits are the English words for a period that a number written
// as a word may stand before (numwords.go has the other languages').
var periodUnits = map[string]bool{
	"day": true, "days": true, "week": true, "weeks": true, "month": true, "months": true,
	"year": true, "years": true, "hour": true, "hours": true, "minute": true, "minutes": true,
	"business": true, "calendar": true, "working": true,
}

// isSentenceBreak reports whether the punctuation rune r at text[i] ends a
// sentence: . ! ? ; or : followed by white space or the end of the text.
func isSentenceBreak(text string, i int, r rune) bool {
	switch r {
	case '.', '!', '?', ';', ':':
	default:
		return false
	}
	j := i + 1
	if j >= len(text) {
		return true
	}
	next, _ := utf8.DecodeRuneInString(text[j:])
	return unicode.IsSpace(next) || next == '"' || next == '\'' || next == ')'
}

// numberKey drops thousands separators ("1,000" → "1000") but keeps a
// decimal point.
func numberKey(s string) string {
	if !strings.Contains(s, ",") {
		return s
	}
	return strings.ReplaceAll(s, ",", "")
}

// markAddresses flags the tokens that belong to e-mail addresses and URLs,
// whose parts are joined by @ . / : with no space.
func markAddresses(text string, toks []token) {
	for _, span := range addressSpans(text) {
		for k := range toks {
			if toks[k].start >= span[0] && toks[k].end <= span[1] {
				toks[k].inAddress = true
			}
		}
	}
}

// addressSpans returns the byte ranges of e-mail addresses and URLs in text.
func addressSpans(text string) [][2]int {
	var spans [][2]int
	fields := 0
	for fields < len(text) {
		// Walk white-space separated fields.
		for fields < len(text) && text[fields] == ' ' {
			fields++
		}
		end := strings.IndexByte(text[fields:], ' ')
		if end < 0 {
			end = len(text)
		} else {
			end += fields
		}
		f := text[fields:end]
		if !addressMarks(f) {
			fields = end
			continue
		}
		trimmed := strings.TrimRight(f, ".,;:)]\"'")
		trimmed = strings.TrimLeft(trimmed, "([\"'<")
		off := strings.Index(f, trimmed)
		// A URL glued to other text ("href=https://…", a raw link tag
		// shown as text) starts at its scheme.
		if !isAddress(trimmed) {
			if i := schemeAt(trimmed); i > 0 {
				off += i
				trimmed = trimmed[i:]
			}
		}
		if isAddress(trimmed) {
			spans = append(spans, [2]int{fields + off, fields + off + len(trimmed)})
		}
		fields = end
	}
	return spans
}

// addressMarks reports whether f holds a byte every address has one of:
// the @ of an e-mail address, the colon of a scheme, the dot of "www.".
// A field without any (most words) is no address and needs no trimming.
func addressMarks(f string) bool {
	for i := 0; i < len(f); i++ {
		switch f[i] {
		case '@', ':', '.':
			return true
		}
	}
	return false
}

// schemeAt returns where "http://" or "https://" starts inside s, or -1.
func schemeAt(s string) int {
	l := strings.ToLower(s)
	i := strings.Index(l, "https://")
	if j := strings.Index(l, "http://"); j >= 0 && (i < 0 || j < i) {
		i = j
	}
	return i
}

// isAddress reports whether s looks like an e-mail address or a URL.
func isAddress(s string) bool {
	if len(s) < 4 {
		return false
	}
	if at := strings.IndexByte(s, '@'); at > 0 && strings.Contains(s[at:], ".") {
		return true
	}
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "www.")
}

// addresses returns the e-mail addresses and URLs in text, lower-cased, in
// order of first appearance, without repeats.
func addresses(text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, sp := range addressSpans(text) {
		a := strings.ToLower(text[sp[0]:sp[1]])
		a = strings.TrimPrefix(strings.TrimPrefix(a, "mailto:"), "https://")
		a = strings.TrimSuffix(strings.TrimPrefix(a, "http://"), "/")
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out
}

// keys returns the comparison keys of toks.
func keys(toks []token) []string {
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = t.key
	}
	return out
}

// isNumber reports whether a token key is a number ("13", "1000", "3.5"),
// not a name that starts with a digit ("1EdTech").
func isNumber(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		if !unicode.IsDigit(r) && r != '.' && r != ',' {
			return false
		}
	}
	return true
}
