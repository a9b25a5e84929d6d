package etcdstore_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// Case rules (README, deliberate differences): a uuid is one value however
// it is spelled, and names, hostnames and the other unique strings are
// unique and looked up without regard to case, as under MySQL's default
// collation.

// uuidSpellings are the forms IsUUIDLike accepts of one uuid.
func uuidSpellings(u string) []string {
	return []string{u, strings.ToUpper(u), "{" + u + "}", "urn:uuid:" + strings.ToUpper(u), strings.ReplaceAll(u, "-", "")}
}

// caseColumn is one unique column whose value has several spellings.
type caseColumn struct {
	name      string
	spellings []string // one value; [0] is created first
	clash     error
	// create makes a record holding v and returns its id.
	create func(f *fixture, v string) (int64, error)
	// other makes a record holding another value; nil when update is nil.
	other func(f *fixture) (int64, error)
	// update sets the column of record id to v; nil when it cannot change.
	update func(f *fixture, id int64, v string) error
	// lookup finds the record by v: its id and the column as stored; nil
	// for columns without a lookup.
	lookup func(f *fixture, v string) (int64, string, error)
	// canonical makes the record keep one spelling (uuids); otherwise it
	// keeps the spelling given, and may change it by an update (names).
	canonical bool
}

// nodeWith creates a node holding column = v, under a chassis for
// records that need one.
func nodeWith(column string) func(f *fixture, v string) (int64, error) {
	return func(f *fixture, v string) (int64, error) {
		n, err := f.CreateNode(f.ctx, etcdstore.Values{column: v})
		return n.GetId(), err
	}
}

// childWith creates a record of a node (port, portgroup, volume ...) by
// create with column = v and the fixture's first node as its node.
func childWith[T interface{ GetId() int64 }](create func(*fixture, etcdstore.Values) (T, error), column string, more etcdstore.Values) func(f *fixture, v string) (int64, error) {
	return func(f *fixture, v string) (int64, error) {
		values := etcdstore.Values{"node_id": firstNode(f), column: v}
		for k, x := range more {
			values[k] = x
		}
		r, err := create(f, values)
		return r.GetId(), err
	}
}

// firstNode is a node every child record can belong to.
func firstNode(f *fixture) int64 {
	if n, err := f.GetNodeByName(f.ctx, "owner"); err == nil {
		return n.Id
	}
	n, _ := f.CreateNode(f.ctx, etcdstore.Values{"name": "owner"})
	return n.GetId()
}

func found[T interface{ GetId() int64 }](r T, column func(T) string, err error) (int64, string, error) {
	if err != nil {
		return 0, "", err
	}
	return r.GetId(), column(r), nil
}

var uniqSeq atomic.Int64

// uniq is a number no other call returns: the MACs, connector ids and
// boot indexes of records whose clash under test must be the only one.
func uniq() int64 { return uniqSeq.Add(1) }

func uniqMAC() string {
	n := uniq()
	return fmt.Sprintf("52:54:%02x:%02x:%02x:%02x", n>>24&0xff, n>>16&0xff, n>>8&0xff, n&0xff)
}

var caseColumns = []caseColumn{
	{
		name: "node name", spellings: []string{"Node-1", "node-1", "NODE-1", "nOdE-1"}, clash: etcdstore.ErrDuplicateName,
		create: nodeWith("name"),
		other:  func(f *fixture) (int64, error) { return nodeWith("name")(f, "other") },
		update: func(f *fixture, nid int64, v string) error {
			_, err := f.UpdateNode(f.ctx, id(nid), etcdstore.Values{"name": v})
			return err
		},
		lookup: func(f *fixture, v string) (int64, string, error) {
			n, err := f.GetNodeByName(f.ctx, v)
			return found(n, (*pb.Node).GetName, err)
		},
	},
	{
		name: "node uuid", spellings: uuidSpellings(uuidA), clash: etcdstore.ErrNodeAlreadyExists, canonical: true,
		create: nodeWith("uuid"),
		lookup: func(f *fixture, v string) (int64, string, error) {
			n, err := f.GetNodeByUUID(f.ctx, v)
			return found(n, (*pb.Node).GetUuid, err)
		},
	},
	{
		name: "node instance_uuid", spellings: uuidSpellings(uuidB), clash: etcdstore.ErrInstanceAssociated, canonical: true,
		create: nodeWith("instance_uuid"),
		other:  func(f *fixture) (int64, error) { return nodeWith("name")(f, "unassociated") },
		update: func(f *fixture, nid int64, v string) error {
			_, err := f.UpdateNode(f.ctx, id(nid), etcdstore.Values{"instance_uuid": v})
			return err
		},
		lookup: func(f *fixture, v string) (int64, string, error) {
			n, err := f.GetNodeByInstance(f.ctx, v)
			return found(n, (*pb.Node).GetInstanceUuid, err)
		},
	},
	{
		name: "portgroup name", spellings: []string{"Bond0", "bond0", "BOND0"}, clash: etcdstore.ErrPortgroupDuplicateName,
		create: func(f *fixture, v string) (int64, error) {
			return childWith((*fixture).createPortgroup, "name", etcdstore.Values{"address": uniqMAC()})(f, v)
		},
		other: func(f *fixture) (int64, error) {
			return childWith((*fixture).createPortgroup, "name", etcdstore.Values{"address": uniqMAC()})(f, "bond1")
		},
		update: func(f *fixture, pid int64, v string) error {
			_, err := f.UpdatePortgroup(f.ctx, id(pid), etcdstore.Values{"name": v})
			return err
		},
		lookup: func(f *fixture, v string) (int64, string, error) {
			pg, err := f.GetPortgroupByName(f.ctx, v)
			return found(pg, (*pb.Portgroup).GetName, err)
		},
	},
	{
		name: "portgroup uuid", spellings: uuidSpellings(uuidA), clash: etcdstore.ErrPortgroupAlreadyExists, canonical: true,
		create: func(f *fixture, v string) (int64, error) {
			return childWith((*fixture).createPortgroup, "uuid", etcdstore.Values{"address": uniqMAC()})(f, v)
		},
		lookup: func(f *fixture, v string) (int64, string, error) {
			pg, err := f.GetPortgroupByUUID(f.ctx, v)
			return found(pg, (*pb.Portgroup).GetUuid, err)
		},
	},
	{
		name: "port uuid", spellings: uuidSpellings(uuidA), clash: etcdstore.ErrPortAlreadyExists, canonical: true,
		create: func(f *fixture, v string) (int64, error) {
			return childWith((*fixture).createPort, "uuid", etcdstore.Values{"address": uniqMAC()})(f, v)
		},
		lookup: func(f *fixture, v string) (int64, string, error) {
			p, err := f.GetPortByUUID(f.ctx, v)
			return found(p, (*pb.Port).GetUuid, err)
		},
	},
	{
		name: "chassis uuid", spellings: uuidSpellings(uuidA), clash: etcdstore.ErrChassisAlreadyExists, canonical: true,
		create: func(f *fixture, v string) (int64, error) {
			c, err := f.CreateChassis(f.ctx, etcdstore.Values{"uuid": v})
			return c.GetId(), err
		},
		lookup: func(f *fixture, v string) (int64, string, error) {
			c, err := f.GetChassisByUUID(f.ctx, v)
			return found(c, (*pb.Chassis).GetUuid, err)
		},
	},
	{
		name: "volume connector uuid", spellings: uuidSpellings(uuidA), clash: etcdstore.ErrVolumeConnectorAlreadyExists, canonical: true,
		create: func(f *fixture, v string) (int64, error) {
			return childWith((*fixture).createConnector, "uuid", etcdstore.Values{"type": "iqn", "connector_id": fmt.Sprint(uniq())})(f, v)
		},
		lookup: func(f *fixture, v string) (int64, string, error) {
			c, err := f.GetVolumeConnectorByUUID(f.ctx, v)
			return found(c, (*pb.VolumeConnector).GetUuid, err)
		},
	},
	{
		name: "volume connector type and connector_id", clash: etcdstore.ErrVolumeConnectorTypeAndIdAlreadyExists,
		spellings: []string{"iqn|iqn.2010-10.org.openstack:Vol-1", "IQN|iqn.2010-10.org.openstack:vol-1", "Iqn|IQN.2010-10.ORG.OPENSTACK:VOL-1"},
		create: func(f *fixture, v string) (int64, error) {
			typ, cid, _ := strings.Cut(v, "|")
			return childWith((*fixture).createConnector, "type", etcdstore.Values{"connector_id": cid})(f, typ)
		},
		other: func(f *fixture) (int64, error) {
			return childWith((*fixture).createConnector, "type", etcdstore.Values{"connector_id": "other"})(f, "iqn")
		},
		update: func(f *fixture, cid int64, v string) error {
			typ, conn, _ := strings.Cut(v, "|")
			_, err := f.UpdateVolumeConnector(f.ctx, id(cid), etcdstore.Values{"type": typ, "connector_id": conn})
			return err
		},
	},
	{
		name: "volume target uuid", spellings: uuidSpellings(uuidA), clash: etcdstore.ErrVolumeTargetAlreadyExists, canonical: true,
		create: func(f *fixture, v string) (int64, error) {
			return childWith((*fixture).createTarget, "uuid", etcdstore.Values{"volume_type": "iscsi", "volume_id": "v", "boot_index": uniq()})(f, v)
		},
		lookup: func(f *fixture, v string) (int64, string, error) {
			c, err := f.GetVolumeTargetByUUID(f.ctx, v)
			return found(c, (*pb.VolumeTarget).GetUuid, err)
		},
	},
	{
		name: "conductor hostname", spellings: []string{"Cond-A.example.com", "cond-a.example.com", "COND-A.EXAMPLE.COM"}, clash: etcdstore.ErrConductorAlreadyRegistered,
		create: func(f *fixture, v string) (int64, error) {
			c, err := f.RegisterConductor(f.ctx, etcdstore.Values{"hostname": v, "drivers": []string{"ipmi"}}, false)
			return c.GetId(), err
		},
		lookup: func(f *fixture, v string) (int64, string, error) {
			c, err := f.GetConductor(f.ctx, v)
			return found(c, (*pb.Conductor).GetHostname, err)
		},
	},
}

func (f *fixture) createPortgroup(v etcdstore.Values) (*pb.Portgroup, error) {
	return f.CreatePortgroup(f.ctx, v)
}
func (f *fixture) createPort(v etcdstore.Values) (*pb.Port, error) { return f.CreatePort(f.ctx, v) }
func (f *fixture) createConnector(v etcdstore.Values) (*pb.VolumeConnector, error) {
	return f.CreateVolumeConnector(f.ctx, v)
}
func (f *fixture) createTarget(v etcdstore.Values) (*pb.VolumeTarget, error) {
	return f.CreateVolumeTarget(f.ctx, v)
}

// Every spelling of a value clashes with the record holding it, on create
// and on update, without writing anything, and finds that record, which
// keeps the first spelling (a name) or the canonical one (a uuid).
func TestCaseSpellingsAreOneValue(t *testing.T) {
	for _, c := range caseColumns {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			first, err := c.create(f, c.spellings[0])
			if err != nil {
				t.Fatal(err)
			}
			want := c.spellings[0]
			if c.canonical {
				want = etcdstore.CanonicalUUID(want)
				if want != strings.ToLower(uuidA) && want != strings.ToLower(uuidB) {
					t.Fatalf("canonical form %q", want)
				}
			}
			var other int64
			if c.update != nil {
				if other, err = c.other(f); err != nil {
					t.Fatal(err)
				}
			}
			for _, v := range c.spellings {
				before := f.keysUnder(t)
				_, err := c.create(f, v)
				wantErr(t, err, c.clash)
				if c.update != nil {
					wantErr(t, c.update(f, other, v), c.clash)
				}
				if after := f.keysUnder(t); !slices.Equal(before, after) {
					t.Fatalf("a refused write of %q changed the keys:\n%v\n%v", v, before, after)
				}
				if c.lookup == nil {
					continue
				}
				got, stored, err := c.lookup(f, v)
				if err != nil || got != first || stored != want {
					t.Fatalf("lookup by %q: record %d holding %q, %v; want %d holding %q", v, got, stored, err, first, want)
				}
			}
			if c.canonical || c.update == nil {
				return
			}
			// The record itself may change the case of its own value.
			last := c.spellings[len(c.spellings)-1]
			if err := c.update(f, first, last); err != nil {
				t.Fatalf("respelling the record's own value as %q: %v", last, err)
			}
			if c.lookup != nil {
				if got, stored, err := c.lookup(f, c.spellings[0]); err != nil || got != first || stored != last {
					t.Fatalf("after respelling: record %d holding %q, %v", got, stored, err)
				}
			}
		})
	}
}

// 16 goroutines create records whose values differ only in spelling: one
// wins, the others clash.
func TestCaseConcurrentSpellingsOneWins(t *testing.T) {
	for _, c := range caseColumns {
		if c.name != "node name" && c.name != "node uuid" && c.name != "portgroup name" && c.name != "conductor hostname" {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			firstNode(f)
			var spellings []string
			for i := 0; i < 16; i++ {
				spellings = append(spellings, spellingNo(c.spellings[0], i))
			}
			errs := make([]error, 16)
			var wg sync.WaitGroup
			for i := range errs {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					if c.name == "portgroup name" {
						_, errs[i] = f.CreatePortgroup(f.ctx, etcdstore.Values{"node_id": firstNode(f), "name": spellings[i], "address": uniqMAC()})
						return
					}
					_, errs[i] = c.create(f, spellings[i])
				}(i)
			}
			wg.Wait()
			exactlyOneWins(t, errs, c.clash)
		})
	}
}

// spellingNo is the i-th spelling of v: letter j upper-cased when bit j
// of i is set; for a uuid, also a different form per i.
func spellingNo(v string, i int) string {
	b := []rune(strings.ToLower(v))
	bit := 0
	for j, r := range b {
		if 'a' <= r && r <= 'z' {
			if i&(1<<(bit%4)) != 0 {
				b[j] = r - 'a' + 'A'
			}
			bit++
		}
	}
	s := string(b)
	if etcdstore.IsUUIDLike(s) {
		return []string{s, "{" + s + "}", "urn:uuid:" + s, strings.ReplaceAll(s, "-", "")}[i%4]
	}
	return s
}
