package feeds

import (
	"fmt"
	"testing"
)

func TestDiscover(t *testing.T) {
	tests := []struct {
		name, page, pageURL string
		want                []string
	}{
		{"rss and atom, relative and absolute", `<html><head>
<link rel="alternate" type="application/rss+xml" href="/feed.rss">
<link rel="alternate" type="application/atom+xml" href="https://x.example/atom.xml">
</head></html>`, "https://x.example/news/", []string{"https://x.example/feed.rss", "https://x.example/atom.xml"}},
		{"base href", `<html><head><base href="https://cdn.example/s/"><link rel="alternate" type="application/rss+xml" href="rss.xml"></head></html>`, "https://x.example/", []string{"https://cdn.example/s/rss.xml"}},
		{"json feed, type with parameters, upper case", `<HEAD><LINK REL="Alternate" TYPE="application/feed+json; charset=utf-8" HREF="feed.json"></HEAD>`, "https://x.example/a/b", []string{"https://x.example/a/feed.json"}},
		{"duplicates once", `<link rel=alternate type=application/rss+xml href=/f><link rel=alternate type=application/rss+xml href=https://x.example/f>`, "https://x.example/", []string{"https://x.example/f"}},
		{"stylesheets and translations ignored", `<link rel=stylesheet href=/s.css><link rel=alternate hreflang=de href=/de/>`, "https://x.example/", nil},
		{"javascript href ignored", `<link rel=alternate type=application/rss+xml href="javascript:alert(1)">`, "https://x.example/", nil},
		{"links in body ignored", `<html><head></head><body><link rel=alternate type=application/rss+xml href=/late></body></html>`, "https://x.example/", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Discover([]byte(tc.page), tc.pageURL)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
