package alert

import (
	"testing"

	"github.com/newshound/newshound/feeds"
)

// TestTextChangesStartAfreshOnAnotherSignatureVersion: a text signature
// stored by another version (version 1 left every number out) is no basis
// for an update: the item's text is signed again and nothing is reported,
// so an upgrade posts no old sentence as new; the next change is.
func TestTextChangesStartAfreshOnAnotherSignatureVersion(t *testing.T) {
	item := func(text string) []feeds.Item {
		return []feeds.Item{{Key: "blog", Title: "Kessler Dam: live", Summary: text}}
	}
	const before = "The spillway releases 1,200 cubic metres a second."
	stored := map[string][]byte{"blog": {1, 0}} // version 1, no sums
	changes, sigs := TextChanges(item(before), stored)
	if len(changes) != 0 {
		t.Errorf("changes over a version-1 signature: %+v, want none", changes)
	}
	sig, ok := sigs["blog"]
	if !ok || len(sig) == 0 || sig[0] == 1 {
		t.Fatalf("signature stored: %x, want a new version", sig)
	}
	const after = "The spillway releases 1,450 cubic metres a second."
	changes, _ = TextChanges(item(after), map[string][]byte{"blog": sig})
	if len(changes) != 1 || changes[0].Added != after {
		t.Errorf("changes after a revised count: %+v, want %q added", changes, after)
	}
}
