package etcdstore_test

import (
	"context"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
)

// Rows of the race table for 21.4's unique port name: a rival takes the
// name, frees it or renames the port at each request of the call.

// namePort creates port key of the world's node with MAC macOf(i) and a
// name.
func namePort(ctx context.Context, w *world, key string, i int, name string) error {
	if err := w.makePort(ctx, key, "node", "", i); err != nil {
		return err
	}
	_, err := w.admin.UpdatePort(ctx, w.uuid[key], etcdstore.Values{"name": name})
	return err
}

func portNameRaceCases() []raceCase {
	none := func(*world, *snapshot) []string { return nil }
	setupNamed := func(ctx context.Context, w *world) error {
		if err := setupNode(ctx, w); err != nil {
			return err
		}
		return namePort(ctx, w, "port", 1, "first")
	}
	renameTo := func(name string) func(context.Context, *world) (any, error) {
		return func(ctx context.Context, w *world) (any, error) {
			return w.victim.UpdatePort(ctx, w.uuid["port"], etcdstore.Values{"name": name})
		}
	}
	return []raceCase{
		{name: "update_port name, name taken", setup: setupNamed, scope: byUUID("ports", "port"),
			errs: []error{etcdstore.ErrPortDuplicateName}, call: renameTo("wanted"),
			rival: func(ctx context.Context, w *world) error { return namePort(ctx, w, "rival", 8, "wanted") }},
		{name: "update_port name, port renamed", setup: setupNamed, scope: byUUID("ports", "port"),
			call: renameTo("mine"),
			rival: func(ctx context.Context, w *world) error {
				_, err := w.admin.UpdatePort(ctx, w.uuid["port"], etcdstore.Values{"name": "theirs"})
				return err
			}},
		{name: "update_port name, name freed and taken again", setup: func(ctx context.Context, w *world) error {
			if err := setupNamed(ctx, w); err != nil {
				return err
			}
			return namePort(ctx, w, "holder", 2, "wanted")
		}, scope: byUUID("ports", "port"), errs: []error{etcdstore.ErrPortDuplicateName}, call: renameTo("wanted"),
			rival: func(ctx context.Context, w *world) error {
				if _, err := w.admin.UpdatePort(ctx, w.uuid["holder"], etcdstore.Values{"name": nil}); err != nil {
					return err
				}
				return namePort(ctx, w, "heir", 3, "wanted")
			}},
		{name: "create_port name, name taken", setup: setupNode, scope: none, creates: true,
			errs: []error{etcdstore.ErrPortAlreadyExists},
			call: func(ctx context.Context, w *world) (any, error) {
				return w.victim.CreatePort(ctx, etcdstore.Values{"node_id": w.id["node"], "address": macOf(7), "name": "wanted"})
			},
			rival: func(ctx context.Context, w *world) error { return namePort(ctx, w, "rival", 8, "wanted") }},
	}
}
