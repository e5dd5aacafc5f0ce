package extract

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/abadojack/whatlanggo"
)

// The bounds of language detection from text (docs/decisions/0028). The
// detector reads trigrams, so a few hundred letters decide as well as a
// whole page, and its cost grows with what it reads.
const (
	// MinDetectLetters is the fewest letters a text must hold for
	// DetectLang to name its language: a shorter clause ("Cookies",
	// "Contact us") says too little, and is taken to be in the
	// document's language.
	MinDetectLetters = 40
	// maxDetectBytes is the most text DetectLang reads.
	maxDetectBytes = 1024
)

// DetectLang names the language of text from its letters (ISO 639-1, "fr";
// ISO 639-3 for a language without a two-letter code), or returns "" when
// the text is shorter than MinDetectLetters or the detector is not sure
// of it. Only the first 1 KB is read.
func DetectLang(text string) string {
	if len(text) > maxDetectBytes {
		cut := maxDetectBytes
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut]
	}
	letters := 0
	for _, r := range text {
		if unicode.IsLetter(r) {
			letters++
		}
	}
	if letters < MinDetectLetters {
		return ""
	}
	info := whatlanggo.Detect(text)
	if !info.IsReliable() {
		return ""
	}
	if code := info.Lang.Iso6391(); code != "" {
		return code
	}
	return info.Lang.Iso6393()
}

// LangCode returns the primary language subtag of a language tag, lower
// case: "en-US" → "en", "fr_FR" → "fr", " DE " → "de". It returns ""
// for an empty tag or the undetermined "und".
func LangCode(tag string) string {
	tag = strings.ToLower(strings.TrimSpace(tag))
	if i := strings.IndexAny(tag, "-_"); i >= 0 {
		tag = tag[:i]
	}
	if tag == "und" || tag == "*" {
		return ""
	}
	return tag
}

// setLang fills doc.Lang when the page declared none (html lang,
// xml:lang): from the Content-Language header the page was served with
// (its first tag, when it names one language), else from the clause text
// by DetectLang. A declared language is kept as written ("en-US").
func setLang(doc *Document, contentLanguage string) {
	if doc == nil || LangCode(doc.Lang) != "" {
		return
	}
	if tags := strings.Split(contentLanguage, ","); len(tags) == 1 && LangCode(tags[0]) != "" {
		doc.Lang = strings.TrimSpace(tags[0])
		return
	}
	var b strings.Builder
	for _, c := range doc.Clauses {
		if b.Len() >= maxDetectBytes {
			break
		}
		if c.Kind == Heading {
			continue
		}
		b.WriteString(c.Text)
		b.WriteByte(' ')
	}
	doc.Lang = DetectLang(b.String())
}
