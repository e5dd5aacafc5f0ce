package diff

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// role is what a word is in its clause when it is not plain running text.
// The judge reads roles so that words in the wrong role do not count: a
// lexicon word inside a domain or a company name is not a category
// keyword ("x.ai", "Open Collective, Inc."), an enumeration label or a
// cross-reference number is structure, not a changed number ("2.1",
// "Section 26"), and the digits of a phone number or postal address are a
// contact detail, not a period or an age.
type role uint8

const (
	roleText    role = iota
	roleDomain       // a piece of a bare domain name ("x.ai", "console.x.ai")
	roleName         // a piece of a company name ending in a legal form ("Perplexity AI, Inc.")
	roleLabel        // an enumeration label at the head of the clause ("A.1.", "2.1", "(a)")
	roleXRef         // a cross-reference number ("Section 26", "Sections D.4 - D.7")
	roleContact      // digits of a phone number or a postal address
)

// masked reports whether no lexicon may read the token: it is a piece of
// an address, a domain or a company name.
func (t token) masked() bool { return t.inAddress || t.role == roleDomain || t.role == roleName }

// structural reports whether the token is numbering: an enumeration label
// or a cross-reference.
func (t token) structural() bool { return t.role == roleLabel || t.role == roleXRef }

func markRoles(text string, toks []token) {
	markDomains(text, toks)
	markCompanyNames(text, toks)
	markLabel(text, toks)
	markCrossRefs(text, toks)
	markContactDetails(text, toks)
}

// bareDomain matches a host name written without a scheme: labels of
// letters, digits and hyphens joined by dots, ending in a top-level domain
// of two to six letters ("x.ai", "uptimerobot.com/blog"). Abbreviations
// such as "e.g." and "U.S." have one-letter pieces and do not match.
var bareDomain = regexp.MustCompile(`(?i)\b(?:[a-z0-9][a-z0-9-]*\.)+[a-z]{2,6}\b(?:/[^\s]*)?`)

func markDomains(text string, toks []token) {
	for _, sp := range domainSpans(text) {
		host := text[sp[0]:sp[1]]
		if i := strings.IndexByte(host, '/'); i >= 0 {
			host = host[:i]
		}
		// "Node.JS" and "data.We" (a missing space) are not hosts: a
		// top-level domain is written in lower case.
		parts := strings.Split(host, ".")
		if tld := parts[len(parts)-1]; strings.ToLower(tld) != tld {
			continue
		}
		for k := range toks {
			if toks[k].start >= sp[0] && toks[k].end <= sp[1] && toks[k].role == roleText {
				toks[k].role = roleDomain
			}
		}
	}
}

// domainSpans returns bareDomain's matches in text. A match holds no white
// space, so only the runs of non-space characters with a dot after a
// label character (a letter, digit or hyphen) and before a letter or digit
// ("x.ai", "a-.io", not "ends. Next") are searched: the same
// matches as searching the whole text, without running the expression
// over every word of every clause.
func domainSpans(text string) [][]int {
	var out [][]int
	for i := 0; i < len(text); {
		if isSpaceByte(text[i]) {
			i++
			continue
		}
		j := i
		inner := false
		for j < len(text) && !isSpaceByte(text[j]) {
			if text[j] == '.' && j > i && j+1 < len(text) && (isAlnumByte(text[j-1]) || text[j-1] == '-') && isAlnumByte(text[j+1]) {
				inner = true
			}
			j++
		}
		if inner {
			for _, sp := range bareDomain.FindAllStringIndex(text[i:j], -1) {
				out = append(out, []int{i + sp[0], i + sp[1]})
			}
		}
		i = j
	}
	return out
}

// isSpaceByte is the white space of bareDomain's \s: [\t\n\f\r ], as RE2
// reads it (not \v, not Unicode spaces).
func isSpaceByte(b byte) bool {
	return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\f'
}

func isAlnumByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

// legalForms are the words that end a company name.
var legalForms = map[string]bool{
	"inc": true, "llc": true, "ltd": true, "limited": true, "corp": true, "corporation": true,
	"gmbh": true, "ag": true, "sas": true, "sarl": true, "sa": true, "bv": true, "plc": true,
	"lp": true, "llp": true, "pte": true, "oy": true, "ab": true, "srl": true, "spa": true, "kg": true,
}

// markCompanyNames marks the capitalised words that run up to a legal
// form ("Perplexity AI, Inc.", "X.AI LLC", "Open Collective, Inc."): the
// words of a name are not purposes, data types or collection verbs.
func markCompanyNames(text string, toks []token) {
	for k := range toks {
		if !legalForms[toks[k].key] || k == 0 || !capitalised(text, toks[k]) {
			continue
		}
		toks[k].role = roleName
		for i := k - 1; i >= 0 && k-i <= 4; i-- {
			gap := text[toks[i].end:toks[i+1].start]
			if strings.TrimSpace(strings.Trim(gap, ",.")) != "" || !capitalised(text, toks[i]) || toks[i].sentEnd {
				break
			}
			if toks[i].role == roleText {
				toks[i].role = roleName
			}
		}
	}
}

func capitalised(text string, t token) bool {
	r, _ := utf8.DecodeRuneInString(text[t.start:t.end])
	return unicode.IsUpper(r) || unicode.IsDigit(r)
}

// markLabel marks the enumeration label a clause opens with: "1.",
// "2.1", "A.1.", "I.2.a.", "(a)", "iv)". A label is one or more pieces (a
// number of up to three digits, a letter, a roman numeral) joined by dots
// and closed by a dot or a parenthesis, or a multi-level number ("2.1",
// "1.1.1") standing alone.
func markLabel(text string, toks []token) {
	pos := 0
	for pos < len(text) && (text[pos] == ' ' || text[pos] == '(') {
		pos++
	}
	for k := 0; k < len(toks) && k < 6; k++ {
		t := toks[k]
		if t.start != pos || !labelPiece(t.key) {
			return
		}
		rest := text[t.end:]
		multi := isNumber(t.key) && strings.Contains(t.key, ".")
		switch {
		case strings.HasPrefix(rest, ".") || strings.HasPrefix(rest, ")"):
			pos = t.end + 1
		case multi && (rest == "" || rest[0] == ' '):
			pos = t.end
		case k == 0 && isNumber(t.key) && headingLike(rest):
			pos = t.end // "1 Right to Use Services."
		default:
			return
		}
		toks[k].role = roleLabel
		for pos < len(text) && strings.IndexByte(" .)(", text[pos]) >= 0 {
			pos++
		}
	}
}

func labelPiece(k string) bool {
	if isNumber(k) {
		return len(strings.Split(k, ".")[0]) <= 3 && !strings.Contains(k, ",")
	}
	if utf8.RuneCountInString(k) == 1 {
		return true
	}
	return len(k) <= 5 && strings.Trim(k, "ivxlc") == ""
}

// xrefWords introduce a reference to another part of the document or of
// a law, in the languages the extractor reads.
var xrefWords = map[string]bool{
	"section": true, "sections": true, "article": true, "articles": true, "clause": true, "clauses": true,
	"paragraph": true, "paragraphs": true, "chapter": true, "schedule": true, "exhibit": true,
	"annex": true, "appendix": true, "part": true, "item": true, "sec": true, "art": true,
	"abschnitt": true, "ziffer": true, "absatz": true, "artikel": true, "paragraphe": true, "alinéa": true,
}

// xrefLink joins the numbers of one reference: "Sections 3 and 4",
// "D.4 - D.7", "7.1 (a)".
var xrefLink = map[string]bool{"and": true, "or": true, "to": true, "through": true, "et": true, "und": true, "bis": true, "à": true}

// markCrossRefs marks the numbers of cross-references: those after a
// reference word ("Section 26", "Article 27", "§ 5") and those written
// as a lettered section number ("D.7").
func markCrossRefs(text string, toks []token) {
	for k := range toks {
		t := toks[k]
		lettered := isNumber(t.key) && t.start >= 2 && text[t.start-1] == '.' && k > 0 &&
			toks[k-1].end == t.start-1 && utf8.RuneCountInString(toks[k-1].key) == 1
		if lettered {
			toks[k].role, toks[k-1].role = roleXRef, roleXRef
		}
		section := xrefWords[t.key] || (t.start > 0 && strings.HasSuffix(strings.TrimRight(text[:t.start], " "), "§"))
		if !section {
			continue
		}
		start := k // "§ 5": the number is this token
		if xrefWords[t.key] {
			start = k + 1
		}
		for i := start; i < len(toks) && i < start+8; i++ {
			kk := toks[i].key
			if isNumber(kk) || utf8.RuneCountInString(kk) == 1 {
				toks[i].role = roleXRef
				continue
			}
			if xrefLink[kk] && i > start {
				continue
			}
			break
		}
	}
}

// phoneNumber matches a telephone number: an optional +, then at least
// seven digits in groups separated by spaces, dots, hyphens or
// parentheses.
var phoneNumber = regexp.MustCompile(`\+?\(?\d{1,4}\)?(?:[ .\-]?\(?\d{2,4}\)?){2,5}`)

var isoDate = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// postalWords follow or precede the numbers of a postal address.
var postalWords = map[string]bool{
	"street": true, "st": true, "avenue": true, "ave": true, "road": true, "rd": true, "boulevard": true,
	"blvd": true, "suite": true, "ste": true, "floor": true, "fl": true, "box": true, "lane": true, "way": true,
	"drive": true, "dr": true, "place": true, "square": true, "strasse": true, "straße": true, "str": true,
	"rue": true, "avenida": true, "calle": true, "via": true, "cedex": true, "po": true,
}

// markContactDetails marks the digits of phone numbers (seven digits or
// more) and of postal addresses: a house number before a street word, a
// number after "Suite" or "Floor", a postal code after a two-letter state
// or before a capitalised town.
func markContactDetails(text string, toks []token) {
	if asciiDigits(text) >= 7 {
		markPhones(text, toks)
	}
	markPostal(text, toks)
}

// asciiDigits counts the digits 0–9 of text; a phone number needs seven,
// and phoneNumber's \d is ASCII.
func asciiDigits(text string) int {
	n := 0
	for i := 0; i < len(text); i++ {
		if text[i] >= '0' && text[i] <= '9' {
			n++
		}
	}
	return n
}

// markPhones marks the digits of phone numbers: seven digits or more.
func markPhones(text string, toks []token) {
	for _, sp := range phoneNumber.FindAllStringIndex(text, -1) {
		digits := 0
		for _, r := range text[sp[0]:sp[1]] {
			if unicode.IsDigit(r) {
				digits++
			}
		}
		if digits < 7 || isoDate.MatchString(text[sp[0]:sp[1]]) {
			continue
		}
		for k := range toks {
			if toks[k].start >= sp[0] && toks[k].end <= sp[1] && isNumber(toks[k].key) {
				toks[k].role = roleContact
			}
		}
	}
}

// markPostal marks the numbers of postal addresses: a house number before
// a street word, a number after "Suite" or "Floor", a postal code after a
// two-letter state.
func markPostal(text string, toks []token) {
	for k, t := range toks {
		if !isNumber(t.key) || t.role != roleText {
			continue
		}
		next := false
		for i := k + 1; i < len(toks) && i <= k+3; i++ {
			if postalWords[toks[i].key] {
				next = true
			}
		}
		prev := k > 0 && postalWords[toks[k-1].key]
		state := k > 0 && len(toks[k-1].key) == 2 && strings.ToUpper(text[toks[k-1].start:toks[k-1].end]) == text[toks[k-1].start:toks[k-1].end] &&
			len(t.key) == 5
		if next || prev || state {
			toks[k].role = roleContact
		}
	}
}

// headingLike reports whether rest (the text after a number at the head
// of a clause) reads as a numbered title: a space, then a capitalised
// word that is not a unit ("1 Right to Use Services", not "30 Days" or
// "14 Tage").
func headingLike(rest string) bool {
	if len(rest) < 2 || rest[0] != ' ' {
		return false
	}
	r, _ := utf8.DecodeRuneInString(rest[1:])
	if !unicode.IsUpper(r) {
		return false
	}
	w := strings.ToLower(strings.Fields(rest)[0])
	return !periodUnit(strings.Trim(w, ".,;:"))
}
