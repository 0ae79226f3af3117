package benchfarm

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"time"
)

// Driver is what a bench needs of a farm, in this process or another.
type Driver interface {
	Addrs() Addrs
	// Advance publishes a round (see Farm.Advance).
	Advance(ctx context.Context, share, match float64) (Round, error)
	// Stats reports what the farm saw (see Farm.Stats).
	Stats(ctx context.Context, since time.Time) (Stats, error)
}

// Local drives a farm in this process.
type Local struct {
	Farm  *Farm
	Where Addrs
}

func (l Local) Addrs() Addrs { return l.Where }
func (l Local) Advance(_ context.Context, share, match float64) (Round, error) {
	return l.Farm.Advance(share, match), nil
}
func (l Local) Stats(_ context.Context, since time.Time) (Stats, error) {
	return l.Farm.Stats(since), nil
}

// Client drives a farm in another process through its control endpoints.
type Client struct {
	Where Addrs
	HTTP  *http.Client
}

func (c Client) Addrs() Addrs { return c.Where }

func (c Client) Advance(ctx context.Context, share, match float64) (Round, error) {
	var r Round
	form := url.Values{"share": {fmt.Sprint(share)}, "match": {fmt.Sprint(match)}}
	err := c.call(ctx, http.MethodPost, "/control/advance?"+form.Encode(), &r)
	return r, err
}

func (c Client) Stats(ctx context.Context, since time.Time) (Stats, error) {
	var s Stats
	err := c.call(ctx, http.MethodGet, "/control/stats?"+url.Values{"since": {since.Format(time.RFC3339Nano)}}.Encode(), &s)
	return s, err
}

func (c Client) call(ctx context.Context, method, path string, into any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.Where.Control+path, nil)
	if err != nil {
		return err
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("benchfarm control %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("benchfarm control %s: %s: %s", path, resp.Status, body)
	}
	return json.NewDecoder(resp.Body).Decode(into)
}

// ServeChild is the body of a farm process: it serves o until ctx is
// cancelled or stdin reaches its end (the parent died or closed it), after
// writing its addresses as one JSON line to stdout.
func ServeChild(ctx context.Context, o Options, stdin io.Reader, stdout io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { // ends when the parent closes stdin, which ends Serve
		io.Copy(io.Discard, stdin)
		cancel()
	}()
	var werr error
	err := New(o).Serve(ctx, func(a Addrs) { werr = json.NewEncoder(stdout).Encode(a) })
	if werr != nil {
		return werr
	}
	return err
}

// Spawn starts cmd, a process running ServeChild, and returns a Client for
// it once it is listening. stop closes its stdin and waits for it to end.
func Spawn(cmd *exec.Cmd) (c Client, stop func() error, err error) {
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return c, nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return c, nil, err
	}
	if err := cmd.Start(); err != nil {
		return c, nil, fmt.Errorf("benchfarm: starting the farm process: %w", err)
	}
	stop = func() error {
		stdin.Close()
		return cmd.Wait()
	}
	line, err := bufio.NewReader(stdout).ReadBytes('\n')
	if err != nil {
		stop()
		return c, nil, fmt.Errorf("benchfarm: the farm process did not start: %w", err)
	}
	if err := json.Unmarshal(line, &c.Where); err != nil {
		stop()
		return c, nil, fmt.Errorf("benchfarm: the farm process said %q: %w", line, err)
	}
	c.HTTP = &http.Client{Timeout: time.Minute}
	return c, stop, nil
}
