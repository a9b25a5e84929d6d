"""Tests of the ironic_etcd package itself, against a real ironic-etcd.

    go build -o /tmp/ie ./cmd/ironic-etcd
    cd python && IRONIC_ETCD_BIN=/tmp/ie /usr/bin/python3 -m unittest \
        discover -s tests -t .

They start their own ``ironic-etcd serve`` and APIs on free ports
(``store.py``); without IRONIC_ETCD_BIN the tests that need them skip and
say why, the others (faults against local fake servers) still run.
"""
