package diff

import (
	"unicode"
	"unicode/utf8"
)

// inline returns the word-level diff of two clause texts for display:
// words, runs of white space and single punctuation marks are the units,
// diffed with go-diff and tidied with its semantic cleanup, so a reader
// sees whole words struck and inserted, never fragments of them.
func inline(a, b string) []Span {
	ta, tb := displayTokens(a), displayTokens(b)
	var out []Span
	push := func(op string, ts []string) {
		if len(ts) == 0 {
			return
		}
		s := ""
		for _, t := range ts {
			s += t
		}
		if k := len(out) - 1; k >= 0 && out[k].Op == op {
			out[k].Text += s
			return
		}
		out = append(out, Span{Op: op, Text: s})
	}
	for _, e := range diffSym(ta, tb, true) {
		if e.equal {
			push("=", ta[e.aLo:e.aHi])
			continue
		}
		push("-", ta[e.aLo:e.aHi])
		push("+", tb[e.bLo:e.bHi])
	}
	return out
}

// displayTokens splits text into words, white-space runs and single other
// characters; concatenated they give the text back.
func displayTokens(s string) []string {
	var out []string
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		j := i + size
		switch {
		case isWordRune(r):
			for j < len(s) {
				r2, n := utf8.DecodeRuneInString(s[j:])
				if !isWordRune(r2) && r2 != '\'' {
					break
				}
				j += n
			}
		case unicode.IsSpace(r):
			for j < len(s) {
				r2, n := utf8.DecodeRuneInString(s[j:])
				if !unicode.IsSpace(r2) {
					break
				}
				j += n
			}
		}
		out = append(out, s[i:j])
		i = j
	}
	return out
}
