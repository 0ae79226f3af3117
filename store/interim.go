package store

import (
	"context"
	"fmt"
)

// FeedStates returns every stored feed state (interim: one read per feed).
func (s *sqlStore) FeedStates(ctx context.Context) (map[string]FeedState, error) {
	ids, err := s.queryStrings(ctx, `SELECT feed_id FROM feeds`)
	if err != nil {
		return nil, fmt.Errorf("list feed states: %w", err)
	}
	out := make(map[string]FeedState, len(ids))
	for _, id := range ids {
		st, err := s.FeedState(ctx, id)
		if err != nil {
			return nil, err
		}
		out[id] = st
	}
	return out, nil
}
