package storycorpus

import "fmt"

// ResplitHeadlines are invented headlines of two stories for the re-split
// tests: A's three reports (olive oil prices), B's first report, which
// joins A weakly (on words, sharing no name), twelve further reports of B
// that resemble it alone, and one more of B for after a restart.
func ResplitHeadlines() (a []string, bFirst string, bNext []string, bLater string) {
	a = []string{
		"Olive oil prices jump",
		"Olive oil prices jump worldwide",
		"Poor harvest lifts olive oil prices",
	}
	for i := range 12 {
		bNext = append(bNext, fmt.Sprintf("Drought ruins olive harvest, report %c", 'e'+i))
	}
	return a, "Olive oil harvest fails in drought", bNext, "Olive harvest fails as drought ruins groves"
}

// ResplitSequence is ResplitHeadlines in the order they are published,
// B's later report last.
func ResplitSequence() []string {
	a, bFirst, bNext, bLater := ResplitHeadlines()
	return append(append(append(a, bFirst), bNext...), bLater)
}
