package etcdstore_test

import (
	"encoding/json"
	"os/exec"
	"slices"
	"testing"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
)

// The transcribed mapping is the installed Ironic's.
func TestObjectVersionsMatchIronic(t *testing.T) {
	choosesReadMode(t) // reads no store: once is enough
	out, err := exec.Command("/usr/bin/python3", "-c", `
import json
from ironic.common import release_mappings as r
from ironic import objects
from ironic.objects import base
objects.register_all()
classes = base.IronicObjectRegistry.obj_classes()
print(json.dumps({"supported": {k: sorted(v) for k, v in r.get_object_versions().items()},
                  "latest": {k: v[0] for k, v in r.RELEASE_MAPPING["master"]["objects"].items()},
                  "objects": {k: classes[k][0].VERSION for k in r.RELEASE_MAPPING["master"]["objects"] if k in classes}}))`).Output()
	if err != nil {
		t.Skipf("python3-ironic is not installed here (%v): the transcription is not compared", err)
	}
	var ref struct {
		Supported map[string][]string
		Latest    map[string]string
		Objects   map[string]string // each object's VERSION
	}
	if err := json.Unmarshal(out, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.Supported) != len(v214.Supported) || len(ref.Latest) != len(v214.Latest) {
		t.Fatalf("models: Ironic %v / %v, ours %v / %v", ref.Supported, ref.Latest, v214.Supported, v214.Latest)
	}
	for k, want := range ref.Supported {
		got := slices.Clone(v214.Supported[k])
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("supported %s: ours %v, Ironic %v", k, got, want)
		}
	}
	for k, want := range ref.Latest {
		if v214.Latest[k] != want {
			t.Errorf("latest %s: ours %q, Ironic %q", k, v214.Latest[k], want)
		}
	}
	for k, want := range ref.Objects {
		if v214.Latest[k] != want {
			t.Errorf("latest %s: ours %q, the object's VERSION %q", k, v214.Latest[k], want)
		}
	}
	if len(ref.Objects) == 0 {
		t.Error("no object's VERSION read")
	}
}

// Every table of the schema is walked, and the rows nested in records.
func TestVersionedModelsFromTheSchema(t *testing.T) {
	got := etcdstore.VersionedModels()
	for _, want := range []string{"Chassis", "Conductor", "ConductorHardwareInterfaces", "Port", "Portgroup",
		"NodeTag in nodes", "VolumeConnector", "VolumeTarget", "Node"} {
		if !slices.Contains(got, want) {
			t.Errorf("model %s not found in %v", want, got)
		}
	}
	if got[len(got)-1] != "Node" && !slices.Contains(got, "NodeHistory") {
		t.Errorf("Node is not walked last: %v", got)
	}
	t.Logf("models: %v", got)
}
