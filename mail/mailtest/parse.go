package mailtest

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	netmail "net/mail"
	"strings"
)

// Parsed is a multipart/alternative message as a mail reader sees it.
type Parsed struct {
	Header netmail.Header
	// Subject is the decoded Subject header.
	Subject string
	// Text and HTML are the decoded parts; Types their content types in
	// order.
	Text, HTML string
	Types      []string
}

// Parse reads a message with net/mail and its parts with mime/multipart.
func Parse(data []byte) (Parsed, error) {
	m, err := netmail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return Parsed{}, fmt.Errorf("read message: %w", err)
	}
	p := Parsed{Header: m.Header}
	if p.Subject, err = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject")); err != nil {
		return Parsed{}, fmt.Errorf("subject %q: %w", m.Header.Get("Subject"), err)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		return Parsed{}, fmt.Errorf("content type %q: not multipart/alternative (%v)", m.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		part, err := mr.NextPart() // undoes quoted-printable
		if err == io.EOF {
			return p, nil
		}
		if err != nil {
			return Parsed{}, fmt.Errorf("part: %w", err)
		}
		b, err := io.ReadAll(part)
		if err != nil {
			return Parsed{}, fmt.Errorf("read part: %w", err)
		}
		ct := part.Header.Get("Content-Type")
		p.Types = append(p.Types, ct)
		switch {
		case strings.HasPrefix(ct, "text/plain"):
			p.Text = string(b)
		case strings.HasPrefix(ct, "text/html"):
			p.HTML = string(b)
		}
	}
}
