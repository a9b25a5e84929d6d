package etcdstore_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
)

// Rows of the race table for ports, portgroups, chassis and volume
// connectors and targets: the same races for every kind, generated from
// one description per kind, plus the rows of each kind's own rules.

// recordKind is how the table creates, updates and destroys one kind.
type recordKind struct {
	name, table string
	values      func(w *world, i int) etcdstore.Values // record i of the kind
	create      func(ctx context.Context, s *etcdstore.Store, v etcdstore.Values) (id int64, uuid string, err error)
	update      func(ctx context.Context, s *etcdstore.Store, ident string, v etcdstore.Values) (any, error)
	destroy     func(ctx context.Context, s *etcdstore.Store, ident string) error
	notFound    error
	// byMAC: update (and destroyByMAC: destroy) accept a MAC identity.
	byMAC, destroyByMAC bool
	ownedByNode         bool
}

// make creates record i of the kind as key, with extra values.
func (k recordKind) make(ctx context.Context, w *world, key string, i int, extra etcdstore.Values) error {
	v := k.values(w, i)
	for n, x := range extra {
		v[n] = x
	}
	id, uuid, err := k.create(ctx, w.admin, v)
	if err != nil {
		return fmt.Errorf("create %s %s: %w", k.name, key, err)
	}
	w.id[key], w.uuid[key] = id, uuid
	return nil
}

func kinds() []recordKind {
	owned := func(w *world, v etcdstore.Values) etcdstore.Values { v["node_id"] = w.id["node"]; return v }
	return []recordKind{
		{name: "port", table: "ports", notFound: etcdstore.ErrPortNotFound, byMAC: true, destroyByMAC: true, ownedByNode: true,
			values: func(w *world, i int) etcdstore.Values { return owned(w, etcdstore.Values{"address": macOf(i)}) },
			create: func(ctx context.Context, s *etcdstore.Store, v etcdstore.Values) (int64, string, error) {
				r, err := s.CreatePort(ctx, v)
				return r.GetId(), r.GetUuid(), err
			},
			update: func(ctx context.Context, s *etcdstore.Store, id string, v etcdstore.Values) (any, error) {
				return s.UpdatePort(ctx, id, v)
			},
			destroy: func(ctx context.Context, s *etcdstore.Store, id string) error { return s.DestroyPort(ctx, id) }},
		{name: "portgroup", table: "portgroups", notFound: etcdstore.ErrPortgroupNotFound, byMAC: true, ownedByNode: true,
			values: func(w *world, i int) etcdstore.Values {
				return owned(w, etcdstore.Values{"address": macOf(100 + i), "name": fmt.Sprint("pg-", i)})
			},
			create: func(ctx context.Context, s *etcdstore.Store, v etcdstore.Values) (int64, string, error) {
				r, err := s.CreatePortgroup(ctx, v)
				return r.GetId(), r.GetUuid(), err
			},
			update: func(ctx context.Context, s *etcdstore.Store, id string, v etcdstore.Values) (any, error) {
				return s.UpdatePortgroup(ctx, id, v)
			},
			destroy: func(ctx context.Context, s *etcdstore.Store, id string) error { return s.DestroyPortgroup(ctx, id) }},
		{name: "chassis", table: "chassis", notFound: etcdstore.ErrChassisNotFound,
			values: func(w *world, i int) etcdstore.Values {
				return etcdstore.Values{"description": fmt.Sprint("chassis-", i)}
			},
			create: func(ctx context.Context, s *etcdstore.Store, v etcdstore.Values) (int64, string, error) {
				r, err := s.CreateChassis(ctx, v)
				return r.GetId(), r.GetUuid(), err
			},
			update: func(ctx context.Context, s *etcdstore.Store, id string, v etcdstore.Values) (any, error) {
				return s.UpdateChassis(ctx, id, v)
			},
			destroy: func(ctx context.Context, s *etcdstore.Store, id string) error { return s.DestroyChassis(ctx, id) }},
		{name: "volume connector", table: "volume_connectors", notFound: etcdstore.ErrVolumeConnectorNotFound, ownedByNode: true,
			values: func(w *world, i int) etcdstore.Values {
				return owned(w, etcdstore.Values{"type": "iqn", "connector_id": fmt.Sprint("iqn.", i)})
			},
			create: func(ctx context.Context, s *etcdstore.Store, v etcdstore.Values) (int64, string, error) {
				r, err := s.CreateVolumeConnector(ctx, v)
				return r.GetId(), r.GetUuid(), err
			},
			update: func(ctx context.Context, s *etcdstore.Store, id string, v etcdstore.Values) (any, error) {
				return s.UpdateVolumeConnector(ctx, id, v)
			},
			destroy: func(ctx context.Context, s *etcdstore.Store, id string) error {
				return s.DestroyVolumeConnector(ctx, id)
			}},
		{name: "volume target", table: "volume_targets", notFound: etcdstore.ErrVolumeTargetNotFound, ownedByNode: true,
			values: func(w *world, i int) etcdstore.Values {
				return owned(w, etcdstore.Values{"volume_type": "iscsi", "boot_index": i, "volume_id": fmt.Sprint("v", i)})
			},
			create: func(ctx context.Context, s *etcdstore.Store, v etcdstore.Values) (int64, string, error) {
				r, err := s.CreateVolumeTarget(ctx, v)
				return r.GetId(), r.GetUuid(), err
			},
			update: func(ctx context.Context, s *etcdstore.Store, id string, v etcdstore.Values) (any, error) {
				return s.UpdateVolumeTarget(ctx, id, v)
			},
			destroy: func(ctx context.Context, s *etcdstore.Store, id string) error { return s.DestroyVolumeTarget(ctx, id) }},
	}
}

// macOfRecord is the MAC a kind's record i has.
func macOfRecord(k recordKind, i int) string {
	if k.table == "portgroups" {
		return macOf(100 + i)
	}
	return macOf(i)
}

func recordRaceCases() []raceCase {
	var out []raceCase
	change := etcdstore.Values{"extra": map[string]any{"raced": true}}
	for _, k := range kinds() {
		setup := func(ctx context.Context, w *world) error {
			if err := setupNode(ctx, w); err != nil {
				return err
			}
			return k.make(ctx, w, "rec", 1, nil)
		}
		ident := func(by string) func(w *world) string {
			return func(w *world) string {
				switch by {
				case "id":
					return fmt.Sprint(w.id["rec"])
				case "address":
					return strings.ToUpper(macOfRecord(k, 1)) // MACs match in any case
				}
				return w.uuid["rec"]
			}
		}
		scope := func(by string) func(*world, *snapshot) []string {
			return func(w *world, s *snapshot) []string {
				var v any = w.uuid["rec"]
				switch by {
				case "id":
					v = w.id["rec"]
				case "address":
					v = macOfRecord(k, 1)
				}
				return s.named(k.table, by, v)
			}
		}
		// The rivals: the record destroyed; destroyed and its id reused by
		// another (new uuid); renamed to another MAC and its MAC given to
		// a new record.
		destroy := func(ctx context.Context, w *world) error { return k.destroy(ctx, w.admin, w.uuid["rec"]) }
		reuse := func(ctx context.Context, w *world) error {
			if err := destroy(ctx, w); err != nil {
				return err
			}
			return k.make(ctx, w, "reborn", 2, etcdstore.Values{"id": w.id["rec"]})
		}
		handMAC := func(ctx context.Context, w *world) error {
			if _, err := k.update(ctx, w.admin, w.uuid["rec"], etcdstore.Values{"address": macOfRecord(k, 2)}); err != nil {
				return err
			}
			return k.make(ctx, w, "heir", 3, etcdstore.Values{"address": macOfRecord(k, 1)})
		}
		update := func(by string) func(context.Context, *world) (any, error) {
			return func(ctx context.Context, w *world) (any, error) { return k.update(ctx, w.victim, ident(by)(w), change) }
		}
		destroyBy := func(by string) func(context.Context, *world) (any, error) {
			return func(ctx context.Context, w *world) (any, error) { return nil, k.destroy(ctx, w.victim, ident(by)(w)) }
		}
		nf := []error{k.notFound}
		out = append(out,
			raceCase{name: "update_" + k.name + " by uuid, id reused", setup: setup, call: update("uuid"), rival: reuse, scope: scope("uuid"), errs: nf},
			raceCase{name: "destroy_" + k.name + " by uuid, id reused", setup: setup, call: destroyBy("uuid"), rival: reuse, scope: scope("uuid"), errs: nf},
			raceCase{name: "update_" + k.name + " by id, destroyed", setup: setup, call: update("id"), rival: destroy, scope: scope("id"), errs: nf},
		)
		if k.byMAC {
			out = append(out, raceCase{name: "update_" + k.name + " by MAC, MAC given to another", setup: setup, call: update("address"), rival: handMAC, scope: scope("address"), errs: nf})
		}
		if k.destroyByMAC {
			out = append(out, raceCase{name: "destroy_" + k.name + " by MAC, MAC given to another", setup: setup, call: destroyBy("address"), rival: handMAC, scope: scope("address"), errs: nf})
		}
		if k.ownedByNode {
			out = append(out, raceCase{name: "create_" + k.name + ", node destroyed", setup: setupNode, rival: destroyNode, creates: true,
				scope: func(*world, *snapshot) []string { return nil }, errs: []error{etcdstore.ErrNodeNotFound},
				call: func(ctx context.Context, w *world) (any, error) {
					id, _, err := k.create(ctx, w.victim, k.values(w, 7))
					return id, err
				}})
		}
	}
	return append(out, ownRuleRaceCases()...)
}

// kindNamed is the description of one kind.
func kindNamed(name string) recordKind {
	for _, k := range kinds() {
		if k.name == name {
			return k
		}
	}
	panic("no kind " + name)
}

// setupWith: the node and record 1 of each named kind, keyed by kind name.
func setupWith(names ...string) func(context.Context, *world) error {
	return func(ctx context.Context, w *world) error {
		if err := setupNode(ctx, w); err != nil {
			return err
		}
		for _, n := range names {
			if err := kindNamed(n).make(ctx, w, n, 1, nil); err != nil {
				return err
			}
		}
		return nil
	}
}

// byUUID is the scope of a call naming record key of table by uuid.
func byUUID(table, key string) func(*world, *snapshot) []string {
	return func(w *world, s *snapshot) []string { return s.named(table, "uuid", w.uuid[key]) }
}

// ownRuleRaceCases race the rules of one kind: emptiness on destroy,
// owners that must exist, values that must stay unique.
func ownRuleRaceCases() []raceCase {
	none := func(*world, *snapshot) []string { return nil }
	destroyPG := func(ctx context.Context, w *world) error { return w.admin.DestroyPortgroup(ctx, w.uuid["portgroup"]) }
	destroyChassis := func(ctx context.Context, w *world) error { return w.admin.DestroyChassis(ctx, w.uuid["chassis"]) }
	return []raceCase{
		{name: "destroy_portgroup, port joins it", setup: setupWith("portgroup"), scope: byUUID("portgroups", "portgroup"),
			errs: []error{etcdstore.ErrPortgroupNotEmpty},
			call: func(ctx context.Context, w *world) (any, error) {
				return nil, w.victim.DestroyPortgroup(ctx, w.uuid["portgroup"])
			},
			rival: func(ctx context.Context, w *world) error { return w.makePort(ctx, "rival", "node", "portgroup", 9) }},
		{name: "create_port in a portgroup, portgroup destroyed", setup: setupWith("portgroup"), scope: none, creates: true,
			errs: []error{etcdstore.ErrPortgroupNotFound}, rival: destroyPG,
			call: func(ctx context.Context, w *world) (any, error) {
				return w.victim.CreatePort(ctx, etcdstore.Values{"node_id": w.id["node"], "address": macOf(7), "portgroup_id": w.id["portgroup"]})
			}},
		{name: "update_port into a portgroup, portgroup destroyed", setup: setupWith("portgroup", "port"), scope: byUUID("ports", "port"),
			errs: []error{etcdstore.ErrPortgroupNotFound}, rival: destroyPG,
			call: func(ctx context.Context, w *world) (any, error) {
				return w.victim.UpdatePort(ctx, w.uuid["port"], etcdstore.Values{"portgroup_id": w.id["portgroup"]})
			}},
		{name: "update_port address, MAC taken", setup: setupWith("port"), scope: byUUID("ports", "port"),
			errs: []error{etcdstore.ErrMACAlreadyExists},
			call: func(ctx context.Context, w *world) (any, error) {
				return w.victim.UpdatePort(ctx, w.uuid["port"], etcdstore.Values{"address": macOf(8)})
			},
			rival: func(ctx context.Context, w *world) error { return w.makePort(ctx, "rival", "node", "", 8) }},
		{name: "destroy_chassis, node created in it", setup: setupWith("chassis"), scope: byUUID("chassis", "chassis"),
			errs: []error{etcdstore.ErrChassisNotEmpty},
			call: func(ctx context.Context, w *world) (any, error) {
				return nil, w.victim.DestroyChassis(ctx, w.uuid["chassis"])
			},
			rival: func(ctx context.Context, w *world) error {
				return w.makeNode(ctx, "rival", etcdstore.Values{"chassis_id": w.id["chassis"]})
			}},
		{name: "create_node in a chassis, chassis destroyed", setup: setupWith("chassis"), scope: none, creates: true,
			errs: []error{etcdstore.ErrChassisNotFound}, rival: destroyChassis,
			call: func(ctx context.Context, w *world) (any, error) {
				return w.victim.CreateNode(ctx, etcdstore.Values{"driver": "fake-hardware", "chassis_id": w.id["chassis"]})
			}},
		{name: "update_node chassis_id, chassis destroyed", setup: setupWith("chassis"), scope: nodeBy("uuid"),
			errs: []error{etcdstore.ErrChassisNotFound}, rival: destroyChassis,
			call: func(ctx context.Context, w *world) (any, error) {
				return w.victim.UpdateNode(ctx, w.uuid["node"], etcdstore.Values{"chassis_id": w.id["chassis"]})
			}},
		{name: "update_volume_target boot_index, boot index taken", setup: setupWith("volume target"), scope: byUUID("volume_targets", "volume target"),
			errs: []error{etcdstore.ErrVolumeTargetBootIndexAlreadyExists},
			call: func(ctx context.Context, w *world) (any, error) {
				return w.victim.UpdateVolumeTarget(ctx, w.uuid["volume target"], etcdstore.Values{"boot_index": 5})
			},
			rival: func(ctx context.Context, w *world) error {
				return kindNamed("volume target").make(ctx, w, "rival", 5, nil)
			}},
	}
}
