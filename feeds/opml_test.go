package feeds

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func TestReadOPML(t *testing.T) {
	const doc = `<?xml version="1.0" encoding="ISO-8859-1"?>
<opml version="1.0"><head><title>Desk feeds</title></head><body>
<outline text="World">
  <outline text="Wire World" title="Wire World" type="rss" xmlUrl="https://wire.example/world.xml" htmlUrl="https://wire.example/world"/>
  <outline text="Z` + "\xfc" + `rich Daily" type="rss" xmlUrl=" https://zurich.example/feed "/>
</outline>
<outline text="Duplicate" type="rss" xmlUrl="https://wire.example/world.xml"/>
<outline text="Folder without feeds"/>
</body></opml>`
	got, err := ReadOPML(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := []OPMLFeed{
		{Title: "Wire World", URL: "https://wire.example/world.xml", SiteURL: "https://wire.example/world", Folder: "World"},
		{Title: "Zürich Daily", URL: "https://zurich.example/feed", Folder: "World"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("feed %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestReadOPMLRejectsNonOPML(t *testing.T) {
	if _, err := ReadOPML(strings.NewReader("not xml at all")); err == nil {
		t.Error("got no error for a non-OPML document")
	}
}

// TestWriteOPMLGolden checks the exported document and that it reads back.
func TestWriteOPMLGolden(t *testing.T) {
	feeds := []OPMLFeed{
		{Title: "Wire World", URL: "https://wire.example/world.xml", SiteURL: "https://wire.example/world"},
		{Title: `Quotes "&" <angles>`, Name: "quotes", URL: "https://q.example/feed?a=1&b=2"},
		{URL: "file://examples/feeds/local.xml"},
		{Title: "Desk wire", URL: "https://wire.example/desk.xml", Folder: "World"},
		{Title: "Europe wire", URL: "https://wire.example/europe.xml", Folder: "World / Europe"},
		{Title: "Levant", URL: "https://levant.example/feed", Folder: "World"},
	}
	var buf bytes.Buffer
	if err := WriteOPML(&buf, "newshound feeds", feeds); err != nil {
		t.Fatal(err)
	}
	const golden = "testdata/export.opml"
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("got\n%s\nwant\n%s", buf.Bytes(), want)
	}
	back, err := ReadOPML(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != len(feeds) || back[1] != feeds[1] || back[2].URL != feeds[2].URL || back[2].Title != feeds[2].URL {
		t.Fatalf("round trip: got %+v, want %+v (untitled feeds titled by URL)", back, feeds)
	}
	// Feeds in folders come back in them, in order.
	for i, want := range feeds[3:] {
		if got := back[3+i]; got != want {
			t.Errorf("round trip of foldered feed %d: got %+v, want %+v", i, got, want)
		}
	}
}
