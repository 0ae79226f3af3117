package config

// FeedsOf returns the feeds a subscription watches: the listed ones in
// list order, or every feed when the subscription lists none (feeds: all).
func (c *Config) FeedsOf(s Subscription) []Feed {
	if len(s.Feeds) == 0 {
		return c.Feeds
	}
	var out []Feed
	for _, name := range s.Feeds {
		if f, ok := c.Feed(name); ok {
			out = append(out, f)
		}
	}
	return out
}

// Feed returns the feed with this name.
func (c *Config) Feed(name string) (Feed, bool) {
	for _, f := range c.Feeds {
		if f.Name == name {
			return f, true
		}
	}
	return Feed{}, false
}

// Destination returns the destination with this name.
func (c *Config) Destination(name string) (Destination, bool) {
	for _, d := range c.Destinations {
		if d.Name == name {
			return d, true
		}
	}
	return Destination{}, false
}

// QueryPos is where in the file character col (1-based) of the
// subscription's query is, for a query problem or hint at that column:
// exactly there when the query stands verbatim on its line, else at the
// query's start. It is the zero Pos when the subscription has no query.
func (s Subscription) QueryPos(col int) Pos {
	if s.QueryLine == 0 {
		return Pos{}
	}
	if s.QueryVerbatim && col > 0 {
		return Pos{Line: s.QueryLine, Col: s.QueryCol + col - 1}
	}
	return Pos{Line: s.QueryLine, Col: s.QueryCol}
}
