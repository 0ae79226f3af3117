package store

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// tripCounter counts round trips to PostgreSQL over every connection it
// dialed: a write that follows a read (or opens the connection) starts one.
type tripCounter struct{ trips atomic.Int64 }

func (c *tripCounter) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	cc := &countingConn{Conn: conn, counter: c}
	cc.read.Store(true)
	return cc, nil
}

type countingConn struct {
	net.Conn
	counter *tripCounter
	read    atomic.Bool // the last operation was a read
}

func (c *countingConn) Write(b []byte) (int, error) {
	if c.read.Swap(false) {
		c.counter.trips.Add(1)
	}
	return c.Conn.Write(b)
}

func (c *countingConn) Read(b []byte) (int, error) {
	c.read.Store(true)
	return c.Conn.Read(b)
}

// postgresTestSchema returns a DSN whose search_path is a fresh schema,
// dropped when the test ends; it skips the test when no PostgreSQL is
// configured.
func postgresTestSchema(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("NEWSHOUND_TEST_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("PostgreSQL tests skipped: set NEWSHOUND_TEST_POSTGRES_DSN (for example to the output of .ci/postgres.sh)")
	}
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	schema := fmt.Sprintf("nh_trips_%d", time.Now().UnixNano())
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Exec("DROP SCHEMA " + schema + " CASCADE") })
	if !strings.Contains(dsn, "://") {
		return dsn + " search_path=" + schema
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// TestPostgresRoundTrips counts the round trips of the hot writes once the
// connection's statements are prepared (pgx prepares a statement on its
// first use on a connection, which costs one more).
func TestPostgresRoundTrips(t *testing.T) {
	ctx := context.Background()
	var counter tripCounter
	s, err := OpenPostgres(ctx, postgresTestSchema(t), func(o *options) { o.pgDial = counter.dial })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	round := 0
	pollWith := func(fresh int) Poll {
		round++
		p := Poll{State: FeedState{FeedID: "wire", Initialized: true}}
		for i := range 20 {
			p.Keys = append(p.Keys, fmt.Sprintf("old-%d", i))
		}
		for i := range fresh {
			key := fmt.Sprintf("new-%d-%d", round, i)
			p.Keys = append(p.Keys, key)
			p.Alerts = append(p.Alerts, Alert{Destination: "desk", ItemKey: key,
				DedupeKeys: []string{"story:" + key}, Payload: []byte(`{"title":"Truce holds"}`)})
		}
		return p
	}
	states := make([]FeedState, 50)
	for i := range states {
		states[i] = FeedState{FeedID: fmt.Sprintf("feed-%d", i), NextPoll: time.Now()}
	}
	cases := []struct {
		name  string
		write func() error
		max   int64
	}{
		{"CommitPoll, nothing new", func() error { _, err := s.CommitPoll(ctx, "wire", pollWith(0)); return err }, 1},
		{"CommitPoll, 1 new alert", func() error { _, err := s.CommitPoll(ctx, "wire", pollWith(1)); return err }, 2},
		{"CommitPoll, 100 new alerts", func() error {
			n, err := s.CommitPoll(ctx, "wire", pollWith(100))
			if err == nil && n != 100 {
				err = fmt.Errorf("enqueued %d, want 100", n)
			}
			return err
		}, 2},
		{"CommitPoll, 1 new alert and text signatures", func() error {
			p := pollWith(1)
			p.Texts = map[string][]byte{p.Keys[len(p.Keys)-1]: []byte("new"), "old-0": fmt.Appendf(nil, "round %d", round)}
			_, err := s.CommitPoll(ctx, "wire", p)
			return err
		}, 2},
		{"CommitPoll, 1 new alert taking 6 into its story", func() error {
			p := pollWith(1)
			a := &p.Alerts[0]
			a.Story = "wire/" + a.ItemKey
			for i := range 6 {
				a.Takes = append(a.Takes, StoryTake{Item: fmt.Sprintf("wire/new-%d-0", i+1), From: "wire/old-0"})
			}
			_, err := s.CommitPoll(ctx, "wire", p)
			return err
		}, 2},
		{"SaveFeedStates, 50 feeds", func() error { return s.SaveFeedStates(ctx, states) }, 1},
	}
	for _, c := range cases {
		if err := c.write(); err != nil { // prepares the statements
			t.Fatalf("%s: %v", c.name, err)
		}
		before := counter.trips.Load()
		if err := c.write(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := counter.trips.Load() - before; got > c.max {
			t.Errorf("%s: %d round trips, want at most %d", c.name, got, c.max)
		} else {
			t.Logf("%s: %d round trips", c.name, got)
		}
	}
}

// TestPostgresMigrateFromFeedLeases opens a database made by the schema of
// version 3: feed_leases gives way to leases, and alerts get an enqueue
// time no earlier than they were delivered.
func TestPostgresMigrateFromFeedLeases(t *testing.T) {
	ctx := context.Background()
	db, dsn := openPostgresDB(t)
	migrateTo(t, db, postgresDialect, 3)
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	_, err := db.ExecContext(ctx, `INSERT INTO alerts (destination, item_key, created_at, delivered_at) VALUES
		('d', 'delivered', $1, $2), ('d', 'pending', $3, 0)`,
		toMicro(day.AddDate(0, -2, 0)), toMicro(day), toMicro(day.AddDate(0, 0, -1)))
	if err != nil {
		t.Fatal(err)
	}

	s, err := OpenPostgres(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var feedLeases bool
	if err := db.QueryRowContext(ctx, `SELECT to_regclass('feed_leases') IS NOT NULL`).Scan(&feedLeases); err != nil {
		t.Fatal(err)
	}
	if feedLeases {
		t.Error("feed_leases still exists after migrating")
	}
	if ok, err := s.Lease(ctx, "feed:wire", "host-1", 1, time.Minute); err != nil || !ok {
		t.Errorf("Lease after migrating = %v, %v; want true", ok, err)
	}
	want := map[string]time.Time{"delivered": day, "pending": day.AddDate(0, 0, -1)}
	for key, at := range want {
		var got int64
		if err := db.QueryRowContext(ctx, `SELECT enqueued_at FROM alerts WHERE item_key = $1`, key).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if !fromMicro(got).Equal(at) {
			t.Errorf("%s alert: enqueued_at = %v, want %v", key, fromMicro(got), at)
		}
	}
}

// TestPostgresFailedPipelineRollsBack: a statement that fails inside a
// pipelined transaction rolls back the statements sent with it, and the
// connection serves the next transaction.
func TestPostgresFailedPipelineRollsBack(t *testing.T) {
	ctx := context.Background()
	s, err := OpenPostgres(ctx, postgresTestSchema(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.w.SetMaxOpenConns(1) // the next transaction must reuse the connection
	bad := []FeedState{{FeedID: "good"}, {FeedID: "bad", URL: "https://example.com/\xff"}}
	err = s.SaveFeedStates(ctx, bad)
	if err == nil {
		t.Fatal("SaveFeedStates with invalid UTF-8 succeeded, want PostgreSQL's error")
	}
	t.Logf("SaveFeedStates: %v", err)
	if got, err := s.FeedStates(ctx); err != nil || len(got) != 0 {
		t.Errorf("after the failed transaction FeedStates = %v, %v; want none (rolled back)", got, err)
	}
	if err := s.SaveFeedStates(ctx, bad[:1]); err != nil {
		t.Errorf("next transaction: %v", err)
	}
	if _, err := s.FeedState(ctx, "good"); err != nil {
		t.Errorf("FeedState after the next transaction: %v", err)
	}
}
