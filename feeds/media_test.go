package feeds

import "testing"

// TestMediaTitleAndDescription: an item that has its text only in Media
// RSS elements (a YouTube channel's Atom feed: media:group's
// media:description, no <summary>; an RSS item with media:description or
// media:title only) gets it as its summary or title, so that queries
// match it and the alert shows it. A <description> or <title> of its own
// comes first, and the key stays the one the item had without the media
// text, so an upgrade posts nothing again.
func TestMediaTitleAndDescription(t *testing.T) {
	const feedURL = "https://feeds.example/media"
	atom := func(entry string) string {
		return `<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/" xmlns:yt="http://www.youtube.com/xml/schemas/2015"><title>Channel</title><link rel="alternate" href="https://www.youtube.com/channel/UC1"/><entry>` + entry + `</entry></feed>`
	}
	rss := func(item string) string {
		return `<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>T</title><link>https://media.example/</link><item>` + item + `</item></channel></rss>`
	}
	summary := func(it *Item) string { return it.Summary }
	title := func(it *Item) string { return it.Title }
	tests := []struct {
		name, doc, extra string
		field            func(*Item) string
		want             string
	}{
		{"YouTube entry: media:group's description",
			atom(`<id>yt:video:abc</id><yt:videoId>abc</yt:videoId><title>Aleppo talks</title><link rel="alternate" href="https://www.youtube.com/watch?v=abc"/><published>2026-02-17T10:00:00+00:00</published><media:group><media:title>Aleppo talks</media:title>%s<media:thumbnail url="https://i.ytimg.com/vi/abc/hqdefault.jpg"/></media:group>`),
			`<media:description>Foreign ministers met in Geneva on the ceasefire.</media:description>`,
			summary, "Foreign ministers met in Geneva on the ceasefire."},
		{"RSS item: media:description",
			rss(`<title>Harbour bridge reopens</title><link>https://media.example/1</link><guid>m-1</guid>%s`),
			`<media:description type="html">Traffic &lt;b&gt;flows&lt;/b&gt; again.</media:description>`,
			summary, "Traffic flows again."},
		{"RSS item: media:content's description",
			rss(`<title>Harbour bridge reopens</title><link>https://media.example/2</link><guid>m-2</guid><media:content url="https://media.example/2.mp4" type="video/mp4">%s</media:content>`),
			`<media:description>Traffic flows again.</media:description>`,
			summary, "Traffic flows again."},
		{"RSS item: its own description comes first",
			rss(`<title>Harbour bridge reopens</title><link>https://media.example/3</link><description>The bridge is open.</description>%s`),
			`<media:description>Traffic flows again.</media:description>`,
			summary, "The bridge is open."},
		{"RSS item: media:title when it has no title",
			rss(`<link>https://media.example/4</link><guid>m-4</guid>%s`),
			`<media:title>Harbour bridge reopens</media:title>`,
			title, "Harbour bridge reopens"},
		{"plain media:description is text, not HTML (Media RSS's default type)",
			rss(`<title>Rates</title><link>https://media.example/6</link><guid>m-6</guid>%s`),
			`<media:description>Rates fell to x&lt;y for a while. Then &lt;b&gt; stayed.</media:description>`,
			summary, "Rates fell to x<y for a while. Then <b> stayed."},
		{"plain media:description keeps its lines",
			atom(`<id>yt:video:def</id><title>Talks</title><link rel="alternate" href="https://www.youtube.com/watch?v=def"/><media:group>%s</media:group>`),
			"<media:description>Ministers met in Geneva.\nThey agreed on a truce.</media:description>",
			summary, "Ministers met in Geneva.\nThey agreed on a truce."},
		{"plain media:title is text, not HTML",
			rss(`<link>https://media.example/7</link><guid>m-7</guid>%s`),
			`<media:title>Anthem &lt;Official Video&gt;</media:title>`,
			title, "Anthem <Official Video>"},
		{"plain media:description: an escaped entity is text, decoded once",
			rss(`<title>Codes</title><link>https://media.example/8</link><guid>m-8</guid>%s`),
			`<media:description>AT&amp;amp;T writes &amp;lt;b&amp;gt; for bold.</media:description>`,
			summary, "AT&amp;T writes &lt;b&gt; for bold."},
		{"plain media:title: an escaped entity is text, decoded once",
			rss(`<link>https://media.example/9</link><guid>m-9</guid>%s`),
			`<media:title>Tom &amp;amp; Jerry</media:title>`,
			title, "Tom &amp; Jerry"},
		{"RSS item: its own title comes first",
			rss(`<title>Bridge open</title><link>https://media.example/5</link><guid>m-5</guid>%s`),
			`<media:title>Harbour bridge reopens</media:title>`,
			title, "Bridge open"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkItemAfterKey(t, feedURL, tc.doc, tc.extra, tc.field, tc.want) })
	}
}
