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
