package api_test

import (
	"bytes"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/ironic-etcd/ironic-etcd/api"
)

// ironic214Signatures reads testdata/ironic214_signatures.txt: every
// method of Ironic 21.4.4's Connection (and the concrete ones its callers
// use) with the arguments of its SQLAlchemy implementation.
func ironic214Signatures(t *testing.T) ([]byte, map[string][]string) {
	raw, err := os.ReadFile("testdata/ironic214_signatures.txt")
	if err != nil {
		t.Fatal(err)
	}
	sigs := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		f := strings.Fields(line)
		sigs[f[0]] = f[1:]
	}
	return raw, sigs
}

// Every method of 21.4's Connection is routed, and takes every argument of
// the reference under the reference's name: a Python caller passes its
// keyword arguments through unchanged. A route may take more, never
// required.
func TestEvery214MethodIsRouted(t *testing.T) {
	_, sigs := ironic214Signatures(t)
	if len(sigs) != 119 {
		t.Fatalf("%d methods listed, want 116 abstract + 3 concrete", len(sigs))
	}
	for name, args := range sigs {
		r, ok := api.Lookup(name)
		if !ok {
			t.Errorf("21.4 method %s has no route", name)
			continue
		}
		var names []string
		for _, a := range r.Args {
			names = append(names, a.Name)
			if a.Required && !slices.Contains(args, a.Name) {
				t.Errorf("%s: required argument %s is not the reference's", name, a.Name)
			}
		}
		for _, a := range args {
			if !slices.Contains(names, a) {
				t.Errorf("%s: the reference's argument %s is not accepted (route takes %v)", name, a, names)
			}
		}
	}
}

// The list above is what the installed Ironic has, when it is installed
// (CI installs python3-ironic for the Python backend's suites).
func TestIronic214SignaturesAreCurrent(t *testing.T) {
	const src = "/usr/lib/python3/dist-packages/ironic/db/sqlalchemy/api.py"
	if _, err := os.Stat(src); err != nil {
		t.Logf("python3-ironic is not installed: the committed list is used as is")
		return
	}
	want, _ := ironic214Signatures(t)
	got, err := exec.Command("/usr/bin/python3", "testdata/gen_ironic214_signatures.py").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("testdata/ironic214_signatures.txt differs from the installed Ironic; regenerate it:\n%s", got)
	}
}
