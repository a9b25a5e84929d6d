// Package lease keeps a conductor's etcd lease alive and tells its owner
// at once when it is lost.
//
// etcd lease facts that bound what a session can promise:
//   - the shortest TTL a cluster grants is 1.5 x its election timeout
//     (1.5 s with etcd's defaults); shorter requests are raised to it;
//   - the leader checks for expired leases every 500 ms, so a lease whose
//     keep-alives stop is expired between TTL and about TTL + 0.5 s;
//   - a newly elected leader extends every lease by its full TTL, so the
//     detection time of a dead holder holds only between failovers: a
//     failover during the TTL delays expiry by up to one more TTL.
package lease

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Errors that end a session.
var (
	// ErrLost means the lease expired or was revoked, or the cluster could
	// not be reached for a whole TTL: everything bound to it is gone (or
	// about to be), and the owner must stop acting on its behalf.
	ErrLost = errors.New("lease: session lost")
	// ErrClosed means the owner closed the session.
	ErrClosed = errors.New("lease: session closed")
)

// DefaultTTL is the TTL of a session when none is given.
const DefaultTTL = 10 * time.Second

// Session is one lease kept alive in the background.
type Session struct {
	cli *clientv3.Client
	id  clientv3.LeaseID
	ttl time.Duration

	keyPrefix string // optional: a key under it is bound to the lease and watched
	cancel    context.CancelFunc
	done      chan struct{}
	once      sync.Once
	mu        sync.Mutex
	err       error
	onLost    func(error)
}

// Option configures a Session.
type Option func(*Session)

// WithTTL sets the lease TTL (whole seconds, at least 1).
func WithTTL(ttl time.Duration) Option { return func(s *Session) { s.ttl = ttl } }

// WithKeyPrefix makes the session bind a key, prefix + the lease id in
// hex, to its lease and watch it, so a revoke or an expiry is noticed the
// moment etcd applies it (otherwise only when the client gives up on the
// keep-alives). Use a prefix of your own, such as keys.Space.Sessions().
func WithKeyPrefix(prefix string) Option { return func(s *Session) { s.keyPrefix = prefix } }

// OnLost registers a callback run once, in its own goroutine, when the
// session ends other than by Close.
func OnLost(f func(error)) Option { return func(s *Session) { s.onLost = f } }

// New grants a lease and keeps it alive until the session is lost or
// closed. It returns after the first keep-alive is acknowledged. Round
// trips: two (grant, first keep-alive), three WithKeyPrefix.
func New(ctx context.Context, cli *clientv3.Client, opts ...Option) (*Session, error) {
	s := &Session{cli: cli, ttl: DefaultTTL, done: make(chan struct{})}
	for _, o := range opts {
		o(s)
	}
	secs := int64((s.ttl + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	grant, err := cli.Grant(ctx, secs)
	if err != nil {
		return nil, err
	}
	s.id, s.ttl = grant.ID, time.Duration(grant.TTL)*time.Second
	kctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	ka, err := cli.KeepAlive(kctx, grant.ID)
	if err != nil {
		cancel()
		return nil, err
	}
	// Wait for the first keep-alive: from then on the client gives up on
	// the lease one TTL after its last acknowledged keep-alive (before it,
	// only after the dial timeout).
	select {
	case _, ok := <-ka:
		if !ok {
			cancel()
			return nil, ErrLost
		}
	case <-ctx.Done():
		cancel()
		return nil, ctx.Err()
	}
	if s.keyPrefix != "" {
		if err := s.watchKey(ctx, kctx, s.keyPrefix+strconv.FormatInt(int64(s.id), 16)); err != nil {
			cancel()
			return nil, err
		}
	}
	go s.keepAlive(ka)
	return s, nil
}

// watchKey binds the session's key to the lease and watches it: etcd
// deletes it the moment the lease expires or is revoked, so the owner
// hears of the loss at once instead of at the next keep-alive. One round
// trip (the put).
func (s *Session) watchKey(ctx, kctx context.Context, key string) error {
	put, err := s.cli.Put(ctx, key, "", clientv3.WithLease(s.id))
	if err != nil {
		return err
	}
	wch := s.cli.Watch(kctx, key, clientv3.WithRev(put.Header.Revision+1), clientv3.WithFilterPut())
	go func() {
		for resp := range wch {
			if len(resp.Events) > 0 || resp.Canceled {
				s.end(ErrLost)
				return
			}
		}
	}()
	return nil
}

// keepAlive drains keep-alive responses. The client closes the channel
// when the lease expires or is revoked, or when no keep-alive has
// succeeded for a TTL: the session is lost.
func (s *Session) keepAlive(ka <-chan *clientv3.LeaseKeepAliveResponse) {
	for range ka {
	}
	s.end(ErrLost)
}

func (s *Session) end(err error) {
	s.once.Do(func() {
		s.mu.Lock()
		s.err = err
		s.mu.Unlock()
		s.cancel()
		close(s.done)
		if err == ErrLost && s.onLost != nil {
			go s.onLost(err)
		}
	})
}

// Lease is the session's lease, to bind keys to it.
func (s *Session) Lease() clientv3.LeaseID { return s.id }

// TTL is the TTL the cluster granted.
func (s *Session) TTL() time.Duration { return s.ttl }

// Done is closed when the session is lost or closed.
func (s *Session) Done() <-chan struct{} { return s.done }

// Err is nil while the session lives, then ErrLost or ErrClosed.
func (s *Session) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Close ends the session and revokes its lease, so everything bound to it
// goes at once. Bounded by ctx; closing a lost session only stops it.
func (s *Session) Close(ctx context.Context) error {
	lost := s.Err() == ErrLost
	s.end(ErrClosed)
	if lost {
		return nil
	}
	_, err := s.cli.Revoke(ctx, s.id)
	return err
}

// Abandon stops keeping the lease alive without revoking it, as a crashed
// process would: the lease expires after its TTL. For tests and demos.
func (s *Session) Abandon() { s.end(ErrClosed) }
