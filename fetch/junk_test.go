package fetch_test

import (
	"bufio"
	"bytes"
	"html"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/fixtures"
)

func TestChallenge(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"cloudflare interstitial", `<!DOCTYPE html><html><head><title>Just a moment...</title></head><body><script>window._cf_chl_opt={cvId:'3'}</script></body></html>`, "Cloudflare challenge"},
		{"cloudflare block", `<title>Attention Required! | Cloudflare</title><h1>Sorry, you have been blocked</h1>`, "Cloudflare block page"},
		{"siteground (from the corpus)", `<html><head><link rel="icon" href="data:;"><meta http-equiv="refresh" content="0;/.well-known/sgcaptcha/?r=%2Fterms"></meta></head></html>`, "SiteGround captcha"},
		{"datadome", `<html><script src="https://ct.captcha-delivery.com/c.js"></script></html>`, "DataDome"},
		{"policy loading cloudflare's bot script", `<h1>Privacy</h1><p>We collect data.</p><script src="/cdn-cgi/challenge-platform/scripts/jsd/main.js"></script>`, ""},
		{"policy mentioning captcha", `<p>We use reCAPTCHA to check that you are human.</p>`, ""},
	}
	for _, tt := range tests {
		if got := fetch.Challenge([]byte(tt.body)); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
	if !fetch.LoginForm([]byte(`<form><input name=u><input type="password" name=p></form>`)) || fetch.LoginForm([]byte(`<p>Choose a strong password.</p>`)) {
		t.Error("LoginForm")
	}
}

// TestChallengeCorpus: no real policy page of the corpus carries a
// challenge marker, and the one challenge page in it does.
func TestChallengeCorpus(t *testing.T) {
	dir := os.Getenv("CLAUSEWATCH_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "corpus", "otarchive")
	}
	f, err := os.Open(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		t.Skipf("corpus not found at %s: %v", dir, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var pages, challenges int
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 11 || cols[9] != "html" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, cols[6]))
		if err != nil {
			t.Fatal(err)
		}
		pages++
		got := fetch.Challenge(data)
		if want := cols[10] == "error-page"; (got != "") != want {
			t.Errorf("%s (%s): challenge %q", cols[6], cols[10], got)
		}
		if got != "" {
			challenges++
		}
	}
	if pages < 200 || challenges != 1 {
		t.Errorf("read %d pages, %d challenges; want over 200 pages and 1 challenge", pages, challenges)
	}
}

// TestErrorTitle: a title or heading that is an error, in the languages
// of the corpus and a few more, is one at any page length; a policy's
// title that merely holds an error's words is not.
func TestErrorTitle(t *testing.T) {
	tests := []struct {
		title, want string
	}{
		// A soft 404 of 631 words (issue 17) and the common CMS titles.
		{"Page not found – Example Shop", "Page not found"},
		{"Page Not Found|Example", "Page Not Found"},
		{"404", "404"},
		{"404 Not Found", "404 Not Found"},
		{"Error 404 (Not Found)!!1", "Error 404 (Not Found)!!1"},
		{"Error 404 - Page not found | Example", "Error 404"},
		{"HTTP Error 404", "HTTP Error 404"},
		{"Not Found", "Not Found"},
		{"Oops! That page can’t be found.", "Oops! That page can’t be found."},
		{"Sorry, we couldn't find that page", "Sorry, we couldn't find that page"},
		{"The page you requested could not be found", "The page you requested could not be found"},
		{"Nothing found", "Nothing found"},
		{"410 Gone", "410 Gone"},
		{"403 Forbidden", "403 Forbidden"},
		{"Access denied", "Access denied"},
		{"Access Denied — Example Corp", "Access Denied"},
		{"Service unavailable", "Service unavailable"},
		{"503 Service Temporarily Unavailable", "503 Service Temporarily Unavailable"},
		{"Internal Server Error", "Internal Server Error"},
		{"502 Bad Gateway", "502 Bad Gateway"},
		{"Something went wrong", "Something went wrong"},
		{"Error", "Error"},
		// Other languages.
		{"Seite nicht gefunden | Beispiel GmbH", "Seite nicht gefunden"},
		{"Fehler 404 – Seite wurde nicht gefunden", "Fehler 404"},
		{"Die Seite konnte nicht gefunden werden", "Die Seite konnte nicht gefunden werden"},
		{"Zugriff verweigert", "Zugriff verweigert"},
		{"Page introuvable", "Page introuvable"},
		{"Erreur 404 : page non trouvée", "Erreur 404"},
		{"Cette page n’existe pas", "Cette page n’existe pas"},
		{"Accès refusé", "Accès refusé"},
		{"Página no encontrada", "Página no encontrada"},
		{"Pagina no encontrada - Ejemplo", "Pagina no encontrada"},
		{"Acceso denegado", "Acceso denegado"},
		{"Página não encontrada", "Página não encontrada"},
		{"Pagina non trovata", "Pagina non trovata"},
		{"Pagina niet gevonden", "Pagina niet gevonden"},
		{"Nie znaleziono strony", "Nie znaleziono strony"},
		{"Sidan hittades inte", "Sidan hittades inte"},
		{"Страница не найдена", "Страница не найдена"},
		{"Sayfa bulunamadı", "Sayfa bulunamadı"},
		{"ページが見つかりません", "ページが見つかりません"},
		{"页面未找到", "页面未找到"},
		// Not error pages: titles of real policies, and error words that
		// are only part of one.
		{"", ""},
		{"Privacy Policy", ""},
		{"Privacy Policy | COR Classrooms", ""},
		{"GitHub Privacy Statement - GitHub Docs", ""},
		{"Nutzungsbedingungen — Finya", ""},
		{"Access denied: how we handle requests for your data", ""},
		{"Error reporting and crash logs policy", ""},
		{"Privacy Policy - 404 Media", ""},
		{"What happens when a page is not found on our site", ""},
		{"Sorry", ""},
		{"Oops", ""},
		{"Forbidden uses of the service", ""},
		{"Gone fishing: our summer terms", ""},
		{"Acceptable Use Policy | xAI", ""},
		{"2. Not found in the public register", ""},
	}
	for _, tt := range tests {
		if got := fetch.ErrorTitle(tt.title); got != tt.want {
			t.Errorf("ErrorTitle(%q): got %q, want %q", tt.title, got, tt.want)
		}
	}
}

// TestFirstHeading: the page's first <h1>, not one in a script, a
// template or a JSON payload.
func TestFirstHeading(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"plain", `<html><body><h1 class="t">Page <em>not</em>&nbsp;found</h1><h1>Second</h1></body></html>`, "Page not found"},
		{"none", `<html><body><h2>Privacy</h2></body></html>`, ""},
		{"inside a script", `<script>document.write("<h1>404</h1>")</script><h1>Privacy Policy</h1>`, "Privacy Policy"},
		{"inside a template", `<template><h1>Page not found</h1></template><main><h1>Terms</h1></main>`, "Terms"},
		// The Next.js payload of xAI's policies in the corpus carries its
		// not-found component as JSON.
		{"json payload", `<script>self.__next_f.push([1,"{\"children\":\"Page not found\"}"])</script><h1>Acceptable Use Policy</h1>`, "Acceptable Use Policy"},
		{"unclosed", `<h1>Seite nicht gefunden`, "Seite nicht gefunden"},
	}
	for _, tt := range tests {
		if got := fetch.FirstHeading([]byte(tt.body)); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestErrorTitleCorpus: no real policy page of the corpus has an error
// title or first <h1> — among them xAI's, whose bytes hold "Page not
// found" in a script — and the fixtures' pages have none either.
func TestErrorTitleCorpus(t *testing.T) {
	dir := os.Getenv("CLAUSEWATCH_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "corpus", "otarchive")
	}
	fixturePages := 0
	fs.WalkDir(fixtures.FS(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || !strings.HasSuffix(name, ".html") {
			return err
		}
		data, err := fs.ReadFile(fixtures.FS(), name)
		if err != nil {
			return err
		}
		fixturePages++
		for _, h := range []string{titleOf(data), fetch.FirstHeading(data)} {
			if got := fetch.ErrorTitle(h); got != "" {
				t.Errorf("fixture %s: %q taken for an error title (%q)", name, h, got)
			}
		}
		return nil
	})
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*", "*.html"))
	if len(files) == 0 {
		t.Skipf("checked %d fixture pages; corpus not found at %s", fixturePages, dir)
	}
	mentions := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(bytes.ToLower(data), []byte("not found")) {
			mentions++
		}
		title := titleOf(data)
		for _, h := range []string{title, fetch.FirstHeading(data)} {
			if got := fetch.ErrorTitle(h); got != "" {
				t.Errorf("%s: %q taken for an error title (%q)", f, h, got)
			}
		}
	}
	t.Logf("checked the title and first h1 of %d fixture pages and %d corpus pages (%d of them hold \"not found\" somewhere)", fixturePages, len(files), mentions)
	if len(files) < 200 || mentions == 0 {
		t.Errorf("read %d pages, %d mentioning not found; want over 200 and some", len(files), mentions)
	}
}

// titleOf is the text of a page's first <title> (good enough for the
// corpus pages, whose titles are plain).
func titleOf(data []byte) string {
	s := string(data)
	i := strings.Index(strings.ToLower(s), "<title")
	if i < 0 {
		return ""
	}
	s = s[i:]
	j, k := strings.Index(s, ">"), strings.Index(strings.ToLower(s), "</title>")
	if j < 0 || k < j {
		return ""
	}
	return html.UnescapeString(s[j+1 : k])
}
