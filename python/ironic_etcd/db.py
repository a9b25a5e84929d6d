"""The module Ironic loads with ``[database] backend = ironic_etcd.db``:
oslo.db imports it and calls ``get_backend()``."""

from ironic_etcd import connection


def get_backend():
    """The database API: a Connection to the configured ironic-etcd API."""
    return connection.Connection()
