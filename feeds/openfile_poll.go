//go:build unix && !darwin && !ios

package feeds

import (
	"os"
	"syscall"
)

// openFeedFile opens a file:// feed for reading. A named pipe is opened
// without blocking: open(2) would wait for a writer, past any context
// (one with no writer then reads as empty). Its reads go through the
// runtime's poller, which readWithin ends when the context is done.
func openFeedFile(path string) (*os.File, error) {
	flag := os.O_RDONLY
	if st, err := os.Stat(path); err == nil && st.Mode()&os.ModeNamedPipe != 0 {
		flag |= syscall.O_NONBLOCK
	}
	return os.OpenFile(path, flag, 0)
}
