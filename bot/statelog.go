package bot

import (
	"log/slog"
	"sync"
)

// stateLog reports a lasting condition once per change of state, not once
// per attempt: the first failure of a kind is logged with its error, the
// same error again only counts, a different error is logged with the count
// of the previous one, and the recovery is logged once with the count.
type stateLog struct {
	log *slog.Logger
	mu  sync.Mutex
	bad map[string]*failing
}

type failing struct {
	err   string
	count int
}

func newStateLog(log *slog.Logger) *stateLog {
	return &stateLog{log: log, bad: map[string]*failing{}}
}

// fail records a failure of kind; it logs msg at error level when the
// kind was healthy or its error changed.
func (s *stateLog) fail(kind, msg string, err error, args ...any) {
	s.mu.Lock()
	f := s.bad[kind]
	text := err.Error()
	switch {
	case f == nil:
		s.bad[kind] = &failing{err: text, count: 1}
	case f.err == text:
		f.count++
		s.mu.Unlock()
		return
	default:
		args = append(args, "previous_error", f.err, "previous_count", f.count)
		f.err, f.count = text, 1
	}
	s.mu.Unlock()
	s.log.Error(msg, append(args, "err", err)...)
}

// ok records a success of kind; after failures it logs msg once, with how
// many failures there were.
func (s *stateLog) ok(kind, msg string, args ...any) {
	s.mu.Lock()
	f := s.bad[kind]
	delete(s.bad, kind)
	s.mu.Unlock()
	if f != nil {
		s.log.Info(msg, append(args, "failures", f.count, "last_error", f.err)...)
	}
}

// failingKinds counts the kinds failing now (for health).
func (s *stateLog) failingKinds() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.bad)
}
