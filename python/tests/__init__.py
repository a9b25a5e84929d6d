"""Tests of the ironic_etcd package itself, against a real ironic-etcd."""
