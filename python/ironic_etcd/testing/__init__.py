"""Running Ironic's own unit test suites against ironic-etcd."""
