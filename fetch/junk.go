package fetch

import (
	"bytes"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/net/html"
	"golang.org/x/text/unicode/norm"
)

// Signs of a page that is not the page asked for. They are read from the
// raw bytes; deciding what they mean (together with the extracted text and
// the last good version) is the caller's job, because a real policy page
// can carry a vendor's script tag and still be the policy.

// challengeMarkers are strings found in bot-challenge and block pages and
// in no policy page of the corpus (69 of its 212 real pages load
// Cloudflare's /cdn-cgi/challenge-platform/ script, so that one is not a
// marker).
var challengeMarkers = []struct{ marker, vendor string }{
	{"cf_chl_opt", "Cloudflare challenge"},
	{"cf-browser-verification", "Cloudflare challenge"},
	{"<title>just a moment...</title>", "Cloudflare challenge"},
	{"attention required! | cloudflare", "Cloudflare block page"},
	{"/.well-known/sgcaptcha/", "SiteGround captcha"},
	{"_incapsula_resource", "Imperva Incapsula"},
	{"captcha-delivery.com", "DataDome"},
	{"px-captcha", "HUMAN (PerimeterX)"},
	{"pardon our interruption", "Imperva bot wall"},
	{"awswaf", "AWS WAF challenge"},
	{"checking your browser before accessing", "browser check"},
	{"<title>ddos-guard</title>", "DDoS-Guard"},
}

// scanLimit is how much of a body the marker search reads: challenge
// pages are small, and markers sit near the top.
const scanLimit = 256 << 10

// Challenge names the bot-challenge or block page vendor whose marker
// body carries, or returns "".
func Challenge(body []byte) string {
	head := bytes.ToLower(body[:min(len(body), scanLimit)])
	for _, m := range challengeMarkers {
		if bytes.Contains(head, []byte(m.marker)) {
			return m.vendor
		}
	}
	return ""
}

// passwordInput matches an <input type=password>, the mark of a login form.
var passwordInput = regexp.MustCompile(`(?i)<input\b[^>]*\btype\s*=\s*["']?password\b`)

// LoginForm reports whether body holds a password field.
func LoginForm(body []byte) bool {
	return passwordInput.Match(body[:min(len(body), scanLimit)])
}

// ErrorTitle returns the part of a page's title or main heading that
// names an error — an HTTP status (RFC 9110, section 15) by its code or
// its words, "Page not found" in one of several languages — or "". A
// part is a piece between separators such as " | " or " – ", so that a
// site's name beside the error does not hide it; but the whole part must
// be the error, so that a policy titled "Access denied: how we handle
// requests" or "Privacy Policy - 404 Media" is not one. Only titles and
// headings are read: a policy's text may speak of pages not found.
func ErrorTitle(s string) string {
	for _, part := range titleSeparator.Split(s, -1) {
		part = strings.TrimSpace(part)
		if len(part) > 160 {
			continue
		}
		if errorPart(part) {
			return part
		}
	}
	return ""
}

// titleSeparator splits a title into the page's name, the site's name
// and so on. A colon splits only with spaces around it ("Erreur 404 :
// page introuvable"), not after a word ("Access denied: how we…").
var titleSeparator = regexp.MustCompile(`\s+[-–—|·•»:/]+\s+|\s*[|•»·]\s*`)

// errorWords mark an error wherever they stand in a part; courtesies and
// numbers are noise around the error's words.
var (
	errorWords = []string{"error", "erreur", "fehler", "errore", "erro", "fout", "blad", "hata", "http"}
	courtesies = []string{"oops", "ooops", "oopsie", "whoops", "sorry", "hoppla", "huch", "ups", "oh", "uh", "ah", "desole", "lo", "siento"}
)

// errorPhrase and markedPhrase are what an error part says once the noise
// is stripped: errorPhrase stands alone, markedPhrase only beside a
// status code or an error word ("410 Gone"). Both are folded as the title
// is (lower case, no accents, punctuation as spaces).
var (
	errorPhrase = regexp.MustCompile(foldPattern(`^(?:we re sorry |we are sorry )?(?:` + strings.Join([]string{
		// English
		`(?:(?:page|file|document|resource|url|content) )?not found`,
		`(?:(?:the|this|that) )?(?:page|file|document|url)(?: you (?:re |are |were )?(?:looking for|requested))? (?:can ?not|can t|could not|couldn t|was not|wasn t|does not|doesn t|is not|isn t|no longer) (?:be )?(?:found|exists?|available)`,
		`we (?:can ?not|can t|could not|couldn t) find (?:that|this|the|your) page(?: you (?:re|are|were) looking for)?`,
		`nothing (?:was )?found`,
		`(?:access|permission) (?:is )?denied`,
		`forbidden`,
		`(?:the )?(?:service|site|website|page|server) (?:is )?(?:temporarily )?(?:unavailable|down)`,
		`temporarily unavailable`,
		`internal server error`,
		`bad gateway`,
		`gateway time ?out`,
		`too many requests`,
		`something went wrong`,
		`an error (?:has )?occurred`,
		`(?:(?:the )?(?:site|website) is )?(?:down for|under) maintenance`,
		// German
		`(?:die )?seite (?:wurde )?nicht gefunden`,
		`(?:die )?(?:seite|datei) (?:konnte nicht gefunden werden|existiert nicht|ist nicht verfügbar)`,
		`nicht gefunden`,
		`zugriff verweigert`,
		`(?:der )?dienst (?:ist )?(?:vorübergehend )?nicht verfügbar`,
		`interner serverfehler`,
		// French
		`(?:la )?page (?:demandée )?(?:est )?(?:introuvable|non trouvée|inexistante)`,
		`(?:cette|la) page n existe pas`,
		`introuvable`,
		`accès (?:refusé|interdit)`,
		`service (?:temporairement )?indisponible`,
		`erreur (?:interne du serveur|serveur)`,
		// Spanish, Portuguese, Italian, Dutch
		`página no encontrada`,
		`no se (?:ha podido encontrar|encontró|pudo encontrar) la página`,
		`la página (?:que buscas )?no existe`,
		`acceso denegado`,
		`servicio no disponible`,
		`error interno del servidor`,
		`página não encontrada`,
		`acesso negado`,
		`serviço indisponível`,
		`pagina non trovata`,
		`accesso negato`,
		`servizio non disponibile`,
		`pagina niet gevonden`,
		`toegang geweigerd`,
		// Polish, Nordic, Finnish, Russian, Ukrainian, Turkish
		`nie znaleziono strony`,
		`strona nie została znaleziona`,
		`sidan (?:kunde inte hittas|hittades inte)`,
		`siden (?:blev ikke fundet|ble ikke funnet|findes ikke|finnes ikke)`,
		`sivua ei löytynyt`,
		`страница не найдена`,
		`сторінку не знайдено`,
		`sayfa bulunamadı`,
		// Japanese, Chinese, Korean
		`ページが見つかりません`,
		`お探しのページは見つかりませんでした`,
		`页面未找到|找不到页面|页面不存在|找不到该页面`,
		`페이지를 찾을 수 없습니다`,
	}, "|") + `)$`))
	markedPhrase = regexp.MustCompile(`^(?:gone|unauthori[sz]ed|bad request|server error|method not allowed|request timeout|unavailable)$`)
)

// errorPart reports whether one part of a title is an error and nothing
// else.
func errorPart(part string) bool {
	words := strings.Fields(fold(part))
	if len(words) == 0 {
		return false
	}
	marked := false
	for _, w := range words {
		marked = marked || slices.Contains(errorWords, w) || statusCode(w)
	}
	noise := func(w string) bool { return slices.Contains(errorWords, w) || number(w) }
	// The words with the courtesies and numbers in front stripped, and
	// with the error words around them stripped too ("Error 404 (Not
	// Found)!!1", "Erreur interne du serveur").
	front := words
	for len(front) > 0 && (slices.Contains(courtesies, front[0]) || number(front[0])) {
		front = front[1:]
	}
	for len(front) > 0 && number(front[len(front)-1]) {
		front = front[:len(front)-1]
	}
	core := front
	for len(core) > 0 && (noise(core[0]) || slices.Contains(courtesies, core[0])) {
		core = core[1:]
	}
	for len(core) > 0 && noise(core[len(core)-1]) {
		core = core[:len(core)-1]
	}
	if len(core) == 0 {
		return marked
	}
	for _, c := range [][]string{front, core} {
		s := strings.Join(c, " ")
		if errorPhrase.MatchString(s) || marked && markedPhrase.MatchString(s) {
			return true
		}
	}
	return false
}

// fold lowers s, drops its accents and turns everything but letters and
// digits into single spaces, so titles compare however they are typed.
func fold(s string) string {
	var b strings.Builder
	space := false
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(unicode.ToLower(r))
		default:
			space = true
		}
	}
	return b.String()
}

// foldPattern drops the accents of a pattern written in lower case with
// single spaces, as fold does to titles.
func foldPattern(p string) string {
	return strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Mn, r) {
			return -1
		}
		return r
	}, norm.NFD.String(p))
}

// number reports whether w is all digits; statusCode whether it is an
// HTTP error status (4xx or 5xx).
func number(w string) bool {
	return w != "" && strings.Trim(w, "0123456789") == ""
}

func statusCode(w string) bool {
	return len(w) == 3 && number(w) && (w[0] == '4' || w[0] == '5')
}

// FirstHeading returns the text of body's first <h1>, or "". An <h1> in
// a script, a style or a <template> does not count.
func FirstHeading(body []byte) string {
	z := html.NewTokenizer(bytes.NewReader(body[:min(len(body), scanLimit)]))
	var text strings.Builder
	in, templates := false, 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			if in {
				return headingText(text.String())
			}
			return ""
		case html.StartTagToken:
			switch name, _ := z.TagName(); string(name) {
			case "template":
				templates++
			case "h1":
				in = in || templates == 0
			}
		case html.EndTagToken:
			switch name, _ := z.TagName(); string(name) {
			case "template":
				templates = max(0, templates-1)
			case "h1":
				if in {
					return headingText(text.String())
				}
			}
		case html.TextToken:
			if in && text.Len() < maxHeading {
				text.Write(z.Text())
			}
		}
	}
}

// maxHeading bounds the heading text kept.
const maxHeading = 300

// headingText collapses a heading's white space and bounds its length.
func headingText(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > maxHeading {
		s = strings.ToValidUTF8(s[:maxHeading], "")
	}
	return s
}
