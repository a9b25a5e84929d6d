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
}

var drivers = []string{"ipmi", "redfish", "fake-hardware"}

// NewDataset builds n nodes from seed.
func NewDataset(n int, seed uint64) *Dataset {
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
		d.Nodes[i] = NodeSpec{
			Values: v, UUID: id.String(), Name: name,
			MACs: [2]string{mac(2 * i), mac(2*i + 1)},
			Tags: []string{fmt.Sprintf("rack-%d", i%40), fmt.Sprintf("zone-%d", i%3)},
		}
	}
	return d
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
