package store_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/store"
)

// TestValidName (issue 17, items 8, 13 and 14): the one check every name
// goes through before it is stored.
func TestValidName(t *testing.T) {
	cases := []struct {
		kind store.NameKind
		name string
		says string // "" when the name is fine
	}{
		{store.SourceName, "ims-privacy", ""},
		{store.SupplierName, "1EdTech Consortium", ""},
		{store.SupplierName, "Société Générale", ""},
		{store.SupplierName, "شرکت\u200cها", ""}, // Persian needs the zero width non-joiner
		{store.TokenName, "👩\u200d💻 alice", ""},  // emoji sequences need the joiner
		{store.SourceName, strings.Repeat("n", store.MaxName), ""},
		{store.SupplierName, "42", ""}, // only source names are references
		{store.SourceName, "", "empty"},
		{store.SourceName, strings.Repeat("n", store.MaxName+1), "201 bytes, more than the 200 allowed"},
		{store.SourceName, strings.Repeat("n", 40<<10), "more than the 200 allowed"},
		{store.SourceName, "a\xffb", "not valid UTF-8"},
		{store.SourceName, " a", "leading or trailing space"},
		{store.SourceName, "a\u00a0", "leading or trailing space"},
		{store.TokenName, "a\x1b]52;c;aGk=\x07", "control character U+001B at byte 1"},
		{store.SupplierName, "a\tb", "control character U+0009"},
		{store.SupplierName, "a\x7f", "control character U+007F"},
		{store.SupplierName, "a\u0085b", "control character U+0085"},
		{store.SupplierName, "a\u009bb", "control character U+009B"},
		{store.ProductName, "a\u2028b", "line or paragraph separator U+2028"},
		{store.BaselineName, "a\u202eb", "format character U+202E"},
		{store.BaselineName, "a\u2066b", "format character U+2066"},
		{store.SourceName, "a\u200bb", "format character U+200B"},
		{store.SourceName, "a\ufeffb", "format character U+FEFF"},
		{store.SourceName, "42", "a number"},
		{store.SourceName, "http://a.example/", "looks like a URL"},
		{store.SourceName, "HTTPS://a.example/", "looks like a URL"},
		{store.SupplierName, "\u3164", "nothing visible"}, // Hangul filler
		{store.SourceName, "\u0301", "nothing visible"},   // a combining accent alone
		{store.SourceName, "\u2800\u034f", "nothing visible"},
		{store.SupplierName, "é", ""},
		{store.RubricName, "2.0\x1b[2J", "control character U+001B"},
		{store.RubricName, "2.0", ""},
		{store.SectionName, "Privacy Policy", ""},
		{store.SectionName, "42", ""}, // a numbered heading is fine
		{store.SectionName, strings.Repeat("s", store.MaxName), ""},
		{store.SectionName, strings.Repeat("s", store.MaxName+1), "more than the 200 allowed"},
		{store.SectionName, "Privacy\u202ePolicy", "format character U+202E"},
		{store.SectionName, "Privacy\nPolicy", "control character U+000A"},
	}
	for _, c := range cases {
		err := store.ValidName(c.kind, c.name)
		switch {
		case c.says == "" && err != nil:
			t.Errorf("%s %.40q: got %v, want no error", c.kind, c.name, err)
		case c.says != "" && (!errors.Is(err, store.ErrInvalid) || !strings.Contains(fmtErr(err), c.says) || !strings.Contains(fmtErr(err), string(c.kind))):
			t.Errorf("%s %.40q: got %v, want an ErrInvalid naming the %s and saying %q", c.kind, c.name, err, c.kind, c.says)
		case c.says != "" && len(err.Error()) > 200:
			t.Errorf("%s %.40q: message of %d bytes, want it cut short", c.kind, c.name, len(err.Error()))
		}
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestSourceChecks: every way into the store checks names and URLs, so
// no entry point can store one that is refused elsewhere.
func TestSourceChecks(t *testing.T) {
	db := openTemp(t)
	ctx := t.Context()
	a := addSource(t, db, "alpha")
	long := strings.Repeat("x", 40<<10)
	src := func(name, url, supplier string) store.Source {
		return store.Source{Name: name, URL: url, Supplier: supplier}
	}
	bad := []struct {
		name string
		src  store.Source
		says string
	}{
		{"long name", src(long, "https://b.example/", "B"), "source name"},
		{"long URL", src("b", "https://b.example/"+long, "B"), "URL"},
		{"long supplier", src("b", "https://b.example/", long), "supplier name"},
		{"ESC in name", src("b\x1b[2J", "https://b.example/", "B"), "control character"},
		{"newline in supplier", src("b", "https://b.example/", "B\nfake"), "control character"},
		{"name is another's URL", src(a.URL, "https://b.example/", "B"), "looks like a URL"},
		{"long section", store.Source{Name: "b", URL: "https://b.example/", Supplier: "B", Section: long}, "section"},
		{"ESC in section", store.Source{Name: "b", URL: "https://b.example/", Supplier: "B", Section: "Privacy\x1b[2J"}, "control character"},
	}
	for _, c := range bad {
		if _, err := db.AddSource(ctx, c.src); !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("AddSource, %s: got %.200v, want ErrInvalid saying %q", c.name, err, c.says)
		}
		up := c.src
		up.ID = a.ID
		if err := db.UpdateSource(ctx, up); !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("UpdateSource, %s: got %.200v, want ErrInvalid saying %q", c.name, err, c.says)
		}
	}
	// A section is stored trimmed, and read back as it went in.
	sec := src("sectioned", "https://s.example/", "S")
	sec.Section = "  Privacy Policy "
	got, err := db.AddSource(ctx, sec)
	if err != nil {
		t.Fatal(err)
	}
	if back, err := db.SourceByID(ctx, got.ID); err != nil || back.Section != "Privacy Policy" {
		t.Errorf("section read back %q (%v), want %q", back.Section, err, "Privacy Policy")
	}
	if _, _, err := db.CreateToken(ctx, "bob\x1b[31m", store.RoleAdmin); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("CreateToken with ESC: %v", err)
	}
	if _, err := db.PutSupplier(ctx, store.Supplier{Name: "Supplier alpha", Products: []store.Product{{Name: "x\u202e", Sources: []string{"alpha"}}}}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("PutSupplier with a bidi override in a product name: %v", err)
	}
	if _, err := db.AddWebhook(ctx, store.Webhook{URL: "https://h.example/" + long}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("AddWebhook with a 40 KiB URL: %.200v", err)
	}
}

// TestValidURL: URLs are stored only without characters that act on a
// terminal or reorder text (a hostile re-test found U+202E, U+009B and
// U+2028 accepted in source URLs).
func TestValidURL(t *testing.T) {
	for _, c := range []struct{ url, says string }{
		{"https://a.example/p?q=1#x", ""},
		{"https://a.example/datenschutzerkl%C3%A4rung", ""},
		{"https://a.example/\u202ep", "U+202E"},
		{"http://127.0.0.1:1/a\u009b2Jb", "U+009B"},
		{"https://a.example/a\u2028b", "U+2028"},
		{"https://a.example/a b", "U+0020"},
		{"https://a.example/\x1b]0;x\x07", "U+001B"},
		{"https://a.example/\xff", "not valid UTF-8"},
		{"ftp://a.example/", "not an http or https URL"},
	} {
		err := store.ValidURL("URL", c.url)
		switch {
		case c.says == "" && err != nil:
			t.Errorf("%q: got %v, want no error", c.url, err)
		case c.says != "" && (!errors.Is(err, store.ErrInvalid) || !strings.Contains(fmtErr(err), c.says)):
			t.Errorf("%q: got %v, want an ErrInvalid saying %q", c.url, err, c.says)
		}
	}
}
