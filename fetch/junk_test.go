package fetch_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/fetch"
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
