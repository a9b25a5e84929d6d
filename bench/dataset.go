package bench

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/google/uuid"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
)

// Dataset is the deterministic inventory of WORKLOADS.md.
type Dataset struct {
	Nodes []NodeSpec
}

// NodeSpec is one node with its ports and tags.
type NodeSpec struct {
	Values etcdstore.Values
	UUID   string
	Name   string
	MACs   [2]string
	Tags   []string
	// PortColumns are added to each port's values (the 21.4 shape's).
	PortColumns etcdstore.Values
	// Traits are set after the tags (the 21.4 shape: two per node).
	Traits []string
}

// portValues are the create_port values of the port with this MAC.
func (n NodeSpec) portValues(nodeID int64, mac string) etcdstore.Values {
	v := etcdstore.Values{"node_id": nodeID, "address": mac}
	for k, x := range n.PortColumns {
		v[k] = x
	}
	return v
}

var drivers = []string{"ipmi", "redfish", "fake-hardware"}

// Node shapes: the data set of WORKLOADS.md as the seed's schema has it,
// or as an Ironic 21.4 conductor writes it (every create carries the
// object version, the conductor group, an owner and the interfaces).
const (
	ShapeSeed = "seed"
	Shape214  = "21.4"
)

// NewDataset builds n nodes from seed, in the seed's shape.
func NewDataset(n int, seed uint64) *Dataset { return NewShapedDataset(n, seed, ShapeSeed) }

// NewShapedDataset builds n nodes from seed in the given shape; the same
// seed gives the same nodes in either shape, plus the 21.4 columns.
func NewShapedDataset(n int, seed uint64, shape string) *Dataset {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	d := &Dataset{Nodes: make([]NodeSpec, n)}
	for i := range d.Nodes {
		var u [16]byte
		for j := range u {
			u[j] = byte(rng.UintN(256))
		}
		id, _ := uuid.FromBytes(u[:])
		state := "available"
		switch r := rng.IntN(100); {
		case r < 30:
			state = "active"
		case r < 32:
			state = "wait call-back"
		case r < 40:
			state = "manageable"
		}
		class := "baremetal"
		if rng.IntN(5) == 0 {
			class = "gpu"
		}
		name := fmt.Sprintf("node-%06d", i)
		v := etcdstore.Values{
			"uuid": id.String(), "name": name, "driver": drivers[i%3], "resource_class": class,
			"provision_state": state, "power_state": "power off", "maintenance": rng.IntN(20) == 0,
			"properties": map[string]any{"cpus": 64, "memory_mb": 262144, "local_gb": 1800, "cpu_arch": "x86_64"},
			"driver_info": map[string]any{
				"ipmi_address":   fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255),
				"ipmi_username":  "admin",
				"ipmi_password":  strings.Repeat("*", 16),
				"deploy_kernel":  "http://images.example/ipa.kernel",
				"deploy_ramdisk": "http://images.example/ipa.initramfs",
				"notes":          strings.Repeat("x", 640), // ~1 KiB of JSON per node in all
			},
		}
		if state == "active" {
			inst := uuid.Must(uuid.NewRandomFromReader(rng32{rng}))
			v["instance_uuid"] = inst.String()
		}
		var portColumns etcdstore.Values
		var traits []string
		if shape == Shape214 {
			traits = []string{"CUSTOM_RACK_" + fmt.Sprint(i%40), "CUSTOM_GPU_" + fmt.Sprint(class == "gpu")}
			add214Columns(v, i)
			portColumns = etcdstore.Values{"version": "1.11", "physical_network": "physnet1", "is_smartnic": false}
		}
		d.Nodes[i] = NodeSpec{PortColumns: portColumns, Traits: traits,
			Values: v, UUID: id.String(), Name: name,
			MACs: [2]string{mac(2 * i), mac(2*i + 1)},
			Tags: []string{fmt.Sprintf("rack-%d", i%40), fmt.Sprintf("zone-%d", i%3)},
		}
	}
	return d
}

// add214Columns adds what a 21.4 conductor sends on create_node, with
// values of a realistic size: the object version, the conductor group,
// the project that owns the node, every interface and the 21.4 JSON
// columns.
func add214Columns(v etcdstore.Values, i int) {
	v["version"] = "1.37"
	v["conductor_group"] = ""
	v["owner"] = fmt.Sprintf("project-%02d", i%16)
	v["description"] = fmt.Sprintf("rack %d, slot %d", i%40, i%42)
	v["shard"] = fmt.Sprintf("shard-%d", i%8)
	v["automated_clean"] = true
	v["boot_mode"] = "uefi"
	v["secure_boot"] = false
	for _, iface := range []string{"bios", "boot", "console", "deploy", "inspect", "management",
		"network", "power", "raid", "rescue", "storage", "vendor"} {
		v[iface+"_interface"] = "no-" + iface
	}
	v["network_data"] = map[string]any{"links": []any{}, "networks": []any{}, "services": []any{}}
	v["driver_internal_info"] = map[string]any{"last_power_state_change": "2026-11-01T00:00:00.000000",
		"agent_version": "9.4.1", "is_whole_disk_image": true}
}

func mac(n int) string {
	return fmt.Sprintf("52:54:%02x:%02x:%02x:%02x", n>>24&255, n>>16&255, n>>8&255, n&255)
}

// rng32 adapts a rand.Rand to io.Reader for uuid generation.
type rng32 struct{ r *rand.Rand }

func (g rng32) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(g.r.UintN(256))
	}
	return len(p), nil
}

// conductorDrivers gives conductor i two of the three drivers.
func conductorDrivers(i int) []string {
	return []string{drivers[i%3], drivers[(i+1)%3]}
}
