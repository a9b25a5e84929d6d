package etcdstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
)

// Every way to meet another holder's lock answers the same NodeLocked:
// an *etcdstore.Error of kind ErrNodeLocked (a Conflict) whose Param
// "node" is the node's uuid and Param "host" the holder, which
// NodeLockedHolder reads too. README promises this shape to callers.
func TestNodeLockedShapeOnEveryPath(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	held, err := f.ReserveNode(f.ctx, "c1", n.Uuid)
	if err != nil {
		t.Fatal(err)
	}
	stale := held.ReservationRevision - 1
	waitCtx, cancel := context.WithTimeout(f.ctx, 300*time.Millisecond)
	defer cancel()
	paths := []struct {
		name string
		call func() error
	}{
		{"reserve", func() error { _, err := f.ReserveNode(f.ctx, "c2", n.Uuid); return err }},
		{"reserve with wait, deadline", func() error {
			_, err := f.ReserveNode(waitCtx, "c2", n.Uuid, etcdstore.WithWait())
			return err
		}},
		{"release by another", func() error { return f.ReleaseNode(f.ctx, "c2", n.Uuid) }},
		{"release fenced, stale revision", func() error {
			return f.ReleaseNode(f.ctx, "c1", n.Uuid, etcdstore.WithFence("c1", stale))
		}},
		{"update fenced by another", func() error {
			_, err := f.UpdateNode(f.ctx, n.Uuid, etcdstore.Values{"power_state": "power on"}, etcdstore.WithFence("c2", held.ReservationRevision))
			return err
		}},
	}
	for _, p := range paths {
		err := p.call()
		var e *etcdstore.Error
		switch {
		case !errors.Is(err, etcdstore.ErrNodeLocked) || !errors.Is(err, etcdstore.ErrConflict):
			t.Errorf("%s: want NodeLocked, got %v", p.name, err)
		case !errors.As(err, &e) || e.Param("node") != n.Uuid || e.Param("host") != "c1":
			t.Errorf("%s: want Params node=%s host=c1 in %v", p.name, n.Uuid, err)
		}
		if holder, ok := etcdstore.NodeLockedHolder(err); !ok || holder != "c1" {
			t.Errorf("%s: NodeLockedHolder = %q, %v", p.name, holder, ok)
		}
	}
}
