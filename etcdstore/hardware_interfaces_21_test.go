package etcdstore_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
)

// register_conductor_hardware_interfaces in Ironic 21.4's form (a list of
// row dicts), with the cases of test_conductor.py.

func TestRegisterConductorHardwareInterfaceDicts(t *testing.T) {
	f := newFixture(t)
	c := f.createTestCdr(t, etcdstore.Values{})
	ifaces := []etcdstore.Values{
		{"hardware_type": "generic", "interface_type": "deploy", "interface_name": "direct", "default": false},
		{"hardware_type": "generic", "interface_type": "deploy", "interface_name": "ansible", "default": true},
	}
	if err := f.RegisterConductorHardwareInterfaceDicts(f.ctx, c.Id, ifaces); err != nil {
		t.Fatal(err)
	}
	got, err := f.ListConductorHardwareInterfaces(f.ctx, c.Id)
	if err != nil || len(got) != 2 {
		t.Fatal(got, err)
	}
	// Insertion order (SQLite's index order gives ansible first in the
	// reference's test; the seed's contract is id order).
	if got[0].InterfaceName != "direct" || got[0].Default || got[1].InterfaceName != "ansible" || !got[1].Default ||
		got[0].HardwareType != "generic" || got[1].InterfaceType != "deploy" || got[0].ConductorId != c.Id || got[0].CreatedAt == nil {
		t.Fatalf("rows %v", got)
	}
	// test_register_conductor_hardware_interfaces_duplicate: again, all fail.
	before := f.keysUnder(t)
	err = f.RegisterConductorHardwareInterfaceDicts(f.ctx, c.Id, ifaces)
	wantParams(t, err, etcdstore.ErrConductorHardwareInterfacesAlreadyRegistered,
		"row", fmt.Sprintf("conductor_id=%d, hardware_type=generic, interface_type=deploy, interface_name=direct", c.Id))
	if !slices.Equal(before, f.keysUnder(t)) {
		t.Fatal("a refused registration wrote")
	}
	// One new row beside a taken one: nothing stored, the taken row named.
	err = f.RegisterConductorHardwareInterfaceDicts(f.ctx, c.Id, append(hwDicts("generic", "deploy", "pxe"), ifaces[1]))
	wantParams(t, err, etcdstore.ErrConductorHardwareInterfacesAlreadyRegistered, "interfaces", "ansible")
	// A duplicate inside the list.
	err = f.RegisterConductorHardwareInterfaceDicts(f.ctx, c.Id, hwDicts("x", "power", "a", "b", "A"))
	wantParams(t, err, etcdstore.ErrConductorHardwareInterfacesAlreadyRegistered, "interfaces", "A")
	if !slices.Equal(before, f.keysUnder(t)) {
		t.Fatal("a refused registration wrote")
	}
	// Several hardware and interface types in one call, and none at all.
	mixed := append(hwDicts("ht1", "power", "ipmi"), append(hwDicts("ht2", "deploy", "direct"), hwDicts("ht1", "boot", "pxe")...)...)
	if err := f.RegisterConductorHardwareInterfaceDicts(f.ctx, c.Id, mixed); err != nil {
		t.Fatal(err)
	}
	if err := f.RegisterConductorHardwareInterfaceDicts(f.ctx, c.Id, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.ListConductorHardwareInterfaces(f.ctx, c.Id); len(got) != 5 {
		t.Fatalf("rows %v", got)
	}
	// test_unregister_conductor_hardware_interfaces
	if err := f.UnregisterConductorHardwareInterfaces(f.ctx, c.Id); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.ListConductorHardwareInterfaces(f.ctx, c.Id); len(got) != 0 {
		t.Fatalf("rows left %v", got)
	}
}

// Bad dicts: a typed error, nothing written.
func TestRegisterConductorHardwareInterfaceDictsRefused(t *testing.T) {
	f := newFixture(t)
	good := func() etcdstore.Values {
		return etcdstore.Values{"hardware_type": "h", "interface_type": "power", "interface_name": "ipmi"}
	}
	with := func(k string, v any) []etcdstore.Values { d := good(); d[k] = v; return []etcdstore.Values{d} }
	without := func(k string) []etcdstore.Values { d := good(); delete(d, k); return []etcdstore.Values{d} }
	bad := [][]etcdstore.Values{without("hardware_type"), without("interface_type"), without("interface_name"),
		with("interface_name", nil), with("bogus", 1), with("conductor_id", 9), with("id", 9), with("default", "yes"),
		with("interface_type", "seventeen-chars-x"), with("version", "0123456789abcdef"), with("created_at", "now")}
	bad = append(bad, with("hardware_type", "\xff\xfe"), with("hardware_type", strings.Repeat("n", 256)), with("interface_name", "nul\x00\xff"))
	bad = append(bad, with("interface_name", strings.Repeat("x", 10<<20)))
	for _, dicts := range bad {
		before := f.keysUnder(t)
		if err := f.RegisterConductorHardwareInterfaceDicts(f.ctx, 1, dicts); !errors.Is(err, etcdstore.ErrInvalid) {
			t.Errorf("%.60v: %v", dicts, err)
		}
		if !slices.Equal(before, f.keysUnder(t)) {
			t.Fatalf("%.60v wrote", dicts)
		}
	}
	// Hostile text that is valid is stored verbatim and read back equal.
	for i, s := range []string{"..", "../../etc", "/", "a/b", "\n", "%2F", "%", "", "nul\x00byte"} {
		d := good()
		d["interface_name"] = s
		d["version"] = "1.0"
		if err := f.RegisterConductorHardwareInterfaceDicts(f.ctx, int64(100+i), []etcdstore.Values{d}); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		got, err := f.ListConductorHardwareInterfaces(f.ctx, int64(100+i))
		if err != nil || len(got) != 1 || got[0].InterfaceName != s || got[0].GetVersion() != "1.0" {
			t.Fatalf("%q: %v %v", s, got, err)
		}
	}
}

// More rows than one transaction holds: written in batches; a clash in a
// later batch removes the earlier batches' rows.
func TestRegisterConductorHardwareInterfaceDictsBatches(t *testing.T) {
	f := newFixture(t, etcdstore.WithMaxTxnOps(16)) // 5 rows per transaction
	names := strings.Split("abcdefghijkl", "")
	if err := f.RegisterConductorHardwareInterfaceDicts(f.ctx, 1, hwDicts("h", "power", names...)); err != nil {
		t.Fatal(err)
	}
	got, _ := f.ListConductorHardwareInterfaces(f.ctx, 1)
	if len(got) != 12 || got[11].InterfaceName != "l" {
		t.Fatalf("rows %v", got)
	}
	if err := f.RegisterConductorHardwareInterfaceDicts(f.ctx, 2, hwDicts("h", "power", "z")); err != nil {
		t.Fatal(err)
	}
	before := f.keysUnder(t)
	err := f.RegisterConductorHardwareInterfaceDicts(f.ctx, 2, hwDicts("h", "power", strings.Split("pqrstuvwxyz", "")...))
	wantParams(t, err, etcdstore.ErrConductorHardwareInterfacesAlreadyRegistered, "interfaces", "z")
	if after := f.keysUnder(t); !slices.Equal(before, after) {
		t.Fatalf("a refused registration left rows:\n%v\n%v", before, after)
	}
}
