"""End to end: real Ironic 21.4 processes (one API, three conductors over
JSON-RPC) on ironic-etcd (a 3-member cluster behind two API replicas) or
on Ironic's own SQL backend, driven through Ironic's REST API.

``python3 -m e2e_ironic --help``; ``make e2e-ironic`` runs it.
"""
