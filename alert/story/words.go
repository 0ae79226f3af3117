package story

// genericWords weigh nothing: English function words, the words of
// generic page titles and news boilerplate, date words, and the names of
// wire services that appear as credits. They are compared after
// normalization (lower case, no accents) but before stemming.
var genericWords = setOf(
	// function words
	"a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and",
	"any", "are", "as", "at", "be", "because", "been", "before", "being", "below",
	"between", "both", "but", "by", "can", "could", "did", "do", "does", "doing", "down",
	"during", "each", "few", "for", "from", "further", "had", "has", "have", "having", "he",
	"her", "here", "hers", "him", "his", "how", "if", "in", "into", "is", "it", "its",
	"just", "may", "me", "might", "more", "most", "must", "my", "no", "nor", "not", "now",
	"of", "off", "on", "once", "only", "or", "other", "our", "ours", "out", "over", "own",
	"same", "she", "should", "so", "some", "such", "than", "that", "the", "their",
	"theirs", "them", "then", "there", "these", "they", "this", "those", "through", "to",
	"too", "under", "until", "up", "very", "was", "we", "were", "what", "when", "where",
	"which", "while", "who", "whom", "why", "will", "with", "would", "you", "your",
	"yours", "via", "vs", "amid", "despite", "per", "upon", "within", "without",
	"get", "gets", "got", "make", "makes", "made", "take", "takes", "one", "two",
	"first", "last", "next", "back", "still", "yet", "like", "many", "much", "us's",
	// news boilerplate and generic page titles
	"news", "live", "update", "updates", "updated", "latest", "breaking", "top",
	"stories", "story", "headlines", "highlights", "video", "videos", "photo", "photos",
	"watch", "report", "reports", "reported", "says", "said", "say", "tells", "told",
	"new", "exclusive", "analysis", "opinion", "editorial", "blog", "podcast",
	"happened", "happening", "minute", "minutes", "hour", "hours", "day", "days",
	"week", "weeks", "month", "months", "year", "years", "today", "tonight",
	"yesterday", "tomorrow", "morning", "evening", "night", "weekend", "gmt", "utc",
	"est", "edt", "bst", "cet", "pm", "focus", "wrapup", "rpt", "refile", "corrected",
	"insight", "column", "factbox", "timeline", "snap", "brief", "briefing", "share",
	"click", "sign", "posted", "read", "full", "here's", "heres", "view", "more",
	"markets", "market", "business", "world", "politics", "sport", "sports",
	"entertainment", "technology", "tech", "health", "science", "home", "page",
	"advertisement", "subscribe", "newsletter", "wire",
	// wire services as credits
	"reuters", "ap", "afp", "associated", "press", "upi", "dpa", "ani", "pti",
	// dates
	"january", "february", "march", "april", "june", "july", "august", "september",
	"october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
	"sep", "sept", "oct", "nov", "dec", "monday", "tuesday", "wednesday", "thursday",
	"friday", "saturday", "sunday", "mon", "tue", "tues", "wed", "thu", "thur", "thurs",
	"fri", "sat", "sun",
)

// commonAbbrevs are abbreviations of common nouns, which headlines write
// in capitals inside a sentence ("Acme CEO to resign") as they write
// names: taken as written in lower case, they are never a name two
// stories share. Found on the UCI report half, where "CEO", a name by its
// writing, joined "Bon-Ton CEO to resign" to a SoftBank story whose
// reports said "SoftBank CEO"; on the tune half it changes no figure but
// F1, by 0.0002 (see DefaultOptions).
var commonAbbrevs = setOf(
	// roles
	"ceo", "cfo", "coo", "cto", "cio", "cmo", "vp", "svp", "evp",
	// finance and the economy
	"ipo", "etf", "gdp", "cpi", "ppi", "pmi", "eps",
)

// nameHeads are the common nouns that names of places, storms and
// institutions are built on ("Riverside County", "Tropical Storm Peter"):
// taken as written in lower case, as commonAbbrevs are, so that two
// titles naming different counties ("Riverside County reports 209 new
// cases", "Orange County reports 1 new death") share no name, and each
// has one the other lacks.
var nameHeads = setOf(
	"county", "city", "province", "district", "township", "borough", "parish",
	"tropical", "storm", "hurricane", "typhoon", "cyclone",
)

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}
