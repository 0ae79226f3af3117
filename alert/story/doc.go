// Package story groups the reports of one news story: many outlets' items
// that tell the same story under different headlines, so that a destination
// gets one message per story instead of one per report.
//
// It is pure: no I/O, no clock (callers pass each item's time), no
// goroutines. An [Index] is not safe for concurrent use; keep one per
// destination (or per subscription window) behind the caller's own lock.
//
// Two items are compared by what the feed gives, the title and the summary
// or lead paragraph, reduced by [Make] to a [Fingerprint]:
//
//   - distinctive words: title and lead words without outlet credits ("-
//     Reuters", "| AP", "(AP)", "By Jane Doe"), dates, numbers and generic
//     words ("live", "updates", "says"), crudely stemmed and hashed. The
//     Index weighs them by inverse document frequency over the items of its
//     window, so that the words every report of the window shares weigh
//     little and names weigh much; with each title word, how the title
//     writes it (lower case, capitalized inside a sentence, at its start,
//     or in a Title Case headline);
//   - a MinHash signature of the word 3-shingles of title and lead, which
//     finds near-copies of the same wire text even when the headlines
//     differ entirely.
//
// Reports published further apart than the window and than two days are
// never one story, whatever their words ([Fingerprint.WithPublished]): a
// backfill brings in one year's report beside the next year's.
//
// A headline dated to a day ("Harbour in pictures: 19 February 2025",
// "Markets: as it happened - March 11, 2014", "Energy report 3/10/14") is a
// column or a live page of that day, and the same column of another day is
// another story, whatever their words: a recurring column keeps its
// headline and often its lead. A dated item joins no story holding an item
// dated to other days (a week's column, "14-20 February", overlapping
// both, bridges no two days).
//
// A new item joins the story of its most similar earlier item in the
// window when the similarity clears the threshold; every item of the window
// is a candidate, including items that joined a story themselves. A title
// with too few distinctive words ("Live updates", "Markets: as it happened -
// March 11, 2014") never groups on the title alone.
//
// Shared words are not enough when the two titles name different things.
// The index tells names from words by how the window's titles write them:
// a word capitalized inside a sentence-case headline ("Pizza chain Sbarro
// files…") and seldom written in lower case is a name, and so is a word the
// window has not seen that opens such a headline; capitals in Title Case
// headlines say nothing. Two titles that share no name and each have a
// name the other lacks do not join ("Sbarro files for bankruptcy", "Mt. Gox
// files for US bankruptcy"), nor do two that share only words the window
// writes in lower case and each have a word the other lacks that may be a
// name ("Bon-Ton Releases Quarterly Earnings", "Dollar General Releases
// Quarterly Earnings"). A name many stories of the window share ("Zacks")
// ties nothing, and template words, those whose items of the window are
// each a story of their own ("earnings", "upgraded"), weigh little. An
// item with names joins a story through its keywords only when the story
// carries one of them ("McDonald's February sales fall" does not join a
// video-game story through "sales").
//
// A list of companies ("Stocks to watch: Acme Corp (ACME), Globex Inc
// (GBX), Initech"; see isListTitle) is a digest of several stories, not a
// report of one: a new item does not join a story through it, unless it has the
// same words or is a near copy, so that the first report of Globex's story
// is not listed under Acme's because a round-up in Acme's story named
// Globex too. So is a round-up of clauses ("Market Wrap: Acme Beats
// Estimates; Globex Rejects Offer"; see isRoundUpTitle), and so is a
// newsletter ("Flu, Valdoria Floods, Acme: Your Friday Briefing"; "Flu
// Briefing: What Happened Today", whose lead teases the day's story).
//
// The first report of a new story brings words the window has not seen,
// and is often like one report of an older story by the words they happen
// to share ("Google To Pay $15 … For Google Apps Customer Referrals" like
// "Google Announces New Android Apps"), while a further report of a story
// is like several of its reports. So an item whose new words make at
// least 0.2 of its weight joins a story of three reports or more by a
// similarity below 0.4 only when a second report of the story is similar
// to it as well; otherwise it opens a message. The other way round, an
// item like no earlier report closely enough to join it, nor joining
// through a story's keywords, joins the story two of whose reports are
// each like it loosely (by 0.15): evidence no single report gives.
//
// A story that a first report joined weakly all the same (below 0.55,
// sharing no name with the item it joined) is re-split when its own
// reports keep coming: once six later reports are far more similar to that
// weak joiner than to the rest of the story they were listed under, the
// sixth opens a story of its own and takes the weak joiner and its
// followers with it, so that a story swallowed at its start still gets a
// message. A join through a story's keywords by an item with a capitalised
// word the window has not seen counts as weak in the same way.
// What was shown stays shown. The moves are reported (Index.Moved) so that
// a caller storing each item's story stores them too, and a restart that
// re-adds the stored rows keeps the re-split.
//
// An item its caller did not store after all (a commit refused, to be
// grouped afresh) is taken out with Index.Remove, as if never added: the
// items its re-split took go back where they were, still weak.
package story
