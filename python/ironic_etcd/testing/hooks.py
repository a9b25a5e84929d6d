"""What makes Ironic's unit tests use ironic-etcd, with Ironic unpatched.

Ironic's tests read no config file, so ``[database] backend`` cannot
redirect them: the backend name is set on ``ironic.db.api.IMPL`` (lazy:
nothing is loaded before first use), and the in-memory SQLite fixture that
``DbTestCase`` restores before each test is replaced by a fixture that
empties the store (``reset_for_tests``). Database calls do not yield to
other greenthreads, as SQLite's do not (``blocking``).
"""

import fixtures

from ironic_etcd import clock

BACKEND = 'ironic_etcd.db'


class EmptyStore(fixtures.Fixture):
    """Before each test, the store as a fresh database: empty, ids from 1."""

    def _setUp(self):
        from ironic.db import api as db_api
        db_api.get_instance().reset_for_tests()


def install():
    """Point Ironic's database API and its test base at ironic-etcd.

    Call before any test module is imported.
    """
    from ironic.db import api as db_api
    from ironic.tests.unit.db import base as db_base

    if getattr(db_api.IMPL, '_backend', None) is not None:
        raise RuntimeError('ironic.db.api.IMPL was used before install()')
    db_api.IMPL._backend_name = BACKEND
    # Tests change [conductor]heartbeat_timeout between calls; the
    # reference reads it at every call.
    clock.follow_test_configuration()
    # DbTestCase builds its SQLite fixture once, into _DB_CACHE, and uses
    # the cached one from then on.
    db_base._DB_CACHE = EmptyStore()
    # Calls that do not yield, as SQLite's: see blocking's doc.
    from ironic_etcd import client
    from ironic_etcd.testing import blocking
    blocking.install(client.Client)
