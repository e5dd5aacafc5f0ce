package extract

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// parsePopplerXML reads the pages of pdftohtml's -xml output:
//
//	<page number="1" height="1263" width="892">
//	  <fontspec id="0" size="15" family="AAAAAA+Arial" color="#000000"/>
//	  <text top="107" left="332" width="229" height="17" font="0"><b>TITLE</b></text>
//
// A text element is a run of one face on one line; <b> inside it marks
// bold, <i> italic, <a> a link (its text is kept). Font ids are numbered
// across the whole document. Bytes that XML forbids are dropped first.
func parsePopplerXML(data []byte) ([]textPage, error) {
	dec := xml.NewDecoder(bytes.NewReader(validXMLChars(data)))
	dec.Strict = false
	dec.Entity = xml.HTMLEntity
	p := popplerParser{fonts: map[string]popplerFont{}}
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: PDF text layout: %v", ErrMalformed, err)
		}
		p.token(tok)
	}
	return p.pages, nil
}

type popplerFont struct {
	size   float64
	family string
}

// popplerParser holds the state of one pass over pdftohtml's XML.
type popplerParser struct {
	pages []textPage
	fonts map[string]popplerFont
	// inText is true inside a <text>; run is the run being read.
	inText bool
	run    textRun
	text   strings.Builder
	// bold, italic are the <b> and <i> depths; boldChars counts the
	// letters and digits read inside <b>, chars all of them.
	bold, italic     int
	boldChars, chars int
	anyItalic        bool
}

func (p *popplerParser) token(tok xml.Token) {
	switch t := tok.(type) {
	case xml.StartElement:
		p.start(t)
	case xml.EndElement:
		switch t.Name.Local {
		case "text":
			p.endText()
		case "b":
			p.bold = max(0, p.bold-1)
		case "i":
			p.italic = max(0, p.italic-1)
		}
	case xml.CharData:
		if !p.inText {
			return
		}
		p.text.Write(t)
		for _, r := range string(t) {
			if hasWordChar(string(r)) {
				p.chars++
				if p.bold > 0 {
					p.boldChars++
				}
			}
		}
		if p.italic > 0 {
			p.anyItalic = true
		}
	}
}

func (p *popplerParser) start(t xml.StartElement) {
	switch t.Name.Local {
	case "page":
		p.pages = append(p.pages, textPage{height: attrFloat(t, "height")})
	case "fontspec":
		p.fonts[attrString(t, "id")] = popplerFont{size: attrFloat(t, "size"), family: stripSubset(attrString(t, "family"))}
	case "text":
		if len(p.pages) == 0 {
			p.pages = append(p.pages, textPage{})
		}
		font := p.fonts[attrString(t, "font")]
		p.inText = true
		p.run = textRun{x: attrFloat(t, "left"), y: attrFloat(t, "top"), w: attrFloat(t, "width"), h: attrFloat(t, "height"), size: font.size, face: font.family}
		if p.run.size <= 0 {
			p.run.size = p.run.h
		}
		p.text.Reset()
		p.bold, p.italic, p.boldChars, p.chars, p.anyItalic = 0, 0, 0, 0, false
	case "b":
		p.bold++
	case "i":
		p.italic++
	}
}

func (p *popplerParser) endText() {
	if !p.inText {
		return
	}
	p.inText = false
	r := p.run
	r.text = p.text.String()
	r.bold = p.chars > 0 && p.boldChars == p.chars
	if p.anyItalic {
		r.face += "/italic"
	}
	last := &p.pages[len(p.pages)-1]
	last.runs = append(last.runs, r)
}

// stripSubset drops the "ABCDEF+" prefix of an embedded font subset, so
// that two subsets of one face compare equal.
func stripSubset(family string) string {
	if i := strings.IndexByte(family, '+'); i == 6 {
		return family[7:]
	}
	return family
}

func attrString(t xml.StartElement, name string) string {
	for _, a := range t.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// attrFloat reads a numeric attribute; a missing, malformed or
// non-finite one is 0.
func attrFloat(t xml.StartElement, name string) float64 {
	f, err := strconv.ParseFloat(attrString(t, name), 64)
	if err != nil || f != f || f > 1e9 || f < -1e9 {
		return 0
	}
	return f
}

// validXMLChars drops the control characters and invalid UTF-8 that XML
// does not allow and that a PDF's text can hold.
func validXMLChars(data []byte) []byte {
	clean := true
	for _, c := range data {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			clean = false
			break
		}
	}
	if clean && utf8.Valid(data) {
		return data
	}
	out := make([]byte, 0, len(data))
	for len(data) > 0 {
		r, n := utf8.DecodeRune(data)
		if r != utf8.RuneError && (r >= 0x20 || r == '\t' || r == '\n' || r == '\r') && r != 0xFFFE && r != 0xFFFF {
			out = append(out, data[:n]...)
		}
		data = data[n:]
	}
	return out
}
