package mail

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"net/textproto"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Errors of building and sending.
var (
	// ErrAddress means an e-mail address is malformed.
	ErrAddress = errors.New("mail: invalid address")
	// ErrInsecureAuth means credentials would cross a connection that is
	// not encrypted: refused, never attempted.
	ErrInsecureAuth = errors.New("mail: refusing to authenticate without TLS")
	// ErrNoStartTLS means the server does not offer STARTTLS although the
	// configuration requires it.
	ErrNoStartTLS = errors.New("mail: server does not offer STARTTLS")
	// ErrConfig means the SMTP configuration is unusable.
	ErrConfig = errors.New("mail: bad SMTP configuration")
)

// Message is one e-mail with a plain-text and an HTML body. The HTML is
// written as given: the caller escapes what it puts in it (package web
// renders it with html/template).
type Message struct {
	From    netmail.Address
	To      []netmail.Address
	Subject string
	// Date is the Date header. Required: the caller's clock.
	Date time.Time
	// ID is the Message-ID without angle brackets; Build makes one when
	// it is empty.
	ID   string
	Text string
	HTML string
	// Headers are further headers in order (Auto-Submitted,
	// List-Unsubscribe, X-Clausewatch-*); names must be header tokens.
	Headers []Header
}

// Header is one extra header field.
type Header struct{ Name, Value string }

// maxHeaderRunes bounds a header value after clean-up: a subject built
// from a supplier's name and a summary stays readable, and no line nears
// the 998-octet limit of RFC 5322.
const maxHeaderRunes = 240

// ValidAddress checks a bare e-mail address ("name@example.org", no
// display name): ASCII, one @, accepted by net/mail.
func ValidAddress(s string) error {
	if s == "" || len(s) > 254 {
		return fmt.Errorf("%w: %q (empty or too long)", ErrAddress, s)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == '<' || c == '>' || c == ',' || c == '"' {
			return fmt.Errorf("%w: %q (only a bare ASCII address like name@example.org)", ErrAddress, s)
		}
	}
	a, err := netmail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" || strings.Count(s, "@") != 1 {
		return fmt.Errorf("%w: %q", ErrAddress, s)
	}
	return nil
}

// Build writes the message in RFC 5322 form with CRLF line ends.
func (m Message) Build() ([]byte, error) {
	if err := ValidAddress(m.From.Address); err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	if len(m.To) == 0 {
		return nil, fmt.Errorf("%w: no recipient", ErrAddress)
	}
	for _, a := range m.To {
		if err := ValidAddress(a.Address); err != nil {
			return nil, fmt.Errorf("to: %w", err)
		}
	}
	if m.Date.IsZero() {
		return nil, errors.New("mail: message has no date")
	}
	id := m.ID
	if id == "" {
		var err error
		if id, err = NewID(m.From.Address, m.Date); err != nil {
			return nil, err
		}
	}
	if !validID(id) {
		return nil, fmt.Errorf("mail: message ID %q: want local@domain in printable ASCII", id)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if err := writePart(mw, "text/plain; charset=utf-8", m.Text); err != nil {
		return nil, err
	}
	if err := writePart(mw, "text/html; charset=utf-8", m.HTML); err != nil {
		return nil, err
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}

	var b bytes.Buffer
	writeHeader(&b, "From", address(m.From))
	to := make([]string, len(m.To))
	for i, a := range m.To {
		to[i] = address(a)
	}
	writeHeader(&b, "To", strings.Join(to, ", "))
	writeHeader(&b, "Subject", headerValue(m.Subject))
	writeHeader(&b, "Date", m.Date.Format(time.RFC1123Z))
	writeHeader(&b, "Message-ID", "<"+id+">")
	writeHeader(&b, "MIME-Version", "1.0")
	writeHeader(&b, "Content-Type", `multipart/alternative; boundary="`+mw.Boundary()+`"`)
	for _, h := range m.Headers {
		if !validName(h.Name) || reserved[textproto.CanonicalMIMEHeaderKey(h.Name)] {
			return nil, fmt.Errorf("mail: header name %q: not a token, or one Build writes itself", h.Name)
		}
		writeHeader(&b, h.Name, headerValue(h.Value))
	}
	b.WriteString("\r\n")
	b.Write(body.Bytes())
	return b.Bytes(), nil
}

// reserved are the headers Build writes; an extra header cannot repeat
// them.
var reserved = map[string]bool{"From": true, "To": true, "Subject": true, "Date": true, "Message-Id": true,
	"Mime-Version": true, "Content-Type": true, "Content-Transfer-Encoding": true, "Cc": true, "Bcc": true,
	"Reply-To": true, "Sender": true}

// NewID makes a unique Message-ID (without brackets) in the domain of
// the sender's address.
func NewID(from string, t time.Time) (string, error) {
	r := make([]byte, 12)
	if _, err := rand.Read(r); err != nil {
		return "", fmt.Errorf("mail: message ID: %w", err)
	}
	domain := from[strings.LastIndexByte(from, '@')+1:]
	return fmt.Sprintf("%d.%s@%s", t.Unix(), hex.EncodeToString(r), domain), nil
}

func validID(id string) bool {
	at := strings.IndexByte(id, '@')
	if at <= 0 || at == len(id)-1 || strings.Count(id, "@") != 1 || len(id) > 200 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(`<>()[]\,;:"`, c) >= 0 {
			return false
		}
	}
	return true
}

func validName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c <= ' ' || c >= 0x7f || c == ':' {
			return false
		}
	}
	return true
}

// writePart writes one body part, quoted-printable (which also turns
// every line end into CRLF and keeps lines short).
func writePart(mw *multipart.Writer, ctype, content string) error {
	h := textproto.MIMEHeader{}
	h.Set("Content-Type", ctype)
	h.Set("Content-Transfer-Encoding", "quoted-printable")
	w, err := mw.CreatePart(h)
	if err != nil {
		return fmt.Errorf("mail: part %s: %w", ctype, err)
	}
	qp := quotedprintable.NewWriter(w)
	if _, err := io.WriteString(qp, strings.ToValidUTF8(content, "\uFFFD")); err != nil {
		return fmt.Errorf("mail: part %s: %w", ctype, err)
	}
	return qp.Close()
}

// address writes an address with its display name cleaned and, when
// needed, encoded.
func address(a netmail.Address) string {
	name := clean(a.Name)
	if name == "" {
		return "<" + a.Address + ">"
	}
	if needsEncoding(name) {
		return encodeWords(name) + " <" + a.Address + ">"
	}
	return (&netmail.Address{Name: name, Address: a.Address}).String()
}

// headerValue is the one way a value reaches a header: cleaned of
// anything that could end the line, bounded, and encoded when it is not
// plain printable ASCII (or could be read as an encoded-word).
func headerValue(s string) string {
	s = clean(s)
	if needsEncoding(s) {
		return encodeWords(s)
	}
	return s
}

// clean replaces every control character and Unicode line or paragraph
// separator by a space, folds runs of spaces, trims, and cuts the value
// to maxHeaderRunes (with an ellipsis).
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	space := false
	n := 0
	for _, r := range s {
		if unicode.IsControl(r) || unicode.IsSpace(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Cf, r) {
			space = b.Len() > 0
			continue
		}
		if space && n+1 >= maxHeaderRunes || n >= maxHeaderRunes {
			b.WriteString("…")
			break
		}
		if space {
			b.WriteByte(' ')
			n++
			space = false
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

func needsEncoding(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return true
		}
	}
	return strings.Contains(s, "=?")
}

// encodeWords writes s as RFC 2047 "B" encoded-words of at most 75
// characters, split between runes, separated by spaces (where
// writeHeader folds).
func encodeWords(s string) string {
	const maxRaw = 39 // 52 base64 characters + "=?utf-8?b?" + "?=" = 64: "Subject: " and a word fit in 78
	var words []string
	for len(s) > 0 {
		n := 0
		for n < len(s) {
			_, size := utf8.DecodeRuneInString(s[n:])
			if n+size > maxRaw {
				break
			}
			n += size
		}
		words = append(words, "=?utf-8?b?"+base64.StdEncoding.EncodeToString([]byte(s[:n]))+"?=")
		s = s[n:]
	}
	return strings.Join(words, " ")
}

// writeHeader writes "Name: value" and folds it at spaces so that lines
// stay near 78 characters. The value has no CR or LF (headerValue and
// address make sure).
func writeHeader(b *bytes.Buffer, name, value string) {
	line := name + ":"
	for i, word := range strings.Split(value, " ") {
		if i > 0 && len(line)+1+len(word) > 78 {
			b.WriteString(line + "\r\n")
			line = ""
		}
		line += " " + word
	}
	b.WriteString(line + "\r\n")
}
