package alert

import "github.com/newshound/newshound/feeds"

// The tests' one-step forms of a TextPoll.

// TextChanges are NewTextPoll(items).Changes(stored).
func TextChanges(items []feeds.Item, stored map[string][]byte) (changes []Change, sigs map[string][]byte) {
	return NewTextPoll(items).Changes(stored)
}

// TextKeys are NewTextPoll(items).Keys().
func TextKeys(items []feeds.Item) []string {
	return NewTextPoll(items).Keys()
}

// EditedKeys are NewTextPoll(items).EditedKeys(stored).
func EditedKeys(items []feeds.Item, stored map[string][]byte) []string {
	return NewTextPoll(items).EditedKeys(stored)
}
