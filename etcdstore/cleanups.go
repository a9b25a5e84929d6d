package etcdstore

import (
	"context"
	"sync"
	"time"
)

// cleanups runs the tidying a call leaves behind (a waiter leaving its
// queue, its lease revoked) in the background, so that no call outlives
// its context waiting for a cluster it cannot reach. Each cleanup is
// bounded by cleanupTimeout and ends when the Store closes; what it could
// not remove goes with its lease. The zero value is ready to use.
type cleanups struct {
	mu     sync.Mutex
	ctx    context.Context // cancelled by stop
	cancel context.CancelFunc
	closed bool
	wg     sync.WaitGroup
}

// cleanupTimeout bounds one background cleanup: a waiter key outlives it
// by at most its lease's TTL.
const cleanupTimeout = 5 * time.Second

func (c *cleanups) init() {
	if c.ctx == nil {
		c.ctx, c.cancel = context.WithCancel(context.Background())
	}
}

// run starts fn in the background with a context bounded by
// cleanupTimeout and by stop. After stop, fn runs at once with a context
// already cancelled, so that it still releases what it holds locally.
func (c *cleanups) run(fn func(ctx context.Context)) {
	c.mu.Lock()
	c.init()
	ctx := c.ctx
	if c.closed {
		c.mu.Unlock()
		fn(ctx)
		return
	}
	c.wg.Add(1)
	c.mu.Unlock()
	go func() {
		defer c.wg.Done()
		tctx, cancel := context.WithTimeout(ctx, cleanupTimeout)
		defer cancel()
		fn(tctx)
	}()
}

// wait waits for the cleanups under way (for tests that check what a
// call leaves behind).
func (c *cleanups) wait() { c.wg.Wait() }

// stop cancels the cleanups under way and waits for them.
func (c *cleanups) stop() {
	c.mu.Lock()
	c.init()
	c.closed = true
	c.cancel()
	c.mu.Unlock()
	c.wg.Wait()
}
