package feeds

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// OPMLFeed is one feed in an OPML subscription list.
type OPMLFeed struct {
	Title   string
	URL     string // xmlUrl: the feed
	SiteURL string // htmlUrl: the site
}

type opmlDoc struct {
	XMLName xml.Name      `xml:"opml"`
	Version string        `xml:"version,attr"`
	Title   string        `xml:"head>title,omitempty"`
	Body    []opmlOutline `xml:"body>outline"`
}

type opmlOutline struct {
	Text     string        `xml:"text,attr"`
	Title    string        `xml:"title,attr,omitempty"`
	Type     string        `xml:"type,attr,omitempty"`
	XMLURL   string        `xml:"xmlUrl,attr,omitempty"`
	HTMLURL  string        `xml:"htmlUrl,attr,omitempty"`
	Children []opmlOutline `xml:"outline"`
}

// ReadOPML returns the feeds of an OPML file, flattening folders, in file
// order without duplicate URLs. Outlines without xmlUrl are folders.
func ReadOPML(r io.Reader) ([]OPMLFeed, error) {
	var doc opmlDoc
	dec := xml.NewDecoder(r)
	dec.Strict = false // real exports carry stray "&" in titles
	dec.CharsetReader = charsetReader
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("reading OPML: %w", err)
	}
	var out []OPMLFeed
	seen := map[string]bool{}
	var walk func([]opmlOutline)
	walk = func(outlines []opmlOutline) {
		for _, o := range outlines {
			if u := strings.TrimSpace(o.XMLURL); u != "" && !seen[u] {
				seen[u] = true
				out = append(out, OPMLFeed{
					Title:   strings.TrimSpace(firstNonEmpty(o.Title, o.Text)),
					URL:     u,
					SiteURL: strings.TrimSpace(o.HTMLURL),
				})
			}
			walk(o.Children)
		}
	}
	walk(doc.Body)
	return out, nil
}

// WriteOPML writes feeds as an OPML 2.0 document that feed readers import.
func WriteOPML(w io.Writer, title string, feeds []OPMLFeed) error {
	doc := opmlDoc{Version: "2.0", Title: title}
	for _, f := range feeds {
		doc.Body = append(doc.Body, opmlOutline{
			Text: firstNonEmpty(f.Title, f.URL), Title: f.Title, Type: "rss",
			XMLURL: f.URL, HTMLURL: f.SiteURL,
		})
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
