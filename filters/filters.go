// Package filters owns the query language: parsing queries into an AST with
// positioned errors, normalizing text (the same function for items and
// queries), compiling all subscriptions into one Set, matching a document
// against the Set and reporting the matched spans for highlighting.
//
// It knows nothing about feeds' HTTP, the store or Discord.
package filters

// Document is the text of one item as the matcher sees it. Fields hold plain
// text (callers strip HTML); leftover entities such as "&#039;" are decoded
// by the normalizer.
type Document struct {
	Title      string
	Summary    string
	Content    string
	Author     string
	Categories []string
	Link       string // absolute URL; "site:" matches its host
	Feed       string // the feed's configured name
}

// Field names a Document field in a Hit and in a query scope ("title:").
type Field string

const (
	FieldTitle    Field = "title"
	FieldSummary  Field = "summary"
	FieldContent  Field = "content"
	FieldAuthor   Field = "author"
	FieldCategory Field = "category"
	FieldLink     Field = "link"
	FieldSite     Field = "site"
	FieldFeed     Field = "feed"
)

// Hit is one matched span: byte offsets [Start, End) into the original
// (un-normalized) text of Field, which Document.Text returns. For
// FieldCategory, Index says which category; a site: match is a FieldSite hit
// on the host inside Link.
type Hit struct {
	Field Field
	Index int
	Start int
	End   int
}

// Match is one subscription that matched a document.
type Match struct {
	ID   string
	Hits []Hit // sorted by field, then Start; overlapping spans merged
}
