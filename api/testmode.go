package api

import (
	"context"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Test mode (--testing), for conformance suites such as Ironic's own DB
// tests: reset_for_tests empties the store, and X-Ironic-Etcd-Now sets
// "now" for one request. The store's clock is per Store, so calls are
// served one at a time and the clock is set for each: a test server, not
// a production one. Without --testing both are refused, so a client's
// clock never decides liveness.

// NowHeader sets "now" (ISO 8601) for one request in test mode.
const NowHeader = "X-Ironic-Etcd-Now"

// testClock is the store's clock in test mode: the request's time, or
// the real one.
type testClock struct{ t atomic.Pointer[time.Time] }

func (c *testClock) now() time.Time {
	if t := c.t.Load(); t != nil {
		return *t
	}
	return time.Now()
}

func (c *testClock) set(t time.Time) {
	if t.IsZero() {
		c.t.Store(nil)
		return
	}
	c.t.Store(&t)
}

// HeartbeatHeader sets Ironic's [conductor]heartbeat_timeout (seconds) for
// one request in test mode: 21.4 reads its caller's configuration at every
// call, and Ironic's tests change it between calls.
const HeartbeatHeader = "X-Ironic-Etcd-Heartbeat-Timeout"

// testHeartbeat is the store's heartbeat timeout in test mode: the
// request's, or 0 for the configured one.
type testHeartbeat struct{ d atomic.Int64 }

func (h *testHeartbeat) get() time.Duration  { return time.Duration(h.d.Load()) }
func (h *testHeartbeat) set(d time.Duration) { h.d.Store(int64(d)) }

// requestHeartbeat reads the request's heartbeat timeout (0: none).
func (h *Handler) requestHeartbeat(r *http.Request) (time.Duration, error) {
	v := r.Header.Get(HeartbeatHeader)
	if v == "" {
		return 0, nil
	}
	if !h.cfg.Testing {
		return 0, testingOnly("the " + HeartbeatHeader + " header")
	}
	secs, err := strconv.ParseFloat(v, 64)
	if err != nil || !(secs > 0) || secs > 1e9 {
		return 0, badRequest(errMalformed, map[string]any{"header": HeartbeatHeader},
			"%s: want a positive number of seconds, got %q", HeartbeatHeader, v)
	}
	return time.Duration(secs * float64(time.Second)), nil
}

func testingOnly(what string) error {
	return &requestError{Status: http.StatusForbidden, Type: errTestingOnly,
		Msg: what + " is only served by a server started with --testing", Params: map[string]any{}}
}

// requestNow reads the request's "now" (zero: none).
func (h *Handler) requestNow(r *http.Request) (time.Time, error) {
	v := r.Header.Get(NowHeader)
	if v == "" {
		return time.Time{}, nil
	}
	if !h.cfg.Testing {
		return time.Time{}, testingOnly("the " + NowHeader + " header")
	}
	t, err := parseTime(v)
	if err != nil {
		return time.Time{}, badRequest(errMalformed, map[string]any{"header": NowHeader}, "%s: %v", NowHeader, err)
	}
	return t, nil
}

var testRoutes = []Route{
	{Name: "reset_for_tests", Doc: "Empty the store's prefix (--testing only).", Result: rNone, TestingOnly: true,
		Call: func(ctx context.Context, c *Call) (any, error) { return none(c.h.resetForTests(ctx)) }},
}

// resetForTests deletes every key under the prefix and starts a fresh
// Store (its id blocks and caches describe the old contents). Calls are
// serialized in test mode, so none runs against the old store meanwhile.
func (h *Handler) resetForTests(ctx context.Context) error {
	old := h.store()
	if _, err := h.cfg.Client.Delete(ctx, old.Keys().Prefix(), clientv3.WithPrefix()); err != nil {
		return err
	}
	fresh, err := h.newStore()
	if err != nil {
		return err
	}
	h.st.Store(fresh)
	return old.Close()
}
