package extract_test

import (
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/extract"
)

const (
	frText = "<p>Nous collectons votre adresse e-mail et votre numéro de téléphone pour gérer votre compte et vous envoyer les informations relatives à vos commandes.</p>"
	deText = "<p>Wir verarbeiten Ihre E-Mail-Adresse und Ihre Telefonnummer, um Ihr Konto zu verwalten und Ihnen Informationen zu Ihren Bestellungen zu senden.</p>"
)

// TestDocumentLang: the page's own declaration wins, then the
// Content-Language header, then the text; a text too short to tell gets
// no language.
func TestDocumentLang(t *testing.T) {
	cases := []struct {
		name, html, contentLanguage, want string
	}{
		{"html lang kept as written", `<html lang="en-GB"><body><main>` + frText + `</main></body></html>`, "de", "en-GB"},
		{"xml:lang", `<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="fr"><body><main>` + deText + `</main></body></html>`, "", "fr"},
		{"Content-Language when the page declares none", `<html><body><main>` + frText + `</main></body></html>`, "de-DE", "de-DE"},
		{"several Content-Languages: read the text", `<html><body><main>` + deText + `</main></body></html>`, "en, fr", "de"},
		{"detected from the text", `<html><body><main>` + frText + `</main></body></html>`, "", "fr"},
		{"empty html lang: detected", `<html lang=""><body><main>` + deText + `</main></body></html>`, "", "de"},
		{"too short to tell", `<html><body><main><p>Cookies: yes.</p></main></body></html>`, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := extract.Bytes([]byte(tc.html), extract.Options{ContentLanguage: tc.contentLanguage})
			if err != nil {
				t.Fatal(err)
			}
			if d.Lang != tc.want {
				t.Errorf("Lang = %q, want %q", d.Lang, tc.want)
			}
		})
	}
}

func TestLangCode(t *testing.T) {
	for in, want := range map[string]string{"en-US": "en", " FR ": "fr", "de_AT": "de", "und": "", "": "", "*": "", "es": "es"} {
		if got := extract.LangCode(in); got != want {
			t.Errorf("LangCode(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzDetectLang: any text gives "" or a lower-case code of two or three
// letters, and reads at most a bounded prefix (no panic on a cut rune).
func FuzzDetectLang(f *testing.F) {
	f.Add(frText)
	f.Add(deText)
	f.Add(strings.Repeat("é", 3000))
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		l := extract.DetectLang(s)
		if l == "" {
			return
		}
		if len(l) < 2 || len(l) > 3 || strings.ToLower(l) != l {
			t.Fatalf("DetectLang = %q", l)
		}
	})
}
