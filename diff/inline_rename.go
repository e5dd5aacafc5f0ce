package diff

import (
	"strings"
)

// The ops of a Span.
const (
	// OpEqual is text both versions have.
	OpEqual = "="
	// OpDelete is text only the old version has.
	OpDelete = "-"
	// OpInsert is text only the new version has.
	OpInsert = "+"
	// OpRename is text that differs only by one of the result's renames
	// (Result.Renames): Text is the new form, From the old one. It reads
	// as unchanged text, not as a deletion and an insertion
	// (docs/decisions/0044).
	OpRename = "~"
)

// renameSpot is one occurrence of a rename's form in a side's text:
// bytes [lo, hi) of Side.Text, the rename's placeholder, and the words the
// page wrote there (token keys), to tell a real rename from the same form
// on both sides.
type renameSpot struct {
	lo, hi int
	key    string
	words  string
}

// renameSpots finds the forms of the renames in one side of a match: f is
// the side flattened (flatten), cls[idx] its clauses, joined by a line
// break in Side.Text.
func renameSpots(f flatSide, cls []*clause, idx []int) []renameSpot {
	offset := make(map[*clause]int, len(idx))
	pos := 0
	for _, i := range idx {
		offset[cls[i]] = pos
		pos += len(cls[i].c.Text) + 1
	}
	var out []renameSpot
	for k, key := range f.keys {
		if !strings.HasPrefix(key, placeholderPrefix) {
			continue
		}
		r := f.refs[k]
		var w strings.Builder
		for t := r.lo; t < r.hi; t++ {
			w.WriteString(r.cl.toks[t].key)
			w.WriteByte(' ')
		}
		base := offset[r.cl]
		out = append(out, renameSpot{lo: base + r.cl.toks[r.lo].start, hi: base + r.cl.toks[r.hi-1].end, key: key, words: w.String()})
	}
	return out
}

// renameTokens splits a side's text as displayTokens does, except that
// every rename spot is one token whose comparison key is the rename's
// placeholder. texts concatenated give s back; keys are what is diffed;
// words holds a spot's words ("" for other tokens).
type renameTokens struct {
	texts, keys, words []string
}

func splitRenamed(s string, spots []renameSpot) renameTokens {
	var rt renameTokens
	plain := func(part string) {
		for _, t := range displayTokens(part) {
			rt.texts = append(rt.texts, t)
			rt.keys = append(rt.keys, t)
			rt.words = append(rt.words, "")
		}
	}
	pos := 0
	for _, sp := range spots {
		if sp.lo < pos || sp.hi > len(s) || sp.lo >= sp.hi {
			continue // never: spots are in order and inside the text
		}
		plain(s[pos:sp.lo])
		rt.texts = append(rt.texts, s[sp.lo:sp.hi])
		rt.keys = append(rt.keys, sp.key)
		rt.words = append(rt.words, sp.words)
		pos = sp.hi
	}
	plain(s[pos:])
	return rt
}

// inlineRenamed is inline for a clause that changed besides a rename:
// the word diff of a and b in which each rename form (spots on either
// side) is one token, and a form paired with another form of the same
// rename is an OpRename span, not a deletion and an insertion. A
// replacement that semantic cleanup grew over such a pair is cut around
// it, so the rename never shows as an edit next to the real one.
func inlineRenamed(a, b string, sa, sb []renameSpot, bud *budget) []Span {
	ta, tb := splitRenamed(a, sa), splitRenamed(b, sb)
	var sp spanBuilder
	for _, e := range diffSym(ta.keys, tb.keys, true, maxSeqCells, bud) {
		if e.equal {
			for k := 0; k < e.aHi-e.aLo; k++ {
				sp.pair(ta, tb, e.aLo+k, e.bLo+k)
			}
			continue
		}
		sp.replace(ta, tb, e, bud)
	}
	return sp.done()
}

// spanBuilder collects spans, merging neighbours of one op (never two
// renames: each carries its own old form).
type spanBuilder struct {
	out  []Span
	op   string
	text strings.Builder
}

func (sb *spanBuilder) add(op, text string) {
	if text == "" {
		return
	}
	if op != sb.op {
		sb.flush()
		sb.op = op
	}
	sb.text.WriteString(text)
}

func (sb *spanBuilder) flush() {
	if sb.op != "" {
		sb.out = append(sb.out, Span{Op: sb.op, Text: sb.text.String()})
	}
	sb.op = ""
	sb.text.Reset()
}

func (sb *spanBuilder) done() []Span {
	sb.flush()
	return sb.out
}

// pair adds two tokens the diff found equal: a rename form paired with
// another form of it is a rename; the same words written differently
// (case, spacing) are an edit, as inline shows them.
func (sb *spanBuilder) pair(ta, tb renameTokens, i, j int) {
	x, y := ta.texts[i], tb.texts[j]
	switch {
	case ta.words[i] != tb.words[j]:
		sb.flush()
		sb.out = append(sb.out, Span{Op: OpRename, Text: y, From: x})
	case x == y:
		sb.add(OpEqual, x)
	default:
		sb.add(OpDelete, x)
		sb.add(OpInsert, y)
	}
}

// replace adds the replacement of ta[e.aLo:e.aHi] by tb[e.bLo:e.bHi],
// cut around the rename forms the two share (their placeholders aligned
// by a minimal diff).
func (sb *spanBuilder) replace(ta, tb renameTokens, e edit, bud *budget) {
	var pa, pb []int // positions of rename forms
	var ka, kb []string
	for i := e.aLo; i < e.aHi; i++ {
		if strings.HasPrefix(ta.keys[i], placeholderPrefix) {
			pa, ka = append(pa, i), append(ka, ta.keys[i])
		}
	}
	for j := e.bLo; j < e.bHi; j++ {
		if strings.HasPrefix(tb.keys[j], placeholderPrefix) {
			pb, kb = append(pb, j), append(kb, tb.keys[j])
		}
	}
	i, j := e.aLo, e.bLo
	if len(pa) > 0 && len(pb) > 0 {
		for _, f := range diffSym(ka, kb, false, maxSeqCells, bud) {
			if !f.equal {
				continue
			}
			for k := 0; k < f.aHi-f.aLo; k++ {
				x, y := pa[f.aLo+k], pb[f.bLo+k]
				sb.add(OpDelete, strings.Join(ta.texts[i:x], ""))
				sb.add(OpInsert, strings.Join(tb.texts[j:y], ""))
				sb.pair(ta, tb, x, y)
				i, j = x+1, y+1
			}
		}
	}
	sb.add(OpDelete, strings.Join(ta.texts[i:e.aHi], ""))
	sb.add(OpInsert, strings.Join(tb.texts[j:e.bHi], ""))
}

// inlineOf is the word diff of a change with two sides. In a substantive
// or editorial change the renames it contains are OpRename spans, so the
// edits a reader sees are the ones that made the change; a rename-only
// change keeps them as edits, since they are all it is.
func (j judge) inlineOf(ch Change, class Class, o, n flatSide, olds, news []*clause, m match) []Span {
	if (class == Substantive || class == Editorial) && len(j.renamesIn(o, n)) > 0 {
		return inlineRenamed(ch.Old.Text, ch.New.Text, renameSpots(o, olds, m.old), renameSpots(n, news, m.new), j.budget)
	}
	return inline(ch.Old.Text, ch.New.Text, j.budget)
}
