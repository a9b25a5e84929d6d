package etcdstore_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
)

// The records a race case starts from, and the rivals' operations, all
// through w.admin (another Store on another client than the victim's).

func (w *world) makeNode(ctx context.Context, key string, values etcdstore.Values) error {
	v := etcdstore.Values{"driver": "fake-hardware"}
	for k, x := range values {
		v[k] = x
	}
	n, err := w.admin.CreateNode(ctx, v)
	if err != nil {
		return fmt.Errorf("create node %s: %w", key, err)
	}
	w.id[key], w.uuid[key] = n.Id, n.Uuid
	return nil
}

// makePort creates port i (MAC macOf(i)) of node nodeKey, in portgroup
// pgKey unless "".
func (w *world) makePort(ctx context.Context, key, nodeKey, pgKey string, i int) error {
	v := etcdstore.Values{"node_id": w.id[nodeKey], "address": macOf(i)}
	if pgKey != "" {
		v["portgroup_id"] = w.id[pgKey]
	}
	p, err := w.admin.CreatePort(ctx, v)
	if err != nil {
		return fmt.Errorf("create port %s: %w", key, err)
	}
	w.id[key], w.uuid[key] = p.Id, p.Uuid
	return nil
}

func setupNode(ctx context.Context, w *world) error {
	return w.makeNode(ctx, "node", etcdstore.Values{"name": "node-1"})
}

// setupNodeWithChildren: a node with a portgroup, a port in it, a port
// outside it, a volume connector and a volume target.
func setupNodeWithChildren(ctx context.Context, w *world) error {
	if err := setupNode(ctx, w); err != nil {
		return err
	}
	for _, k := range kinds() {
		if k.table == "chassis" || k.table == "ports" {
			continue
		}
		if err := k.make(ctx, w, k.name, 1, nil); err != nil {
			return err
		}
	}
	w.id["pg"] = w.id["portgroup"]
	if err := w.makePort(ctx, "port", "node", "pg", 1); err != nil {
		return err
	}
	return w.makePort(ctx, "port2", "node", "", 2)
}

// setupBatchedNode: a node with more children than one transaction of
// WithMaxTxnOps(16) holds, its ports in its portgroup, and a second node.
func setupBatchedNode(ctx context.Context, w *world) error {
	if err := setupNodeWithChildren(ctx, w); err != nil {
		return err
	}
	for i := 3; i < 6; i++ {
		if err := w.makePort(ctx, fmt.Sprint("port", i), "node", "pg", i); err != nil {
			return err
		}
	}
	return w.makeNode(ctx, "node2", etcdstore.Values{"name": "node-2"})
}

// setupLockedNode: a node reserved by tag; its token in w.id["token"].
func setupLockedNode(tag string) func(context.Context, *world) error {
	return func(ctx context.Context, w *world) error {
		if err := setupNode(ctx, w); err != nil {
			return err
		}
		n, err := w.admin.ReserveNode(ctx, tag, w.uuid["node"])
		if err != nil {
			return err
		}
		w.id["token"] = n.ReservationRevision
		return nil
	}
}

func setupNodeAndLease(ctx context.Context, w *world) error {
	if err := setupNode(ctx, w); err != nil {
		return err
	}
	l, err := w.admin.Client().Grant(ctx, 60)
	if err != nil {
		return err
	}
	w.lease = l.ID
	return nil
}

func setupNodeTagged(ctx context.Context, w *world) error {
	if err := setupNode(ctx, w); err != nil {
		return err
	}
	_, err := w.admin.SetNodeTags(ctx, w.id["node"], []string{"a", "b"})
	return err
}

// reuseNodeID destroys the node and creates another with the same id
// (and another uuid).
func reuseNodeID(ctx context.Context, w *world) error {
	if err := destroyNode(ctx, w); err != nil {
		return err
	}
	_, err := w.admin.CreateNode(ctx, etcdstore.Values{"id": w.id["node"], "name": "node-reborn", "driver": "fake-hardware"})
	return err
}

func destroyNode(ctx context.Context, w *world) error {
	return w.admin.DestroyNode(ctx, w.uuid["node"])
}

func revokeLease(ctx context.Context, w *world) error {
	_, err := w.admin.Client().Revoke(ctx, w.lease)
	return err
}

func (w *world) reserve(ctx context.Context, tag string) error {
	_, err := w.admin.ReserveNode(ctx, tag, w.uuid["node"])
	return err
}

// handOver releases from's lock and reserves the node for to.
func (w *world) handOver(ctx context.Context, from, to string) error {
	if err := w.admin.ReleaseNode(ctx, from, w.uuid["node"]); err != nil {
		return err
	}
	if err := w.observeNow(ctx, "after the rival's release"); err != nil {
		return err
	}
	return w.reserve(ctx, to)
}

// mayLose wraps a rival that creates a child: injected after the victim
// removed the parent, it loses its own race (NotFound) and does nothing,
// which is a run like any other.
func mayLose(rival func(context.Context, *world) error) func(context.Context, *world) error {
	return func(ctx context.Context, w *world) error {
		if err := rival(ctx, w); err != nil && !errors.Is(err, etcdstore.ErrNotFound) {
			return err
		}
		return nil
	}
}
