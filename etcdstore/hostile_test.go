package etcdstore_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// hostileStrings are values no identifier or text column should be
// able to turn into a corrupt key space.
var hostileStrings = []string{
	"", "/", "..", "../../etc", "a/b", "\x00", "nul\x00byte", "\xff\xfe", "\n", "%2F", "%",
	strings.Repeat("n", 256), strings.Repeat("x", 10<<20),
}

// hostileKind is one record type under attack.
type hostileKind struct {
	name   string
	msg    proto.Message
	base   func(f *fixture, t *testing.T) etcdstore.Values // a valid create
	create func(f *fixture, v etcdstore.Values) (proto.Message, error)
	update func(f *fixture, ident string, v etcdstore.Values) (proto.Message, error)
	gets   []func(f *fixture, s string) error
	// read reads a record again by id (nil: readBack by name).
	read func(f *fixture, id int64) (proto.Message, error)
	// replaced are string columns create sets itself whatever is given
	// (node history's uuid, as 21.4).
	replaced []string
}

// start gives a hostile test of kind k its fixture, a valid create's
// values and the id of one record created from them.
func (k hostileKind) start(t *testing.T) (f *fixture, base etcdstore.Values, ident string) {
	t.Helper()
	f = newFixture(t)
	base = k.base(f, t)
	existing, err := k.create(f, copyValues(base))
	if err != nil {
		t.Fatal(err)
	}
	m := existing.ProtoReflect()
	return f, base, fmt.Sprint(m.Get(m.Descriptor().Fields().ByName("id")).Int())
}

func hostileKinds() []hostileKind {
	withNode := func(f *fixture, t *testing.T) etcdstore.Values {
		return etcdstore.Values{"node_id": f.mustNode(t, nil).Id}
	}
	return []hostileKind{
		{name: "node", msg: &pb.Node{}, base: func(*fixture, *testing.T) etcdstore.Values { return etcdstore.Values{} },
			create: func(f *fixture, v etcdstore.Values) (proto.Message, error) { return f.CreateNode(f.ctx, v) },
			update: func(f *fixture, id string, v etcdstore.Values) (proto.Message, error) {
				return f.UpdateNode(f.ctx, id, v)
			},
			gets: []func(*fixture, string) error{
				func(f *fixture, s string) error { _, err := f.GetNodeByUUID(f.ctx, s); return err },
				func(f *fixture, s string) error { _, err := f.GetNodeByName(f.ctx, s); return err },
				func(f *fixture, s string) error { _, err := f.GetNodeByInstance(f.ctx, s); return err },
				func(f *fixture, s string) error { return f.DestroyNode(f.ctx, s) },
			}},
		{name: "port", msg: &pb.Port{}, base: withNode,
			create: func(f *fixture, v etcdstore.Values) (proto.Message, error) { return f.CreatePort(f.ctx, v) },
			update: func(f *fixture, id string, v etcdstore.Values) (proto.Message, error) {
				return f.UpdatePort(f.ctx, id, v)
			},
			gets: []func(*fixture, string) error{
				func(f *fixture, s string) error { _, err := f.GetPortByAddress(f.ctx, s); return err },
				func(f *fixture, s string) error { _, err := f.GetPortByUUID(f.ctx, s); return err },
				func(f *fixture, s string) error { _, err := f.GetPortByName(f.ctx, s); return err },
				func(f *fixture, s string) error { return f.DestroyPort(f.ctx, s) },
			}},
		{name: "portgroup", msg: &pb.Portgroup{}, base: withNode,
			create: func(f *fixture, v etcdstore.Values) (proto.Message, error) { return f.CreatePortgroup(f.ctx, v) },
			update: func(f *fixture, id string, v etcdstore.Values) (proto.Message, error) {
				return f.UpdatePortgroup(f.ctx, id, v)
			},
			gets: []func(*fixture, string) error{
				func(f *fixture, s string) error { _, err := f.GetPortgroupByName(f.ctx, s); return err },
				func(f *fixture, s string) error { _, err := f.GetPortgroupByAddress(f.ctx, s); return err },
				func(f *fixture, s string) error { return f.DestroyPortgroup(f.ctx, s) },
			}},
		{name: "chassis", msg: &pb.Chassis{}, base: func(*fixture, *testing.T) etcdstore.Values { return etcdstore.Values{} },
			create: func(f *fixture, v etcdstore.Values) (proto.Message, error) { return f.CreateChassis(f.ctx, v) },
			update: func(f *fixture, id string, v etcdstore.Values) (proto.Message, error) {
				return f.UpdateChassis(f.ctx, id, v)
			},
			gets: []func(*fixture, string) error{
				func(f *fixture, s string) error { _, err := f.GetChassisByUUID(f.ctx, s); return err },
				func(f *fixture, s string) error { return f.DestroyChassis(f.ctx, s) },
			}},
		{name: "volume connector", msg: &pb.VolumeConnector{}, base: withNode,
			create: func(f *fixture, v etcdstore.Values) (proto.Message, error) { return f.CreateVolumeConnector(f.ctx, v) },
			update: func(f *fixture, id string, v etcdstore.Values) (proto.Message, error) {
				return f.UpdateVolumeConnector(f.ctx, id, v)
			},
			gets: []func(*fixture, string) error{
				func(f *fixture, s string) error { _, err := f.GetVolumeConnectorByUUID(f.ctx, s); return err },
			}},
		{name: "volume target", msg: &pb.VolumeTarget{}, base: withNode,
			create: func(f *fixture, v etcdstore.Values) (proto.Message, error) { return f.CreateVolumeTarget(f.ctx, v) },
			update: func(f *fixture, id string, v etcdstore.Values) (proto.Message, error) {
				return f.UpdateVolumeTarget(f.ctx, id, v)
			},
			gets: []func(*fixture, string) error{
				func(f *fixture, s string) error { _, err := f.GetVolumeTargetByUUID(f.ctx, s); return err },
			}},
		{name: "conductor", msg: &pb.Conductor{}, base: func(*fixture, *testing.T) etcdstore.Values { return etcdstore.Values{"hostname": "h"} },
			create: func(f *fixture, v etcdstore.Values) (proto.Message, error) {
				return f.RegisterConductor(f.ctx, v, true)
			},
			gets: []func(*fixture, string) error{
				func(f *fixture, s string) error { _, err := f.GetConductor(f.ctx, s); return err },
				func(f *fixture, s string) error { return f.TouchConductor(f.ctx, s) },
			}},
		allocationHostileKind(),
	}
}

// badValues lists wrong values for a column: hostile strings for text
// columns, wrong types for every column.
func badValues(fd protoreflect.FieldDescriptor) []any {
	switch fd.Kind() {
	case protoreflect.StringKind:
		out := []any{7, true, []string{"x"}}
		for _, s := range hostileStrings {
			out = append(out, s)
		}
		return out
	case protoreflect.Int64Kind:
		return []any{"1", 1.5, true, "/"}
	case protoreflect.BoolKind:
		return []any{"true", 1}
	case protoreflect.BytesKind:
		// Invalid UTF-8 and lone surrogates would read back as U+FFFD, 10,001
		// levels not at all (TestHostileJSON has the full list).
		return []any{"a string", 42, map[string]any{"big": strings.Repeat("j", 10<<20)}, map[string]any{"f": func() {}},
			map[string]any{"a": "\xff"}, map[string]any{"\xfe": 1}, json.RawMessage(`{"a":"\udc00"}`), nestedGo(false, 10001)}
	default:
		return []any{"now", 5}
	}
}

// Every create, update and lookup of every record type, given a bad value
// for any column or identifier: a typed error and an untouched key space,
// or the value stored verbatim and read back equal.
func TestHostileInput(t *testing.T) {
	for _, k := range hostileKinds() {
		t.Run(k.name, k.attackColumns)
	}
}

// attackColumns is TestHostileInput on one kind.
func (k hostileKind) attackColumns(t *testing.T) {
	f, base, ident := k.start(t)
	fields := k.msg.ProtoReflect().Descriptor().Fields()
	stored, refused := 0, 0
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if fd.Name() == "id" || fd.IsList() {
			continue
		}
		for _, bad := range badValues(fd) {
			before := f.keysUnder(t)
			v := copyValues(base)
			v[string(fd.Name())] = bad
			rec, err := k.create(f, v)
			switch {
			case err != nil:
				if !errors.Is(err, etcdstore.ErrInvalid) && !errors.Is(err, etcdstore.ErrNotFound) && !errors.Is(err, etcdstore.ErrConflict) {
					t.Fatalf("create %s=%.40q: untyped error %v", fd.Name(), fmt.Sprint(bad), err)
				}
				if after := f.keysUnder(t); !slices.Equal(before, after) {
					t.Fatalf("refused create %s=%.40q changed keys", fd.Name(), fmt.Sprint(bad))
				}
				refused++
			default:
				stored++
				assertJSONColumnsRead(t, rec)
				if s, ok := bad.(string); ok {
					m := rec.ProtoReflect()
					// An empty uuid is generated (deliberate) and an empty
					// portgroup mode or allocation state defaulted (as the
					// reference); MACs are lower-cased (deliberate).
					generated := (fd.Name() == "uuid" || fd.Name() == "mode" || fd.Name() == "state") && s == "" || slices.Contains(k.replaced, string(fd.Name()))
					if got := m.Get(fd).String(); got != s && fd.Name() != "address" && !generated {
						t.Fatalf("%s=%.40q stored as %.40q", fd.Name(), s, got)
					}
				}
			}
			if k.update != nil {
				before = f.keysUnder(t)
				rec, err := k.update(f, ident, etcdstore.Values{string(fd.Name()): bad})
				if err == nil {
					assertJSONColumnsRead(t, rec)
				}
				if err != nil {
					if !errors.Is(err, etcdstore.ErrInvalid) && !errors.Is(err, etcdstore.ErrNotFound) && !errors.Is(err, etcdstore.ErrConflict) {
						t.Fatalf("update %s=%.40q: untyped error %v", fd.Name(), fmt.Sprint(bad), err)
					}
					if after := f.keysUnder(t); !slices.Equal(before, after) {
						t.Fatalf("refused update %s=%.40q changed keys", fd.Name(), fmt.Sprint(bad))
					}
				}
			}
		}
	}
	before := f.keysUnder(t)
	for _, s := range hostileStrings {
		for _, get := range k.gets {
			if err := get(f, s); err != nil && !errors.Is(err, etcdstore.ErrInvalid) && !errors.Is(err, etcdstore.ErrNotFound) &&
				!errors.Is(err, etcdstore.ErrConflict) {
				t.Fatalf("lookup of %.40q: untyped error %v", s, err)
			}
		}
	}
	if after := f.keysUnder(t); !slices.Equal(before, after) {
		t.Fatalf("lookups with hostile identifiers changed keys: %d before, %d after", len(before), len(after))
	}
	assertNoOrphans(t, f)
	t.Logf("%d bad values refused, %d stored verbatim", refused, stored)
}

// assertJSONColumnsRead checks that every JSON column of an accepted
// record decodes: nothing is stored that cannot be read back.
func assertJSONColumnsRead(t *testing.T, rec proto.Message) {
	t.Helper()
	m := rec.ProtoReflect()
	fields := m.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		if fd := fields.Get(i); fd.Kind() == protoreflect.BytesKind {
			if _, err := etcdstore.DecodeJSON(m.Get(fd).Bytes()); err != nil {
				t.Fatalf("%s of an accepted record does not read back: %v", fd.Name(), err)
			}
		}
	}
}

func copyValues(v etcdstore.Values) etcdstore.Values {
	out := etcdstore.Values{}
	for k, x := range v {
		out[k] = x
	}
	return out
}

// Lists refuse unknown sort keys, bad directions and negative limits.
func TestHostileListOptions(t *testing.T) {
	f := newFixture(t)
	for _, opts := range []etcdstore.ListOptions{{SortKey: "../x"}, {SortKey: "\x00"}, {SortDir: "sideways"}, {Limit: etcdstore.Limit(-5)}} {
		for _, list := range []func() error{
			func() error { _, err := f.GetPortList(f.ctx, opts); return err },
			func() error { _, err := f.GetPortgroupList(f.ctx, opts); return err },
			func() error { _, err := f.GetChassisList(f.ctx, opts); return err },
			func() error { _, err := f.GetVolumeConnectorList(f.ctx, opts); return err },
			func() error { _, err := f.GetVolumeTargetList(f.ctx, opts); return err },
			func() error { _, err := f.GetNodeList(f.ctx, etcdstore.NodeFilter{}, opts); return err },
			func() error { _, err := f.GetPortsByNodeID(f.ctx, 1, opts); return err },
			func() error {
				_, err := f.GetAllocationList(f.ctx, etcdstore.AllocationFilter{}, opts)
				return err
			},
		} {
			wantErr(t, list(), etcdstore.ErrInvalidParameterValue)
		}
	}
}
