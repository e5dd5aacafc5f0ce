package diff

// memo holds what one comparison reads more than once from the same text:
// the words of a heading, lead-in or clause as the judge reads them
// (lexKeys), the identity facts of a clause (clauseFacts), the places it
// names and the first clause prepared with it. All are pure functions of
// their inputs, and the two versions share most headings and clauses, so
// each distinct input is read once (decision 0056). A memo lives
// for one Compare; nothing outside it sees it. Callers must not change
// the slices it returns.
type memo struct {
	lex   map[lexInput][]string
	facts map[[2]string][][2]string
	// clauses holds, by text, the first clause of both versions with
	// that text, as prepare tokenized it with tokRules' spelling variants.
	clauses  map[string]*clause
	tokRules *Rules
	// places are the places each clause text names (placeSet.find), in
	// the order found.
	places map[string][]string
}

// lexInput is what lexKeys reads: a text and the rules whose spelling
// variants it maps.
type lexInput struct {
	text  string
	rules *Rules
}

// newMemo makes the memo of a comparison whose clauses are tokenized with
// rules.
func newMemo(rules *Rules) *memo {
	return &memo{lex: map[lexInput][]string{}, facts: map[[2]string][][2]string{}, clauses: map[string]*clause{}, tokRules: rules, places: map[string][]string{}}
}

// lexKeys is lexKeys(text, r), read once per text and rules (each time
// with a nil memo).
func (m *memo) lexKeys(text string, r *Rules) []string {
	if m == nil {
		return lexKeys(text, r)
	}
	in := lexInput{text, r}
	if ks, ok := m.lex[in]; ok {
		return ks
	}
	var ks []string
	if cl, ok := m.clauses[text]; ok && r == m.tokRules {
		ks = unmaskedKeys(cl.toks) // a clause text, tokenized already
	} else {
		ks = lexKeys(text, r)
	}
	m.lex[in] = ks
	return ks
}

// placesIn returns the places text names, as placeSet.find finds them.
func (m *memo) placesIn(text string) []string {
	if m == nil {
		m = newMemo(nil)
	}
	if names, ok := m.places[text]; ok {
		return names
	}
	names := []string{}
	places.find(text, func(name string) { names = append(names, name) })
	m.places[text] = names
	return names
}

// clauseFacts calls add with each identity fact clauseFacts finds in
// text under heading, in the same order, reading each text and heading
// once (each time with a nil memo).
func (m *memo) clauseFacts(text, heading string, add func(kind, value string)) {
	if m == nil {
		clauseFacts(text, heading, add)
		return
	}
	key := [2]string{text, heading}
	facts, ok := m.facts[key]
	if !ok {
		facts = [][2]string{}
		clauseFacts(text, heading, func(kind, v string) {
			facts = append(facts, [2]string{kind, v})
		})
		m.facts[key] = facts
	}
	for _, f := range facts {
		add(f[0], f[1])
	}
}
