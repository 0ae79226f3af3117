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
	return queryPos(Pos{Line: s.QueryLine, Col: s.QueryCol}, s.QueryVerbatim, col)
}

// DefineQueryPos is where in the file character col (1-based) of the
// named define's query is, as QueryPos is for a subscription's: a define
// written on one line is pointed into just as a subscription's query is.
// It is the zero Pos for a name that is not defined.
func (l Live) DefineQueryPos(name string, col int) Pos {
	return queryPos(l.DefinePos[name], l.DefineVerbatim[name], col)
}

// queryPos is character col of a query that starts at start; verbatim
// says the query stands on start's line as written, so that col counts
// along that line.
func queryPos(start Pos, verbatim bool, col int) Pos {
	if start.Line == 0 {
		return Pos{}
	}
	if verbatim && col > 0 {
		return Pos{Line: start.Line, Col: start.Col + col - 1}
	}
	return start
}
