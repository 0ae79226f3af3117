package discord

import (
	"log/slog"
	"sync"
	"time"

	"github.com/newshound/newshound/internal/statelog"
)

// This file remembers the story threads shut to the bot, so that an edit
// does not knock on them again: each refusal (a 403) counts towards
// Discord's invalid-request limit (10,000 in 10 minutes bans the IP) and
// the Limiter's own budget, which pauses every send when spent, and a busy
// story is edited every few seconds. It also remembers the story threads
// known to exist, so that an edit posts into one without asking Discord
// to start it again (a request on the channel's bucket answered 400,
// "A thread has already been created for this message").

// How long a story thread found shut is left out before it is tried again.
// The first back-off is threadRetryFirst, each refusal after it doubles
// it, up to threadRetryMax; it working again forgets it. At 5 minutes a
// shut channel or thread costs at most two refused requests in Discord's
// 10-minute window, so it takes hundreds of them at once to reach the
// Limiter's budget (1,000 by default), while a moderator's fix soon after
// a refusal is seen within minutes; one that stays shut costs a request
// an hour. Meanwhile the story's message lists its reports, so leaving
// the thread out loses nothing.
const (
	threadRetryFirst = 5 * time.Minute
	threadRetryMax   = time.Hour
	// threadShutIdle is how long a refusal is remembered without another
	// try (the story's edits ended): far longer than threadRetryMax, so a
	// thread still edited is never forgotten; a forgotten one is tried on
	// its next edit, and starts over at threadRetryFirst.
	threadShutIdle = 6 * time.Hour
	// threadStartedIdle is how long a story thread known to exist is
	// remembered without an edit posting into it. A story edited again
	// after that asks to start it once more (answered 160004), as after
	// a restart.
	threadStartedIdle = 6 * time.Hour
)

// shutThreads is what a notifier with story threads knows of the threads
// it cannot use, by kind: "start:" and a channel whose threads the bot may
// not start, "post:" and a thread it may not post in (see threadKind). It
// logs them once per change of state, and leaves each out of the edits
// until its back-off has passed. It is in memory only and forgets a kind
// once it works, or after threadShutIdle without a try. It also knows the
// story threads that exist (see started), forgotten after
// threadStartedIdle without a post. Safe for concurrent use.
type shutThreads struct {
	log *statelog.Log

	mu    sync.Mutex
	shut  map[string]*shutThread
	known map[string]time.Time // a story thread's id → when it was last known to exist
	swept time.Time            // when idle kinds were last forgotten
}

// shutThread is one kind's back-off.
type shutThread struct {
	wait    time.Duration // the back-off of the last refusal
	refused time.Time     // the last refusal; no try before refused+wait
}

// newShutThreads logs to lim's logger.
func newShutThreads(lim *Limiter) *shutThreads {
	log := slog.Default()
	if lim != nil {
		log = lim.log
	}
	return &shutThreads{log: statelog.New(log), shut: map[string]*shutThread{}, known: map[string]time.Time{}}
}

// threadKind names what a story thread needs: starting threads in a
// channel (op "start"), or posting into a thread (op "post").
func threadKind(op, id string) string { return op + ":" + id }

// leftOut reports whether any of kinds was refused and its back-off has
// not passed at now: the story's thread is then left out without a try.
func (s *shutThreads) leftOut(now time.Time, kinds ...string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forgetIdle(now)
	for _, kind := range kinds {
		if t := s.shut[kind]; t != nil && now.Before(t.refused.Add(t.wait)) {
			return true
		}
	}
	return false
}

// refused notes kind refused at now and returns how long it is left out:
// threadRetryFirst after a first refusal, twice the last back-off (at
// most threadRetryMax) after a try that followed one.
func (s *shutThreads) refused(kind string, now time.Time) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.shut[kind]
	switch {
	case t == nil:
		t = &shutThread{wait: threadRetryFirst}
		s.shut[kind] = t
	default:
		t.wait = min(2*t.wait, threadRetryMax)
	}
	t.refused = now
	return t.wait
}

// worked forgets kind's refusals.
func (s *shutThreads) worked(kind string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.shut, kind)
}

// exists notes at now that story thread id exists: started by the bot,
// or Discord said it was (160004), or a post into it went through.
func (s *shutThreads) exists(id string, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.known[id] = now
}

// started reports whether story thread id is known to exist, for an edit
// at now to post into it without starting it; a known one is noted used
// at now, and so remembered for threadStartedIdle more.
func (s *shutThreads) started(id string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.known[id]
	if ok {
		s.known[id] = now
	}
	return ok
}

// deleted forgets story thread id, found deleted.
func (s *shutThreads) deleted(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.known, id)
}

// forgetIdle drops, at most once per threadRetryMax, the kinds refused
// threadShutIdle ago or longer and not tried since, and their state in the
// log, and the story threads not posted into for threadStartedIdle.
// Called with s.mu held.
func (s *shutThreads) forgetIdle(now time.Time) {
	if now.Sub(s.swept) < threadRetryMax {
		return
	}
	s.swept = now
	for kind, t := range s.shut {
		if now.Sub(t.refused) >= threadShutIdle {
			delete(s.shut, kind)
			s.log.Forget(kind)
		}
	}
	for id, at := range s.known {
		if now.Sub(at) >= threadStartedIdle {
			delete(s.known, id)
		}
	}
}
