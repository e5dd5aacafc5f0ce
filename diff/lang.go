package diff

import (
	"embed"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/clausewatch/clausewatch/extract"
)

// Policies in other languages (docs/decisions/0028): each language's words
// live in rules.LANG.yaml beside rules.yaml, in the same format. A
// document is judged with the rules of its language (extract.Document.Lang),
// and a changed clause long enough to tell in another language with the
// rules of that one. A language with no rules is not judged: any change
// beyond the cosmetic re-vets, with the reason saying so.

//go:embed rules.*.yaml
var langFiles embed.FS

// grammar is what a language's rules need beyond word lists.
type grammar struct {
	// reader are the words for the reader ("you", "vous"): a practice
	// verb right after one is the reader's doing, not a practice.
	reader []string
	// passiveAdverbs may stand between a passive auxiliary and its verb
	// ("is also shared"); passiveReach is how many words after the
	// auxiliary the verb may come (German puts it last: "werden … an
	// Dritte weitergegeben").
	passiveAdverbs map[string]bool
	passiveReach   int
	// conjunctions join the items of a list ("and", "et", "und").
	conjunctions map[string]bool
	// letterVariants are letters written either way ("ß"/"ss"); with
	// foldAccents, words that differ only in accents are the same word.
	letterVariants [][2]string
	foldAccents    bool
}

func compileGrammar(f rulesFile) (string, grammar, error) {
	g := grammar{reader: []string{"you"}, passiveAdverbs: maps.Clone(passiveAdverbs), passiveReach: 1,
		conjunctions: map[string]bool{"and": true, "or": true}, foldAccents: f.FoldAccents}
	lang := extract.LangCode(f.Language)
	if lang == "" {
		lang = "en"
	}
	if len(f.Tiers.Reader) > 0 {
		g.reader = lowerAll(f.Tiers.Reader)
	}
	for _, w := range f.Tiers.PassiveAdverbs {
		g.passiveAdverbs[strings.ToLower(w)] = true
	}
	if f.Tiers.PassiveReach < 0 || f.Tiers.PassiveReach > 20 {
		return "", g, fmt.Errorf("tiers.passive_reach must be between 1 and 20 words, not %d", f.Tiers.PassiveReach)
	}
	if f.Tiers.PassiveReach > 0 {
		g.passiveReach = f.Tiers.PassiveReach
	}
	if len(f.Conjunctions) > 0 {
		g.conjunctions = map[string]bool{}
		for _, w := range f.Conjunctions {
			g.conjunctions[strings.ToLower(w)] = true
		}
	}
	for i, v := range f.LetterVariants {
		if len(v) != 2 || v[0] == "" || v[1] == "" {
			return "", g, fmt.Errorf("letter_variants[%d] needs two spellings", i)
		}
		g.letterVariants = append(g.letterVariants, [2]string{strings.ToLower(v[0]), strings.ToLower(v[1])})
	}
	return lang, g, nil
}

func lowerAll(ws []string) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = strings.ToLower(w)
	}
	return out
}

// langSet holds the rules of the languages other than the base rules'
// own, each compiled the first time a document needs it.
type langSet struct {
	mu     sync.Mutex
	src    map[string][]byte // language → rules file
	origin map[string]string // language → where the file came from, for errors
	rules  map[string]*Rules
}

// embeddedLangs returns the embedded per-language rules, not yet parsed.
func embeddedLangs() *langSet {
	ls := &langSet{src: map[string][]byte{}, origin: map[string]string{}, rules: map[string]*Rules{}}
	names, _ := langFiles.ReadDir(".")
	for _, e := range names {
		code := langOfFile(e.Name())
		data, err := langFiles.ReadFile(e.Name())
		if code == "" || err != nil {
			continue
		}
		ls.src[code], ls.origin[code] = data, "embedded "+e.Name()
	}
	return ls
}

// langOfFile returns the language of a file named rules.LANG.yaml (or
// NAME.LANG.yaml), or "".
func langOfFile(name string) string {
	base := strings.TrimSuffix(filepath.Base(name), ".yaml")
	i := strings.LastIndexByte(base, '.')
	if i < 0 || base == name {
		return ""
	}
	return extract.LangCode(base[i+1:])
}

// Languages returns the languages the rules judge, sorted.
func (r *Rules) Languages() []string {
	out := []string{r.lang}
	if r.langs != nil {
		out = append(out, slices.Collect(maps.Keys(r.langs.src))...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// LangRulesYAML returns the rules file of one language (the base file for
// the base rules' language), or nil when the rules have none for it.
func (r *Rules) LangRulesYAML(lang string) []byte {
	lang = extract.LangCode(lang)
	if lang == r.lang {
		return nil
	}
	if r.langs == nil {
		return nil
	}
	r.langs.mu.Lock()
	defer r.langs.mu.Unlock()
	return slices.Clone(r.langs.src[lang])
}

// forLang returns the rules for a language code, and false when there are
// none for it. The empty code (language unknown) gets the base rules.
func (r *Rules) forLang(lang string) (*Rules, bool) {
	if lang == "" || lang == r.lang {
		return r, true
	}
	if r.langs == nil {
		return r, false
	}
	ls := r.langs
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if lr, ok := ls.rules[lang]; ok {
		return lr, true
	}
	data, ok := ls.src[lang]
	if !ok {
		return r, false
	}
	lr, err := parseLangRules(lang, data, r)
	if err != nil {
		// Embedded files are checked by the tests and deployment files
		// when they are loaded; this cannot happen short of a bug.
		panic(fmt.Sprintf("diff: %s: %v", ls.origin[lang], err))
	}
	ls.rules[lang] = lr
	return lr, true
}

// parseLangRules reads the rules of one language. Window, similarity and
// rename thresholds, category labels and the spelling list come from the
// base rules when the file leaves them out.
func parseLangRules(lang string, data []byte, base *Rules) (*Rules, error) {
	f, err := decodeRules(data)
	if err != nil {
		return nil, err
	}
	if f.Version != 1 {
		return nil, fmt.Errorf("%w: version is %d; this clausewatch reads version 1", ErrRules, f.Version)
	}
	if got := extract.LangCode(f.Language); got != lang {
		return nil, fmt.Errorf("%w: language is %q, and the file name says %q", ErrRules, f.Language, lang)
	}
	bf := base.file
	if f.Window == 0 {
		f.Window = bf.Window
	}
	if f.Similarity.Pair == 0 {
		f.Similarity = bf.Similarity
	}
	if f.Rename.MinClauses == 0 {
		f.Rename = bf.Rename
	}
	f.Spelling = append(slices.Clone(bf.Spelling), f.Spelling...)
	for name, c := range f.Categories {
		if c.Label == "" {
			c.Label = base.label(name)
			f.Categories[name] = c
		}
	}
	return compileRules(f)
}

// loadSiblingLangs adds to r the language files beside a deployment's
// rules file: for my-rules.yaml, my-rules.fr.yaml and so on. They replace
// the embedded file of their language, and are checked now.
func loadSiblingLangs(r *Rules, path string) error {
	stem := strings.TrimSuffix(path, filepath.Ext(path))
	files, _ := filepath.Glob(stem + ".*.yaml")
	for _, p := range files {
		code := langOfFile(p)
		if code == "" {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("reading rules: %w", err)
		}
		lr, err := parseLangRules(code, data, r)
		if err != nil {
			return fmt.Errorf("rules file %s: %w", p, err)
		}
		r.langs.src[code], r.langs.origin[code], r.langs.rules[code] = data, p, lr
	}
	return nil
}

// minClauseLetters is the fewest letters a changed clause needs for its
// own language to be read (a sentence of ten words or so); a shorter one
// is in the document's language.
const minClauseLetters = 50

// clauseLang returns the language of a clause: its own, when it is long
// enough to tell, the detector is sure of it and the clause's function
// words agree (confirms), else the document's. The judge reads only
// changed clauses, each once; a clause whose words are plainly the
// document's (a share of its function words of at least plainShare) is
// not sent to the detector, which reads at most detectBytes of it.
func (j judge) clauseLang(c *clause) string {
	if l, ok := j.langOf[c]; ok {
		return l
	}
	const plainShare = 0.15
	l := j.docLang
	// The addresses are blanked only for a clause that may be in another
	// language: most are plainly in the document's.
	if own := j.ownShare(c); own < plainShare {
		if text := withoutAddresses(c.c.Text); letterCount(text, minClauseLetters) >= minClauseLetters {
			l = j.otherLang(c, text, own)
		}
	}
	j.langOf[c] = l
	return l
}

// otherLang returns the language DetectLang reads in text, the clause's
// text without its addresses, when the clause's function words confirm it
// (own is their share in the document's language), else the document's.
func (j judge) otherLang(c *clause, text string, own float64) string {
	const detectBytes = 400
	if d := extract.DetectLang(prefix(text, detectBytes)); d != "" && d != j.docLang && j.confirms(c, d, own) {
		return d
	}
	return j.docLang
}

// prefix returns s cut to at most n bytes, at a rune boundary.
func prefix(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// ownShare is the share of a clause's words that are function words of
// the document's language (0 when its language has no rules).
func (j judge) ownShare(c *clause) float64 {
	docRules, ok := j.base.forLang(j.docLang)
	if !ok {
		return 0
	}
	return fillerShare(docRules, c.keys())
}

// confirms reports whether a clause's function words (the rules' filler)
// bear out the detector's language d against the document's, of which
// the clause has the share own: more of d's when d has rules, else
// hardly any of the document's. Trigram detection alone takes an English
// sentence ending in an address for French.
func (j judge) confirms(c *clause, d string, own float64) bool {
	if dr, ok := j.base.forLang(d); ok {
		return fillerShare(dr, c.keys()) > own
	}
	const foreign = 0.1
	return own < foreign
}

// fillerShare is the share of keys that are filler words of r.
func fillerShare(r *Rules, keys []string) float64 {
	if len(keys) == 0 {
		return 0
	}
	n := 0
	for i := range keys {
		if r.isFiller(keys[i : i+1]) {
			n++
		}
	}
	return float64(n) / float64(len(keys))
}

// withoutAddresses blanks the e-mail addresses and URLs of a text, which
// say nothing of its language.
func withoutAddresses(text string) string {
	spans := addressSpans(text)
	if len(spans) == 0 {
		return text
	}
	var b strings.Builder
	last := 0
	for _, sp := range spans {
		b.WriteString(text[last:sp[0]])
		b.WriteByte(' ')
		last = sp[1]
	}
	b.WriteString(text[last:])
	return b.String()
}

// letterCount counts the letters of s, stopping at limit.
func letterCount(s string, limit int) int {
	n := 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			if n++; n >= limit {
				break
			}
		}
	}
	return n
}

// matchLang returns the language a match is judged in, the same whichever
// version is old: a language of either side that has no rules (the
// first in order, so that a change in it is never waved through), else
// the document's when a side is in it, else the first in order.
func (j judge) matchLang(m match, olds, news []*clause) string {
	var langs []string
	for _, i := range m.new {
		langs = append(langs, j.clauseLang(news[i]))
	}
	for _, i := range m.old {
		langs = append(langs, j.clauseLang(olds[i]))
	}
	if len(langs) == 0 || slices.Contains(langs, j.docLang) && !slices.ContainsFunc(langs, j.unruled) {
		return j.docLang
	}
	slices.Sort(langs)
	if i := slices.IndexFunc(langs, j.unruled); i >= 0 {
		return langs[i]
	}
	return langs[0]
}

// unruled reports whether the rules have nothing for a language.
func (j judge) unruled(lang string) bool {
	_, ok := j.base.forLang(lang)
	return !ok
}

// judgeMatch classifies a match with the rules of its language, or marks
// it not judged when that language has none; unjudged is then that
// language.
func (j judge) judgeMatch(m match, olds, news []*clause) (ch Change, unjudged string) {
	lang := j.matchLang(m, olds, news)
	lj := j
	lr, known := j.base.forLang(lang)
	if known {
		lj.rules = lr
	}
	ch = lj.change(m, olds, news)
	if lang != j.docLang {
		ch.Lang = lang
	}
	if !known && notJudged(&ch, lang) {
		unjudged = lang
	}
	return ch, unjudged
}

// notJudged turns a change in a language without rules into a re-vet,
// unless it is cosmetic, a rename or a clause moved unchanged: the rules
// cannot read it, so a reviewer must. It reports whether it did.
func notJudged(ch *Change, lang string) bool {
	if ch.Class == Cosmetic || ch.Class == RenameOnly {
		return false
	}
	if ch.Old != nil && ch.New != nil && ch.Old.Text == ch.New.Text {
		return false
	}
	ch.Class = Substantive
	ch.Categories = []string{}
	ch.Reasons = []string{NotJudgedReason(lang)}
	switch {
	case ch.Old == nil:
		ch.Reasons = append(ch.Reasons, "clause added")
	case ch.New == nil:
		ch.Reasons = append(ch.Reasons, "clause removed")
	}
	return true
}

// NotJudgedReason is the reason given for a change in a language the rules
// do not read.
func NotJudgedReason(lang string) string {
	return fmt.Sprintf("not judged — review (no rules for %s)", lang)
}

// letterVariant reports whether two runs of words differ only in letters
// the language writes either way: "ß"/"ss", "ä"/"ae", or accents where
// the rules fold them ("donnees" for "données").
func (r *Rules) letterVariant(del, ins []string) bool {
	g := r.grammar
	if len(del) != len(ins) || len(del) == 0 || (len(g.letterVariants) == 0 && !g.foldAccents) {
		return false
	}
	for i := range del {
		if del[i] == ins[i] {
			continue
		}
		if isNumber(del[i]) || isNumber(ins[i]) || r.foldLetters(del[i]) != r.foldLetters(ins[i]) {
			return false
		}
	}
	return true
}

func (r *Rules) foldLetters(w string) string {
	for _, v := range r.grammar.letterVariants {
		w = strings.ReplaceAll(w, v[0], v[1])
	}
	if !r.grammar.foldAccents {
		return w
	}
	var b strings.Builder
	for _, c := range norm.NFD.String(w) {
		if !unicode.Is(unicode.Mn, c) {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// docLangOf returns the language code of a comparison, the same whichever
// version is old: the language both documents are in, or the one of them
// whose language is known, else the first in order.
func docLangOf(oldDoc, newDoc *extract.Document) string {
	a, b := extract.LangCode(oldDoc.Lang), extract.LangCode(newDoc.Lang)
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return min(a, b)
}
