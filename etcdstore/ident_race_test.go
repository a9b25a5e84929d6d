package etcdstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
)

// identTable is one record type as the identity races need it.
type identTable struct {
	name    string
	mac     bool // updated and looked up by MAC too
	macKill bool // destroyed by MAC too
	create  func(f *fixture, v etcdstore.Values) (int64, error)
	values  func(node int64, i int) etcdstore.Values // distinct unique columns of record i
	update  func(s *etcdstore.Store, ctx context.Context, ident string, v etcdstore.Values) (string, error)
	destroy func(s *etcdstore.Store, ctx context.Context, ident string) error
	get     func(f *fixture, uuid string) (extra string, err error)
}

func idOf[T interface{ GetId() int64 }](r T, err error) (int64, error) { return r.GetId(), err }

func uuidOf[T interface{ GetUuid() string }](r T, err error) (string, error) {
	if err != nil {
		return "", err
	}
	return r.GetUuid(), nil
}

func extraOf[T interface{ GetExtra() []byte }](r T, err error) (string, error) {
	if err != nil {
		return "", err
	}
	return string(r.GetExtra()), nil
}

var identTables = []identTable{
	{
		name:   "nodes",
		create: func(f *fixture, v etcdstore.Values) (int64, error) { return idOf(f.CreateNode(f.ctx, v)) },
		values: func(_ int64, i int) etcdstore.Values { return etcdstore.Values{"name": fmt.Sprint("node-", i)} },
		update: func(s *etcdstore.Store, ctx context.Context, id string, v etcdstore.Values) (string, error) {
			return uuidOf(s.UpdateNode(ctx, id, v))
		},
		destroy: (*etcdstore.Store).DestroyNode,
		get:     func(f *fixture, u string) (string, error) { return extraOf(f.GetNodeByUUID(f.ctx, u)) },
	},
	{
		name: "ports", mac: true, macKill: true,
		create: func(f *fixture, v etcdstore.Values) (int64, error) { return idOf(f.CreatePort(f.ctx, v)) },
		values: func(node int64, i int) etcdstore.Values {
			return etcdstore.Values{"node_id": node, "address": macOf(0xa0 + i)}
		},
		update: func(s *etcdstore.Store, ctx context.Context, id string, v etcdstore.Values) (string, error) {
			return uuidOf(s.UpdatePort(ctx, id, v))
		},
		destroy: (*etcdstore.Store).DestroyPort,
		get:     func(f *fixture, u string) (string, error) { return extraOf(f.GetPortByUUID(f.ctx, u)) },
	},
	{
		name: "portgroups", mac: true,
		create: func(f *fixture, v etcdstore.Values) (int64, error) { return idOf(f.CreatePortgroup(f.ctx, v)) },
		values: func(node int64, i int) etcdstore.Values {
			return etcdstore.Values{"node_id": node, "address": macOf(0xa0 + i), "name": fmt.Sprint("pg-", i)}
		},
		update: func(s *etcdstore.Store, ctx context.Context, id string, v etcdstore.Values) (string, error) {
			return uuidOf(s.UpdatePortgroup(ctx, id, v))
		},
		destroy: (*etcdstore.Store).DestroyPortgroup,
		get:     func(f *fixture, u string) (string, error) { return extraOf(f.GetPortgroupByUUID(f.ctx, u)) },
	},
	{
		name:   "chassis",
		create: func(f *fixture, v etcdstore.Values) (int64, error) { return idOf(f.CreateChassis(f.ctx, v)) },
		values: func(int64, int) etcdstore.Values { return etcdstore.Values{} },
		update: func(s *etcdstore.Store, ctx context.Context, id string, v etcdstore.Values) (string, error) {
			return uuidOf(s.UpdateChassis(ctx, id, v))
		},
		destroy: (*etcdstore.Store).DestroyChassis,
		get:     func(f *fixture, u string) (string, error) { return extraOf(f.GetChassisByUUID(f.ctx, u)) },
	},
	{
		name:   "volume connectors",
		create: func(f *fixture, v etcdstore.Values) (int64, error) { return idOf(f.CreateVolumeConnector(f.ctx, v)) },
		values: func(node int64, i int) etcdstore.Values {
			return etcdstore.Values{"node_id": node, "type": "iqn", "connector_id": fmt.Sprint("iqn.", i)}
		},
		update: func(s *etcdstore.Store, ctx context.Context, id string, v etcdstore.Values) (string, error) {
			return uuidOf(s.UpdateVolumeConnector(ctx, id, v))
		},
		destroy: (*etcdstore.Store).DestroyVolumeConnector,
		get:     func(f *fixture, u string) (string, error) { return extraOf(f.GetVolumeConnectorByUUID(f.ctx, u)) },
	},
	{
		name:   "volume targets",
		create: func(f *fixture, v etcdstore.Values) (int64, error) { return idOf(f.CreateVolumeTarget(f.ctx, v)) },
		values: func(node int64, i int) etcdstore.Values {
			return etcdstore.Values{"node_id": node, "volume_type": "iscsi", "volume_id": fmt.Sprint("vol-", i), "boot_index": i}
		},
		update: func(s *etcdstore.Store, ctx context.Context, id string, v etcdstore.Values) (string, error) {
			return uuidOf(s.UpdateVolumeTarget(ctx, id, v))
		},
		destroy: (*etcdstore.Store).DestroyVolumeTarget,
		get:     func(f *fixture, u string) (string, error) { return extraOf(f.GetVolumeTargetByUUID(f.ctx, u)) },
	},
}

// with is v with column k set to x.
func with(v etcdstore.Values, k string, x any) etcdstore.Values {
	out := etcdstore.Values{}
	for key, val := range v {
		out[key] = val
	}
	out[k] = x
	return out
}

// A write that names a record by uuid or MAC applies to the record that
// identity names when the write commits, whatever happened between the
// lookup and the write: the competing operations run just before the
// write's transaction is sent.
//
//   - uuid: record 1 (uuid U1) is destroyed, record 2 takes its id with
//     another uuid, and record 3 takes U1. The write lands on record 3;
//     record 2 is untouched.
//   - MAC: record 1 is renamed from MAC1 to MAC2 and record 2 is created
//     with MAC1. The write lands on record 2; record 1 is untouched.
func TestWritesFollowTheIdentity(t *testing.T) {
	hit := map[string]any{"hit": true}
	for _, tb := range identTables {
		for _, kind := range []string{"uuid", "mac"} {
			if kind == "mac" && !tb.mac {
				continue
			}
			for _, op := range []string{"update", "destroy"} {
				if op == "destroy" && kind == "mac" && !tb.macKill {
					continue
				}
				t.Run(tb.name+"/"+kind+"/"+op, func(t *testing.T) {
					f := newFixture(t)
					s, in := injectedStore(t, f)
					var node int64
					if tb.name != "nodes" && tb.name != "chassis" {
						node = f.mustNode(t, nil).Id
					}
					id1, err := tb.create(f, with(tb.values(node, 1), "uuid", uuidA))
					if err != nil {
						t.Fatal(err)
					}
					ident, target, bystander := uuidA, uuidA, uuidB
					race := func() error {
						if err := tb.destroy(f.Store, f.ctx, uuidA); err != nil {
							return err
						}
						if _, err := tb.create(f, with(with(tb.values(node, 2), "uuid", uuidB), "id", id1)); err != nil {
							return err
						}
						_, err := tb.create(f, with(tb.values(node, 3), "uuid", uuidA))
						return err
					}
					if kind == "mac" {
						// Upper case: a MAC names its port in any case.
						ident, target, bystander = strings.ToUpper(macOf(0xa1)), uuidB, uuidA
						race = func() error {
							if _, err := tb.update(f.Store, f.ctx, uuidA, etcdstore.Values{"address": macOf(0xa2)}); err != nil {
								return err
							}
							_, err := tb.create(f, with(with(tb.values(node, 3), "address", macOf(0xa1)), "uuid", uuidB))
							return err
						}
					}
					in.beforeWrite(1, race)
					if op == "update" {
						got, err := tb.update(s, f.ctx, ident, etcdstore.Values{"extra": hit})
						in.done(t)
						if err != nil {
							t.Fatal(err)
						}
						if got != target {
							t.Fatalf("the update of %s landed on %s, not %s", ident, got, target)
						}
						if extra, err := tb.get(f, target); err != nil || !strings.Contains(extra, "hit") {
							t.Fatalf("the record %s names has extra %s (%v)", ident, extra, err)
						}
					} else {
						err := tb.destroy(s, f.ctx, ident)
						in.done(t)
						if err != nil {
							t.Fatal(err)
						}
						_, err = tb.get(f, target)
						if !errors.Is(err, etcdstore.ErrNotFound) {
							t.Fatalf("the record %s names survived its destroy: %v", ident, err)
						}
					}
					if extra, err := tb.get(f, bystander); err != nil || extra != "{}" {
						t.Fatalf("the bystander %s: extra %s, %v", bystander, extra, err)
					}
				})
			}
		}
	}
}
