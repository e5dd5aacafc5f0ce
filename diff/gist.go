package diff

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Gist is what a reviewer reads first about a re-vet: who is responsible
// and how to reach them, old → new, and which terms of the privacy
// vocabulary appear in or disappear from the policy as a whole. It is
// read from the two documents, not from the clause changes, so a rewrite
// that moves every clause still has a short gist. See
// docs/decisions/0022-report-for-large-changes.md.
type Gist struct {
	// Facts are the identity facts found in either version, in the order
	// of identityKinds.
	Facts []Fact `json:"facts"`
	// Terms are the lexicon terms (the rules' term kinds, then places)
	// that one version names somewhere and the other nowhere.
	Terms []TermDelta `json:"terms"`
}

// Fact is one identity fact of the policy as each version states it:
// every value found, in document order, at most maxFactValues.
type Fact struct {
	// Kind is "controller", "contracting party", "data protection
	// officer", "privacy contact" or "governing law".
	Kind    string   `json:"kind"`
	Old     []string `json:"old"`
	New     []string `json:"new"`
	Changed bool     `json:"changed"`
}

// TermDelta is one kind of term with the terms only the new version
// names (Added) and only the old one names (Removed).
type TermDelta struct {
	Kind     string   `json:"kind"`
	Category string   `json:"category"`
	Added    []string `json:"added,omitempty"`
	Removed  []string `json:"removed,omitempty"`
}

// Changed reports whether any identity fact changed or any term arrived
// or left.
func (g *Gist) Changed() bool {
	if g == nil {
		return false
	}
	for _, f := range g.Facts {
		if f.Changed {
			return true
		}
	}
	return len(g.Terms) > 0
}

// Lines renders the gist as short lines, changed facts first: "controller:
// A → B", "recipient added: x, y". The web feed, webhooks and the text
// report use the same lines.
func (g *Gist) Lines() []string {
	if g == nil {
		return nil
	}
	var changed, same []string
	for _, f := range g.Facts {
		if f.Changed {
			changed = append(changed, f.Kind+": "+orNone(strings.Join(f.Old, "; "))+" → "+orNone(strings.Join(f.New, "; ")))
		} else {
			same = append(same, f.Kind+": "+strings.Join(f.New, "; ")+" (unchanged)")
		}
	}
	for _, t := range g.Terms {
		if len(t.Added) > 0 {
			changed = append(changed, t.Kind+" added: "+strings.Join(t.Added, ", "))
		}
		if len(t.Removed) > 0 {
			changed = append(changed, t.Kind+" removed: "+strings.Join(t.Removed, ", "))
		}
	}
	return append(changed, same...)
}

// maxFactValues bounds the values a fact keeps per version.
const maxFactValues = 5

// identityKinds are the identity facts, in report order.
var identityKinds = []string{"controller", "contracting party", "data protection officer", "privacy contact", "governing law"}

// nameCue finds an identity fact in a clause. The value is a name next to
// the match: after it (after), before it (before), or in its first
// capture group (group).
type nameCue struct {
	kind  string
	re    *regexp.Regexp
	where int
	// hint is a lower-case word the clause must contain for the cue to
	// be tried: a cheap test that spares most clauses the expression.
	hint string
}

const (
	after = iota
	before
	group
	word // the first capture group is the value as written ("français")
)

// identityCues are the phrasings of the identity facts, in English, French,
// German and Spanish (GDPR art. 4(7) "controller" — "responsable du
// traitement", "Verantwortlicher", "responsable del tratamiento"; art. 37
// the data protection officer). They are generic: none names a service.
var identityCues = []nameCue{
	{"controller", regexp.MustCompile(`(?i)\b(?:data\s+)?controller\s+(?:of\s+(?:your\s+)?(?:personal\s+)?(?:data|information)\s+)?(?:is|will\s+be|shall\s+be)\s+`), after, "controller"},
	{"controller", regexp.MustCompile(`(?i)\b(?:data\s+)?controller\s*:\s*`), after, "controller"},
	{"controller", regexp.MustCompile(`(?i)\s(?:is|are|acts?\s+as|process(?:es)?\s+(?:personal\s+data\s+)?as|will\s+be|remains?)\s+(?:the\s+|a\s+|an\s+)?(?:independent\s+|joint\s+)?["']?(?:data\s+)?controllers?\b`), before, "controller"},
	{"controller", regexp.MustCompile(`(?i)\bresponsable\s+d[ue]\s+(?:ce\s+)?traitement\s*(?:est|sera|:)\s*`), after, "responsable"},
	{"controller", regexp.MustCompile(`(?i)\s(?:est|agit\s+en\s+(?:tant\s+que|qualité\s+de))\s+(?:le\s+)?responsable\s+d[ue]\s+(?:ce\s+)?traitement`), before, "responsable"},
	{"controller", regexp.MustCompile(`(?i)\bverantwortlich(?:e|er)?\b(?:\s+(?:stelle|im\s+sinne|für|nach)[^.:]{0,80}?)?\s*(?:(?:ist|sind)\s*:?|:)\s*`), after, "verantwortlich"},
	{"controller", regexp.MustCompile(`(?i)\s(?:ist|sind)\s+(?:der\s+|die\s+)?(?:datenschutzrechtlich\s+)?verantwortlich`), before, "verantwortlich"},
	{"controller", regexp.MustCompile(`(?i)\bresponsable\s+del\s+tratamiento\s*(?:es|será|:)\s*`), after, "responsable"},
	{"contracting party", regexp.MustCompile(`(?i)\b(?:agreement|contract|terms(?:\s+of\s+(?:service|use))?)\s+(?:is\s+|are\s+)?(?:entered\s+into\s+|made\s+)?between\s+you\s+and\s+`), after, "between"},
	{"contracting party", regexp.MustCompile(`(?i)\byou\s+(?:are\s+)?(?:entering|enter)\s+into\s+(?:an?\s+|this\s+)?(?:legal\s+|binding\s+)?(?:agreement|contract)\s+with\s+`), after, "into"},
	{"contracting party", regexp.MustCompile(`(?i)\bcontrat\s+(?:est\s+conclu\s+)?entre\s+vous\s+et\s+`), after, "contrat"},
	{"contracting party", regexp.MustCompile(`(?i)\bvertragspartner(?:in)?\s*(?:ist|:)\s+`), after, "vertragspartner"},
	{"contracting party", regexp.MustCompile(`(?i)\bvertrag\s+(?:kommt\s+)?zwischen\s+(?:ihnen|dir)\s+und\s+`), after, "vertrag"},
	{"contracting party", regexp.MustCompile(`(?i)\b(?:is\s+|are\s+)?(?:owned\s+and\s+)?operated\s+by\s+`), after, "operated"},
	{"data protection officer", regexp.MustCompile(`(?i)\s(?:is|acts\s+as)\s+(?:also\s+)?(?:our|the|its)\s+(?:appointed\s+)?(?:data\s+protection\s+officer|DPO)\b`), before, "officer"},
	{"data protection officer", regexp.MustCompile(`(?i)\bdata\s+protection\s+officer\s*(?:\(["']?DPO["']?\)\s*)?(?:is|:)\s*`), after, "officer"},
	{"data protection officer", regexp.MustCompile(`(?i)\bappointed\s+(?:the\s+)?(.{2,60}?)\s+as\s+(?:our|its|the)\s+(?:data\s+protection\s+officer|DPO)`), group, "officer"},
	{"data protection officer", regexp.MustCompile(`(?i)\bdélégué(?:e)?\s+à\s+la\s+protection\s+des\s+données\s*(?:\(DPO\)\s*)?(?:est|:)\s*`), after, "délégué"},
	{"data protection officer", regexp.MustCompile(`(?i)\bdatenschutzbeauftragte[rn]?\s*(?:ist|:)\s*`), after, "datenschutzbeauftragte"},
	{"governing law", regexp.MustCompile(`(?i)\bgoverned\s+by\s+(?:and\s+construed\s+in\s+accordance\s+with\s+)?(?:the\s+)?laws?\s+of\s+`), after, "governed"},
	{"governing law", regexp.MustCompile(`(?i)\blaws?\s+of\s+(?:the\s+)?(.{2,60}?)\s+(?:shall\s+|will\s+)?govern`), group, "govern"},
	{"governing law", regexp.MustCompile(`(?i)(?:régi|soumis)e?s?\s+(?:par\s+le|au)\s+droit\s+(\p{L}+)`), word, "droit"},
	{"governing law", regexp.MustCompile(`(?i)\b(?:unterlieg(?:t|en)|gilt|gelten)\s+(?:ausschließlich\s+)?(?:das\s+|dem\s+)?recht\s+der\s+`), after, "recht"},
	{"governing law", regexp.MustCompile(`(?i)\b(?:unterlieg(?:t|en))\s+(?:ausschließlich\s+)?(\p{L}+)\s+recht`), word, "recht"},
	{"governing law", regexp.MustCompile(`(?i)\bse\s+rigen?\s+por\s+las?\s+leyes?\s+de\s+`), after, "leyes"},
}

// dpoCue marks a clause about the data protection officer (GDPR art. 37–39)
// and privacyCue one about privacy at all, for the contact addresses.
var (
	dpoCue     = regexp.MustCompile(`(?i)data\s+protection\s+officer|\bDPO\b|délégué(?:e)?\s+à\s+la\s+protection\s+des\s+données|\bDPD\b|datenschutzbeauftragte|delegado\s+de\s+protección\s+de\s+datos`)
	privacyCue = regexp.MustCompile(`(?i)privacy|data\s+protection|personal\s+(?:data|information)|confidentialité|données\s+personnelles|protection\s+des\s+données|datenschutz|personenbezogen|privacidad|protección\s+de\s+datos|datos\s+personales`)
	contactCue = regexp.MustCompile(`(?i)\bcontact|kontakt|nous\s+joindre|contacto|questions\s+about\s+(?:this|our)`)
	// privacyMailbox is an address whose name says it is for privacy.
	privacyMailbox = regexp.MustCompile(`(?i)^(?:privacy|dpo|dpd|data-?protection|datenschutz|gdpr|rgpd|dsgvo|dsb)[a-z0-9._-]*@`)
	emailRe        = regexp.MustCompile(`(?i)\b[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}\b`)
	// obfuscated is an address written against harvesters:
	// "dpo[at]example[dot]com", "privacy (at) example (dot) com".
	obfuscated = regexp.MustCompile(`(?i)\b([a-z0-9._%+-]+)\s*[\[(]at[\])]\s*([a-z0-9-]+(?:(?:\s*[\[(]dot[\])]\s*|\.)[a-z0-9-]+)+)`)
	dotWord    = regexp.MustCompile(`(?i)\s*[\[(]dot[\])]\s*`)
)

// emailsIn returns the e-mail addresses in text, plain or obfuscated, in
// lower case.
func emailsIn(text string) []string {
	var out []string
	for _, e := range emailRe.FindAllString(text, -1) {
		out = append(out, strings.ToLower(e))
	}
	for _, m := range obfuscated.FindAllStringSubmatch(text, -1) {
		out = append(out, strings.ToLower(m[1]+"@"+dotWord.ReplaceAllString(m[2], ".")))
	}
	return out
}

// identity finds the identity facts of a document: kind → values in
// document order, at most maxFactValues each. m holds the facts of the
// clauses already read in this comparison, by text and heading (the two
// versions share most clauses; clauseFacts depends on nothing else).
func identity(cls []*clause, m *memo) map[string][]string {
	out := map[string][]string{}
	for _, cl := range cls {
		heading := ""
		if n := len(cl.c.Path); n > 0 {
			heading = cl.c.Path[n-1]
		}
		m.clauseFacts(cl.c.Text, heading, func(kind, v string) {
			if len(out[kind]) < maxFactValues && !containsFold(out[kind], v) {
				out[kind] = append(out[kind], v)
			}
		})
	}
	return out
}

// clauseFacts calls add with each identity fact one clause states; heading
// is the clause's nearest heading.
func clauseFacts(text, heading string, add func(kind, value string)) {
	put := func(kind, v string) {
		for _, part := range splitNames(v) {
			add(kind, part)
		}
	}
	lower := strings.ToLower(text)
	hint, has := "", false // the last hint looked for (cues sharing one are adjacent)
	for _, cue := range identityCues {
		if cue.hint != hint {
			hint, has = cue.hint, strings.Contains(lower, cue.hint)
		}
		if !has {
			continue
		}
		for _, m := range cue.re.FindAllStringSubmatchIndex(text, 3) {
			switch cue.where {
			case after:
				put(cue.kind, leadingName(text[m[1]:]))
			case before:
				put(cue.kind, trailingName(text[:m[0]]))
			case group:
				put(cue.kind, leadingName(text[m[2]:m[3]]))
			case word:
				add(cue.kind, text[m[2]:m[3]])
			}
		}
	}
	if !strings.Contains(text, "@") && !strings.Contains(lower, "at]") && !strings.Contains(lower, "(at)") {
		return // no e-mail address: no contact to read
	}
	contactFacts(text, lower, heading, add)
}

// contactFacts calls add with the data protection officer's and the
// privacy contact's e-mail addresses in text (lower is text in lower
// case, heading the clause's nearest heading).
func contactFacts(text, lower, heading string, add func(kind, value string)) {
	emails := emailsIn(text)
	if len(emails) == 0 {
		return // no address after all (an "@handle"): the cues need not be read
	}
	if mayNameDPO(lower) && dpoCue.MatchString(text) {
		for _, e := range emails {
			add("data protection officer", e)
		}
	}
	// Whether the clause is about privacy or contact is read once, and
	// only for an address whose name does not say so.
	about, read := false, false
	for _, e := range emails {
		if !privacyMailbox.MatchString(e) && !read {
			about, read = privacyCue.MatchString(text) || privacyCue.MatchString(heading) || contactCue.MatchString(heading) || contactCue.MatchString(text), true
		}
		if about || privacyMailbox.MatchString(e) {
			add("privacy contact", e)
		}
	}
}

// dpoWords are lower-case pieces of text that every match of dpoCue
// holds, one of each of its alternatives. None has an s or a k, the
// letters that (?i) also matches outside ASCII ("ſ", the Kelvin sign) and
// strings.ToLower does not always map to them, so a text whose lower case
// holds none cannot match.
var dpoWords = []string{"officer", "dpo", "dpd", "délégu", "beauftragte", "delegado"}

// mayNameDPO reports whether lower (a text in lower case) may match
// dpoCue: the expression is tried only then.
func mayNameDPO(lower string) bool {
	for _, w := range dpoWords {
		if strings.Contains(lower, w) {
			return true
		}
	}
	return false
}

// nameJoiner splits "GitHub, Inc. or GitHub B.V." into its names.
var nameJoiner = regexp.MustCompile(`\s+(?:or|and|ou|et|oder|und|o|y)\s+`)

func splitNames(v string) []string {
	var out []string
	for _, p := range nameJoiner.Split(v, -1) {
		if p = cleanName(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// nameKey is a name's comparison form: lower case, letters and digits
// only ("GitHub, Inc." and "GitHub Inc" are the same name).
func nameKey(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '@' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func containsFold(xs []string, v string) bool {
	k := nameKey(v)
	return slices.ContainsFunc(xs, func(x string) bool { return nameKey(x) == k })
}

// articles are skipped before a name; pronouns are not names.
var (
	articles = map[string]bool{"the": true, "le": true, "la": true, "les": true, "l'": true, "die": true, "der": true, "das": true, "dem": true, "den": true, "el": true, "los": true, "las": true}
	notNames = map[string]bool{"we": true, "you": true, "it": true, "they": true, "this": true, "that": true, "these": true, "nous": true, "vous": true, "wir": true, "sie": true, "nosotros": true, "usted": true, "each": true, "our": true, "your": true, "if": true, "when": true, "where": true, "in": true}
	// connectors join the words of a name ("Bank of America", "Finya
	// GmbH & Co. KG") when a name word follows them.
	connectors = map[string]bool{"of": true, "and": true, "&": true, "or": true, "de": true, "du": true, "des": true, "et": true, "und": true, "y": true, "del": true, "für": true, "für.": true}
	// nameForms are legal forms, which may end with a full stop without
	// ending the name.
	nameForms = map[string]bool{"inc.": true, "ltd.": true, "co.": true, "corp.": true, "b.v.": true, "n.v.": true, "s.a.": true, "s.l.": true, "s.r.l.": true, "e.v.": true, "l.l.c.": true, "plc.": true, "s.a.s.": true, "u.s.": true, "st.": true,
		"inc": true, "ltd": true, "llc": true, "gmbh": true, "kg": true, "ag": true, "bv": true, "nv": true, "sa": true, "sas": true, "sarl": true, "sl": true, "srl": true, "spa": true, "plc": true, "limited": true, "corporation": true, "corp": true, "se": true, "ab": true, "oy": true, "lp": true, "llp": true, "pbc": true, "ug": true}
)

const maxNameWords = 8

// nameWord reports whether w can be part of a name: it starts with a
// capital letter or a digit, or is a legal form.
func nameWord(w string) bool {
	w = strings.TrimLeft(w, `"'(«„`)
	r, _ := utf8.DecodeRuneInString(w)
	return unicode.IsUpper(r) || unicode.IsDigit(r) || nameForms[strings.ToLower(strings.TrimRight(w, ","))]
}

// leadingName returns the name at the start of s: "the Finya GmbH & Co. KG,
// Hamburg" → "Finya GmbH & Co. KG".
func leadingName(s string) string {
	words := strings.Fields(s)
	i := 0
	for i < len(words) && articles[strings.ToLower(words[i])] {
		i++
	}
	var name []string
	for ; i < len(words) && len(name) < maxNameWords; i++ {
		w := words[i]
		lw := strings.ToLower(w)
		if connectors[lw] && len(name) > 0 && i+1 < len(words) && nameWord(words[i+1]) {
			name = append(name, w)
			continue
		}
		if !nameWord(w) || strings.HasPrefix(w, "(") {
			break
		}
		name = append(name, w)
		end := strings.TrimRight(w, `"'»“”)`)
		if strings.HasSuffix(end, ";") || strings.HasSuffix(end, ":") || strings.HasSuffix(end, ")") {
			break
		}
		// A full stop ends the name, except after a legal form that
		// another legal form follows ("Co. KG").
		if strings.HasSuffix(end, ".") && (!nameForms[strings.ToLower(end)] || i+1 >= len(words) || !nameForms[strings.ToLower(strings.TrimRight(words[i+1], ",;:."))] && !nameForms[strings.ToLower(words[i+1])]) {
			break
		}
		// "GitHub, Inc.": a comma goes on only into a legal form.
		if strings.HasSuffix(end, ",") && (i+1 >= len(words) || !nameForms[strings.ToLower(strings.TrimRight(words[i+1], ",;:"))]) {
			break
		}
	}
	return cleanName(strings.Join(name, " "))
}

// trailingName returns the name at the end of s: "Personal Data that
// GitHub, Inc. or GitHub B.V.," → "GitHub, Inc. or GitHub B.V.".
func trailingName(s string) string {
	words := strings.Fields(s)
	var name []string
	for i := len(words) - 1; i >= 0 && len(name) < maxNameWords; i-- {
		w := words[i]
		if connectors[strings.ToLower(w)] && len(name) > 0 && i > 0 && nameWord(words[i-1]) {
			name = append(name, w)
			continue
		}
		if !nameWord(w) {
			break
		}
		end := strings.TrimRight(w, `,"'»“”`)
		if len(name) > 0 && (strings.HasSuffix(end, ".") && !nameForms[strings.ToLower(end)] || strings.HasSuffix(end, ";") || strings.HasSuffix(end, ":")) {
			break // the previous sentence ended here
		}
		// "GitHub, Inc.": a comma joins only a legal form that follows.
		if len(name) > 0 && strings.HasSuffix(strings.TrimRight(w, `"'»“”`), ",") && !nameForms[strings.ToLower(strings.TrimRight(name[len(name)-1], ",;:"))] {
			break
		}
		name = append(name, w)
	}
	slices.Reverse(name)
	return cleanName(strings.Join(name, " "))
}

// cleanName trims punctuation and quotes from a found name and refuses
// pronouns and connectors left alone.
func cleanName(s string) string {
	s = strings.Trim(s, ` ,;:"'()«»„“”`)
	if f := strings.Fields(s); len(f) > 0 && !nameForms[strings.ToLower(f[len(f)-1])] {
		s = strings.TrimRight(s, ".")
	}
	if s == "" || notNames[strings.ToLower(s)] || connectors[strings.ToLower(s)] {
		return ""
	}
	if first := strings.ToLower(strings.Fields(s)[0]); notNames[first] {
		return ""
	}
	return s
}

// buildGist compares the identity facts and the lexicon terms of two
// documents.
func buildGist(olds, news []*clause, rules *Rules, m *memo) *Gist {
	g := &Gist{Facts: []Fact{}, Terms: []TermDelta{}}
	oi, ni := identity(olds, m), identity(news, m)
	for _, k := range identityKinds {
		o, n := oi[k], ni[k]
		if len(o) == 0 && len(n) == 0 {
			continue
		}
		g.Facts = append(g.Facts, Fact{Kind: k, Old: orEmpty(o), New: orEmpty(n), Changed: !sameFold(o, n)})
	}
	ot, nt := docTerms(olds, rules, m), docTerms(news, rules, m)
	for _, kind := range termKinds(rules) {
		d := TermDelta{Kind: kind.kind, Category: kind.category}
		for _, p := range nt.order[kind.kind] {
			if _, ok := ot.found[p]; !ok {
				d.Added = append(d.Added, nt.found[p])
			}
		}
		for _, p := range ot.order[kind.kind] {
			if _, ok := nt.found[p]; !ok {
				d.Removed = append(d.Removed, ot.found[p])
			}
		}
		d.Added, d.Removed = dedupeWords(d.Added), dedupeWords(d.Removed)
		if len(d.Added) > 0 || len(d.Removed) > 0 {
			g.Terms = append(g.Terms, d)
		}
	}
	return g
}

func orEmpty(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

// sameFold reports whether two lists hold the same names, by nameKey.
func sameFold(a, b []string) bool {
	norm := func(xs []string) []string {
		out := make([]string, len(xs))
		for i, x := range xs {
			out[i] = nameKey(x)
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	return slices.Equal(norm(a), norm(b))
}

func dedupeWords(xs []string) []string {
	var out []string
	for _, x := range xs {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}
