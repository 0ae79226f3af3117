package feeds

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// OPMLFeed is one feed in an OPML subscription list.
type OPMLFeed struct {
	Title string
	// Name is the feed's name in a newshound config (the outline's
	// newshoundName attribute), so that an export imported again keeps
	// the names subscriptions use; empty for other lists.
	Name string
	// URL is the xmlUrl: the feed. It is empty for an outline typed as a
	// feed (type rss or atom) that gives none: the caller says it left
	// it out, rather than the feed vanishing as an empty folder.
	URL     string
	SiteURL string // htmlUrl: the site
	// Folder is the path of folders the feed is in, outermost first
	// ("World / Europe"); empty at the top level. Written as nested
	// outlines by WriteOPML.
	Folder string
}

// folderSep joins nested folder names in OPMLFeed.Folder.
const folderSep = " / "

type opmlDoc struct {
	XMLName xml.Name      `xml:"opml"`
	Version string        `xml:"version,attr"`
	Title   string        `xml:"head>title,omitempty"`
	Body    []opmlOutline `xml:"body>outline"`
}

type opmlOutline struct {
	Text     string        `xml:"text,attr"`
	Title    string        `xml:"title,attr,omitempty"`
	Name     string        `xml:"newshoundName,attr,omitempty"`
	Type     string        `xml:"type,attr,omitempty"`
	XMLURL   string        `xml:"xmlUrl,attr,omitempty"`
	HTMLURL  string        `xml:"htmlUrl,attr,omitempty"`
	Children []opmlOutline `xml:"outline"`
}

// UnmarshalXML reads an outline's attributes whatever their case: some
// readers write xmlurl or htmlurl, and encoding/xml matches names exactly.
func (o *opmlOutline) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	for _, a := range start.Attr {
		switch strings.ToLower(a.Name.Local) {
		case "text":
			o.Text = a.Value
		case "title":
			o.Title = a.Value
		case "newshoundname":
			o.Name = a.Value
		case "type":
			o.Type = a.Value
		case "xmlurl":
			o.XMLURL = a.Value
		case "htmlurl":
			o.HTMLURL = a.Value
		}
	}
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != "outline" {
				if err := d.Skip(); err != nil {
					return err
				}
				continue
			}
			var child opmlOutline
			if err := d.DecodeElement(&child, &t); err != nil {
				return err
			}
			o.Children = append(o.Children, child)
		case xml.EndElement:
			return nil
		}
	}
}

// OPMLError is why a document could not be read as OPML, at its line
// (0 when no line applies, as for an empty file).
type OPMLError struct {
	Line int
	Msg  string
}

func (e *OPMLError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

// ReadOPML returns the feeds of an OPML file in file order without
// duplicate URLs, each with the folder it is in. Outlines without xmlUrl
// are folders. A document that is not OPML is an *OPMLError.
func ReadOPML(r io.Reader) ([]OPMLFeed, error) {
	var doc opmlDoc
	dec := xml.NewDecoder(r)
	dec.Strict = false // real exports carry stray "&" in titles
	dec.CharsetReader = charsetReader
	syntax := func(err error) error {
		if se, ok := err.(*xml.SyntaxError); ok {
			return &OPMLError{Line: se.Line, Msg: "XML syntax error: " + se.Msg}
		}
		return &OPMLError{Msg: err.Error()}
	}
	for tokens := 0; ; tokens++ {
		tok, err := dec.Token()
		switch {
		case err == io.EOF && tokens == 0:
			return nil, &OPMLError{Msg: "empty file, not OPML"}
		case err == io.EOF:
			return nil, &OPMLError{Msg: "no element in it, not OPML"}
		case err != nil:
			return nil, syntax(err)
		}
		root, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if root.Name.Local != "opml" {
			line, _ := dec.InputPos()
			return nil, &OPMLError{Line: line, Msg: fmt.Sprintf("not OPML: the document is <%s>, not <opml>", root.Name.Local)}
		}
		if err := dec.DecodeElement(&doc, &root); err != nil {
			return nil, syntax(err)
		}
		break
	}
	var out []OPMLFeed
	seen := map[string]bool{}
	var walk func(folder string, outlines []opmlOutline)
	walk = func(folder string, outlines []opmlOutline) {
		for _, o := range outlines {
			title := strings.Join(strings.Fields(firstNonEmpty(o.Title, o.Text)), " ")
			u := strings.TrimSpace(o.XMLURL)
			if u == "" && len(o.Children) == 0 && (strings.EqualFold(o.Type, "rss") || strings.EqualFold(o.Type, "atom")) {
				out = append(out, OPMLFeed{Title: title, Folder: folder}) // a feed without its URL
				continue
			}
			if u == "" {
				sub := title
				if folder != "" && title != "" {
					sub = folder + folderSep + title
				} else if title == "" {
					sub = folder
				}
				walk(sub, o.Children)
				continue
			}
			if !seen[u] {
				seen[u] = true
				out = append(out, OPMLFeed{Title: title, Name: strings.TrimSpace(o.Name), URL: u, SiteURL: strings.TrimSpace(o.HTMLURL), Folder: folder})
			}
			walk(folder, o.Children)
		}
	}
	walk("", doc.Body)
	return out, nil
}

// WriteOPML writes feeds as an OPML 2.0 document that feed readers
// import, feeds with a Folder inside (nested) folder outlines.
func WriteOPML(w io.Writer, title string, feeds []OPMLFeed) error {
	doc := opmlDoc{Version: "2.0", Title: title}
	for _, f := range feeds {
		list := &doc.Body
		if f.Folder != "" {
			for _, name := range strings.Split(f.Folder, folderSep) {
				list = folderIn(list, name)
			}
		}
		*list = append(*list, opmlOutline{
			Text: firstNonEmpty(f.Title, f.URL), Title: f.Title, Name: f.Name, Type: "rss",
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

// folderIn returns the children of the folder called name in list, adding
// the folder when it is not there yet.
func folderIn(list *[]opmlOutline, name string) *[]opmlOutline {
	for i := range *list {
		if o := &(*list)[i]; o.XMLURL == "" && o.Text == name {
			return &o.Children
		}
	}
	*list = append(*list, opmlOutline{Text: name, Title: name})
	return &(*list)[len(*list)-1].Children
}
