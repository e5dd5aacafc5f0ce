package diff

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

//go:embed rules.yaml
var defaultRules []byte

// DefaultRulesYAML returns the embedded default rules file, the starting
// point for a deployment's own copy.
func DefaultRulesYAML() []byte { return bytes.Clone(defaultRules) }

// Categories is the privacy vocabulary every change is described in, in
// the order reports list it.
var categoryOrder = []string{
	"collection", "use", "sharing", "retention", "security", "children",
	"rights", "tracking", "transfer", "policy-change", "contact", "scope",
}

// Categories returns the privacy categories, in report order.
func Categories() []string { return slices.Clone(categoryOrder) }

// Rules are the lexicons, triggers and thresholds that decide which
// changes are material. Load them with DefaultRules, ParseRules or
// LoadRules; the zero value is not usable.
type Rules struct {
	file rulesFile

	negations, filler lexicon
	// idioms are phrases whose negation word negates no promise
	// ("including but not limited to").
	idioms lexicon
	// negPrefixes negate the word they open ("inappropriate").
	negPrefixes    []string
	firm, soft     lexicon
	modals         lexicon // firm then soft, for scanning an edit
	spelling       map[string]string
	categories     []categoryRule
	listCategories map[string]bool
	terms          []termRule
	// falseFriends are, per category, phrases in which its keywords mean
	// something else ("protection des données" is not a security measure).
	falseFriends map[string]*lexicon
	tiers        tierRules
	// changelog are headings of a change log or "what changed" banner.
	changelog lexicon
	// changelogOpenings open a sentence that describes the document's own
	// change ("We added more detail about …").
	changelogOpenings lexicon
	// changelogVerbs, with a list heading, make a new change-log entry a
	// declared change to a list of recipients or trackers.
	changelogVerbs lexicon
	// listHeadings are, per category, headings of a list or table whose
	// rows are items of that category (sub-processors, cookies).
	listHeadings map[string]*lexicon
	// mailboxes are the mailbox names of a privacy contact address
	// ("privacy@", "dpo@").
	mailboxes map[string]bool
	// parties are, per category, the cues before the name of a party
	// that publishes, operates or hosts the service (parties.go).
	parties []partyCue
	// rankFirst are the terms whose new statement ranks a change first
	// within its direction (rank.go); they never decide the verdict.
	rankFirst lexicon
	// lang is the language the rules read (ISO 639-1); langs, on the
	// rules Compare is given, holds the rules of the other languages
	// (lang.go).
	lang  string
	langs *langSet
	// The grammar a language's rules need beyond word lists (lang.go).
	grammar grammar
}

// tierRules tell who a sentence is about (docs/decisions/0021): the
// provider's own practice, a rule for users (conduct), or the contract.
type tierRules struct {
	provider, practices, passive lexicon
	conduct, conductHeadings     lexicon
	contract                     lexicon
	data                         lexicon
}

// rulesFile is the YAML shape of a rules file.
type rulesFile struct {
	Version int `yaml:"version"`
	// Language is the language the file's words are in: "en" when absent.
	Language   string `yaml:"language"`
	Window     int    `yaml:"window"`
	Similarity struct {
		Pair float64 `yaml:"pair"`
		Part float64 `yaml:"part"`
	} `yaml:"similarity"`
	Rename struct {
		MinClauses int `yaml:"min_clauses"`
		MaxWords   int `yaml:"max_words"`
	} `yaml:"rename"`
	Negations []string `yaml:"negations"`
	Idioms    []string `yaml:"negation_idioms"`
	Prefixes  []string `yaml:"negation_prefixes"`
	Modals    struct {
		Firm []string `yaml:"firm"`
		Soft []string `yaml:"soft"`
	} `yaml:"modals"`
	Filler         []string                `yaml:"filler"`
	Spelling       [][]string              `yaml:"spelling"`
	Categories     map[string]categoryYAML `yaml:"categories"`
	ListCategories []string                `yaml:"list_categories"`
	Terms          []termYAML              `yaml:"terms"`
	FalseFriends   map[string][]string     `yaml:"false_friends"`
	Tiers          struct {
		Provider        []string `yaml:"provider"`
		Practices       []string `yaml:"practices"`
		Passive         []string `yaml:"passive"`
		Conduct         []string `yaml:"conduct"`
		ConductHeadings []string `yaml:"conduct_headings"`
		Contract        []string `yaml:"contract"`
		Data            []string `yaml:"data"`
		Reader          []string `yaml:"reader"`
		PassiveAdverbs  []string `yaml:"passive_adverbs"`
		PassiveReach    int      `yaml:"passive_reach"`
	} `yaml:"tiers"`
	Conjunctions      []string            `yaml:"conjunctions"`
	LetterVariants    [][]string          `yaml:"letter_variants"`
	FoldAccents       bool                `yaml:"fold_accents"`
	ChangelogOpenings []string            `yaml:"changelog_openings"`
	ChangelogHeadings []string            `yaml:"changelog_headings"`
	ChangelogVerbs    []string            `yaml:"changelog_list_verbs"`
	ListHeadings      map[string][]string `yaml:"list_headings"`
	ContactMailboxes  []string            `yaml:"contact_mailboxes"`
	Parties           map[string][]string `yaml:"parties"`
	RankFirst         []string            `yaml:"rank_first"`
}

type categoryYAML struct {
	Label    string   `yaml:"label"`
	Keywords []string `yaml:"keywords"`
}

type termYAML struct {
	Kind     string   `yaml:"kind"`
	Category string   `yaml:"category"`
	Words    []string `yaml:"words"`
}

type categoryRule struct {
	name, label string
	keywords    lexicon
}

type termRule struct {
	kind, category string
	words          lexicon
}

// ErrRules marks a rules file that cannot be used.
var ErrRules = errors.New("invalid rules")

// DefaultRules returns the embedded rules.
func DefaultRules() *Rules {
	r, err := ParseRules(defaultRules)
	if err != nil {
		panic("diff: embedded rules.yaml is invalid: " + err.Error())
	}
	return r
}

// LoadRules reads and checks a rules file.
func LoadRules(path string) (*Rules, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading rules: %w", err)
	}
	r, err := ParseRules(data)
	if err != nil {
		return nil, fmt.Errorf("rules file %s: %w", path, err)
	}
	if err := loadSiblingLangs(r, path); err != nil {
		return nil, err
	}
	return r, nil
}

// ParseRules checks and compiles rules from YAML. Unknown fields, unknown
// categories and out-of-range thresholds are errors that name the line or
// the field.
//
// The rules of other languages are the embedded rules.LANG.yaml files
// (lang.go), read when a document in that language is first compared.
func ParseRules(data []byte) (*Rules, error) {
	f, err := decodeRules(data)
	if err != nil {
		return nil, err
	}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrRules, fmt.Sprintf(format, a...))
	}
	if f.Version != 1 {
		return nil, bad("version is %d; this clausewatch reads version 1", f.Version)
	}
	if f.Window < 1 || f.Window > 100 {
		return nil, bad("window must be between 1 and 100 words, not %d", f.Window)
	}
	if f.Similarity.Pair <= 0 || f.Similarity.Pair > 1 || f.Similarity.Part <= 0 || f.Similarity.Part > 1 {
		return nil, bad("similarity.pair and similarity.part must be in (0, 1]")
	}
	if f.Rename.MinClauses < 2 {
		return nil, bad("rename.min_clauses must be at least 2, not %d", f.Rename.MinClauses)
	}
	if f.Rename.MaxWords < 1 || f.Rename.MaxWords > 10 {
		return nil, bad("rename.max_words must be between 1 and 10, not %d", f.Rename.MaxWords)
	}
	r, err := compileRules(f)
	if err != nil {
		return nil, err
	}
	r.langs = embeddedLangs()
	return r, nil
}

// decodeRules reads the YAML of a rules file, refusing unknown fields.
func decodeRules(data []byte) (rulesFile, error) {
	var f rulesFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return f, fmt.Errorf("%w: the file is empty", ErrRules)
		}
		return f, fmt.Errorf("%w: %s", ErrRules, yamlMessage(err))
	}
	return f, nil
}

// compileRules checks and compiles the word lists of a decoded file whose
// thresholds are known to be in range.
func compileRules(f rulesFile) (*Rules, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrRules, fmt.Sprintf(format, a...))
	}
	r := &Rules{file: f, spelling: map[string]string{}, listCategories: map[string]bool{}}
	var err error
	compile := func(field string, words []string) []pattern {
		if err != nil {
			return nil
		}
		var ps []pattern
		ps, err = compilePatterns(field, words)
		return ps
	}
	// Every list is indexed once here, for the judge (lexicon.go).
	lex := func(field string, words []string) lexicon { return newLexicon(compile(field, words)) }
	r.negations = lex("negations", f.Negations)
	r.idioms = lex("negation_idioms", f.Idioms)
	for _, p := range f.Prefixes {
		r.negPrefixes = append(r.negPrefixes, strings.ToLower(p))
	}
	r.filler = lex("filler", f.Filler)
	r.firm = lex("modals.firm", f.Modals.Firm)
	r.soft = lex("modals.soft", f.Modals.Soft)
	r.modals = newLexicon(append(slices.Clone(r.firm.list), r.soft.list...))
	for name := range f.Categories {
		if !slices.Contains(categoryOrder, name) {
			return nil, bad("unknown category %q under categories (use one of %s)", name, strings.Join(categoryOrder, ", "))
		}
	}
	for _, name := range categoryOrder {
		c, ok := f.Categories[name]
		if !ok {
			continue
		}
		r.categories = append(r.categories, categoryRule{name: name, label: c.Label, keywords: lex("categories."+name, c.Keywords)})
	}
	for _, name := range f.ListCategories {
		if !slices.Contains(categoryOrder, name) {
			return nil, bad("unknown category %q in list_categories", name)
		}
		r.listCategories[name] = true
	}
	for i, t := range f.Terms {
		if !slices.Contains(categoryOrder, t.Category) {
			return nil, bad("terms[%d] (%s): unknown category %q", i, t.Kind, t.Category)
		}
		if t.Kind == "" {
			return nil, bad("terms[%d]: kind is missing", i)
		}
		r.terms = append(r.terms, termRule{kind: t.Kind, category: t.Category, words: lex(fmt.Sprintf("terms[%d]", i), t.Words)})
	}
	r.falseFriends = map[string]*lexicon{}
	for name, ws := range f.FalseFriends {
		if !slices.Contains(categoryOrder, name) {
			return nil, bad("unknown category %q under false_friends", name)
		}
		l := lex("false_friends."+name, ws)
		r.falseFriends[name] = &l
	}
	r.tiers = tierRules{
		provider:        lex("tiers.provider", f.Tiers.Provider),
		practices:       lex("tiers.practices", f.Tiers.Practices),
		passive:         lex("tiers.passive", f.Tiers.Passive),
		conduct:         lex("tiers.conduct", f.Tiers.Conduct),
		conductHeadings: lex("tiers.conduct_headings", f.Tiers.ConductHeadings),
		contract:        lex("tiers.contract", f.Tiers.Contract),
		data:            lex("tiers.data", f.Tiers.Data),
	}
	r.changelogOpenings = lex("changelog_openings", f.ChangelogOpenings)
	r.changelog = lex("changelog_headings", f.ChangelogHeadings)
	r.changelogVerbs = lex("changelog_list_verbs", f.ChangelogVerbs)
	r.listHeadings = map[string]*lexicon{}
	for name, ws := range f.ListHeadings {
		if !slices.Contains(categoryOrder, name) {
			return nil, bad("unknown category %q under list_headings", name)
		}
		l := lex("list_headings."+name, ws)
		r.listHeadings[name] = &l
	}
	for _, name := range slices.Sorted(maps.Keys(f.Parties)) {
		if !slices.Contains(categoryOrder, name) {
			return nil, bad("unknown category %q under parties", name)
		}
		for _, p := range compile("parties."+name, f.Parties[name]) {
			r.parties = append(r.parties, partyCue{cue: p, category: name})
		}
	}
	r.rankFirst = lex("rank_first", f.RankFirst)
	if err == nil {
		r.lang, r.grammar, err = compileGrammar(f)
	}
	r.mailboxes = map[string]bool{}
	for _, m := range f.ContactMailboxes {
		r.mailboxes[strings.ToLower(m)] = true
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRules, err)
	}
	for i, line := range f.Spelling {
		if len(line) < 2 {
			return nil, bad("spelling[%d] needs at least two words", i)
		}
		for _, w := range line {
			toks := tokenize(w, nil)
			if len(toks) != 1 {
				return nil, bad("spelling[%d]: %q is not one word", i, w)
			}
			r.spelling[toks[0].key] = strings.ToLower(line[0])
		}
	}
	return r, nil
}

// yamlMessage turns a YAML decoding error into one line without Go type
// names: "line 2: field nope not found".
func yamlMessage(err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "yaml: unmarshal errors:")
	msg = strings.TrimPrefix(msg, "yaml: ")
	msg = goTypeName.ReplaceAllString(msg, "")
	parts := strings.Split(msg, "\n")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return strings.Trim(strings.Join(parts, "; "), "; ")
}

var goTypeName = regexp.MustCompile(` (?:in|into) (?:type )?[\w.\[\]*]+`)

// label returns the reader-facing label of a category name.
func (r *Rules) label(name string) string {
	for _, c := range r.categories {
		if c.name == name {
			return c.label
		}
	}
	return name
}

// negationAt reports whether a negation starts at keys[i], outside the
// negation idioms.
func (r *Rules) negationAt(keys []string, i int) bool {
	return r.negations.startsAt(keys, i) && !r.idioms.covered(keys, i)
}

// countNegations counts the negations in keys.
func (r *Rules) countNegations(keys []string) int {
	n := 0
	for i := range keys {
		if r.negationAt(keys, i) {
			n++
		}
	}
	return n
}

// affixNegations counts the words of keys that negate, by a prefix, a word
// that other negates with a negation word: "not appropriate" in other and
// "inappropriate" in keys say the same.
func (r *Rules) affixNegations(keys, other []string) int {
	stems := map[string]bool{}
	for i := 0; i+1 < len(other); i++ {
		if r.negationAt(other, i) {
			stems[other[i+1]] = true
		}
	}
	if len(stems) == 0 {
		return 0
	}
	n := 0
	for _, k := range keys {
		for _, p := range r.negPrefixes {
			if w, ok := strings.CutPrefix(k, p); ok && stems[w] {
				n++
				break
			}
		}
	}
	return n
}

// hasNegation reports whether keys[lo:hi] hold a negation.
func (r *Rules) hasNegation(keys []string, lo, hi int) bool {
	for i := lo; i < hi; i++ {
		if r.negationAt(keys, i) {
			return true
		}
	}
	return false
}

// isFiller reports whether every key is a filler word.
// Each key is looked up in the filler list's index (a one-word entry
// matching at i is one that matches and ends by i+1).
func (r *Rules) isFiller(ks []string) bool {
	for i := range ks {
		if !r.filler.anyAt(ks, i, i+1) {
			return false
		}
	}
	return true
}

// lexical reports whether a key is a word that any rule looks at, so that
// an edit to it must not be waved through as a typo or rename.
func (r *Rules) lexical(k string) bool {
	one := []string{k}
	check := func(l lexicon) bool {
		for _, p := range l.list {
			if p.matchAt(one, 0) {
				return true
			}
			for _, pc := range p.pieces {
				if pc.word == k {
					return true
				}
			}
		}
		return false
	}
	if check(r.negations) || check(r.firm) || check(r.soft) {
		return true
	}
	for _, t := range r.terms {
		if check(t.words) {
			return true
		}
	}
	return false
}
