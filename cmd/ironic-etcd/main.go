// Command ironic-etcd serves, inspects, demonstrates and benchmarks the
// Ironic inventory on etcd. Flags follow etcdctl's (--endpoints, --cacert,
// --cert, --key, --user, --password, --dial-timeout, ETCDCTL_* variables)
// and output kubectl's (-o table|json).
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := newRootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}
