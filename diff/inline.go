package diff

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// inline returns the word-level diff of two clause texts for display:
// words, runs of white space and single punctuation marks are the units,
// diffed with go-diff and tidied with its semantic cleanup, so a reader
// sees whole words struck and inserted, never fragments of them.
//
// Each span is built once from its tokens (a replaced clause of 1 MiB is
// one span of 300,000 tokens: adding them one by one to a string was
// quadratic).
func inline(a, b string, bud *budget) []Span {
	ta, tb := displayTokens(a), displayTokens(b)
	type run struct {
		op  string
		tok [][]string
	}
	var runs []run
	push := func(op string, ts []string) {
		if len(ts) == 0 {
			return
		}
		if k := len(runs) - 1; k >= 0 && runs[k].op == op {
			runs[k].tok = append(runs[k].tok, ts)
			return
		}
		runs = append(runs, run{op: op, tok: [][]string{ts}})
	}
	for _, e := range diffSym(ta, tb, true, maxSeqCells, bud) {
		if e.equal {
			push("=", ta[e.aLo:e.aHi])
			continue
		}
		push("-", ta[e.aLo:e.aHi])
		push("+", tb[e.bLo:e.bHi])
	}
	out := make([]Span, len(runs))
	for i, r := range runs {
		var s strings.Builder
		for _, ts := range r.tok {
			for _, t := range ts {
				s.WriteString(t)
			}
		}
		out[i] = Span{Op: r.op, Text: s.String()}
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
