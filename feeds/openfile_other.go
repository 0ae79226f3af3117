//go:build !unix || darwin || ios

package feeds

import "os"

// openFeedFile opens a file:// feed for reading. Here the runtime does
// not poll named pipes, so opening one waits for a writer as open(2) does.
func openFeedFile(path string) (*os.File, error) { return os.Open(path) }
