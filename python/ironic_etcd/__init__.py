"""ironic-etcd's database backend for OpenStack Ironic 21.4.

Ironic loads it with ``[database] backend = ironic_etcd.db``: every method
of Ironic's ``Connection`` becomes one call to the ironic-etcd HTTP API
(``ironic-etcd api`` or ``ironic-etcd serve --api-listen-address``), whose
store keeps the inventory in etcd.
"""

__version__ = '0.14.0'
