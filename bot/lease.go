package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"time"

	"github.com/newshound/newshound/store"
)

// instanceName identifies this process among instances sharing a store.
func instanceName() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// claim takes a lease on key for d when the store is shared by several
// instances, so that one feed is polled, and one destination's outbox is
// sent, by one instance at a time. A store without leases is not shared:
// the claim always succeeds.
func (s *Service) claim(ctx context.Context, key string, d time.Duration) bool {
	c, ok := s.store.(store.FeedClaimer)
	if !ok {
		return true
	}
	got, err := c.ClaimFeed(ctx, key, s.owner, s.now().Add(d))
	if err != nil {
		s.log.Error("taking a lease", "key", key, "err", err)
		return false
	}
	return got
}

// release gives a lease back early, by setting its end in the distant
// past (which is past on every instance's clock).
func (s *Service) release(ctx context.Context, key string) {
	// Release even when ctx was cancelled (Ctrl-C mid-poll), or the next
	// run would find the lease held and skip the feed.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if c, ok := s.store.(store.FeedClaimer); ok {
		if _, err := c.ClaimFeed(ctx, key, s.owner, time.Unix(0, 0)); err != nil {
			s.log.Debug("releasing a lease", "key", key, "err", err)
		}
	}
}
