"""``ironic-dbsync``'s migration backend for the store.

ironic-dbsync finds it with stevedore, under the entry point namespace
``ironic.database.migration_backend`` by the ``[database] backend`` name
(``ironic_etcd.db``). The store has no schema to create or migrate: its
records carry every column of Ironic 21.4.4, which is the alembic head
below. So ``create_schema`` and ``upgrade`` check what a migration would
have made sure of, that the API is reachable and serves every method of
21.4's ``Connection``, and report it; ``version`` names the schema the
store corresponds to; ``stamp`` has nothing to record; ``revision`` (a new
alembic script) has no meaning here and is refused.
"""

from oslo_config import cfg
from oslo_log import log

from ironic.db import api as db_api

from ironic_etcd import client as http
from ironic_etcd import exceptions

LOG = log.getLogger(__name__)

# The head of ironic/db/sqlalchemy/alembic/versions in Ironic 21.4.4
# (4dbec778866e_create_node_shard.py, nodes.shard): the schema whose
# columns the store's records hold.
HEAD = '4dbec778866e'

# Concrete methods of the SQL Connection that Ironic's callers use besides
# the abstract ones of ironic.db.api.Connection.
_CONCRETE = ('clear_node_reservations_for_conductor',
             'clear_node_target_power_state', 'get_node_list_columns')


def _align_db_api():
    """Point Ironic's DB API at the store too, as the launcher does.

    stevedore loads this module only for ``[database] backend =
    ironic_etcd.db``, once the configuration is parsed; but the stock
    ``ironic-dbsync`` built ``ironic.db.api.IMPL`` before parsing it, and
    importing ``ironic.objects`` then loaded the default SQL backend
    (``abc`` inspects the objects' ``dbapi`` attribute). That SQL
    ``Connection`` keeps no state and opens nothing before its first query,
    and every dbsync command reaches this module before its first DB API
    call: unloading it here lets the stock ``ironic-dbsync`` run on the
    store without the launcher.
    """
    impl = db_api.IMPL
    backend = cfg.CONF.database.backend
    if impl._backend_name == backend:
        return
    loaded = getattr(impl, '_backend', None)
    if loaded is not None and (type(loaded).__module__ !=
                               'ironic.db.sqlalchemy.api'):
        LOG.warning('Ironic\'s database API already uses %s, not %s; run '
                    'the command with python3 -m ironic_etcd.run',
                    impl._backend_name, backend)
        return
    impl._backend = None
    impl._backend_name = backend


_align_db_api()


def required_methods():
    """The methods a 21.4 caller may call: every abstract one of
    ``ironic.db.api.Connection`` and the concrete ones above."""
    names = set(db_api.Connection.__abstractmethods__) - {'__init__'}
    return names.union(_CONCRETE)


def _client():
    return http.Client.from_conf(cfg.CONF)


def _check_api():
    """The API's URL once it answered and serves every 21.4 method;
    StoreUnavailable when it cannot be reached, MigrationRefused when it
    lacks methods (an older ironic-etcd)."""
    client = _client()
    missing = required_methods() - client.methods()
    if missing:
        raise exceptions.MigrationRefused(detail=(
            'the ironic-etcd API at %s does not serve %d of Ironic 21.4\'s '
            'database methods (an older ironic-etcd?): %s'
            % (client.url, len(missing), ', '.join(sorted(missing)))))
    return client.url


def _at_head(revision, command):
    if revision not in (None, 'head', 'heads', HEAD):
        raise exceptions.MigrationRefused(detail=(
            '%s %s: the store holds Ironic 21.4.4\'s schema (alembic head '
            '%s) and no other; nothing to migrate to' % (command, revision,
                                                         HEAD)))


def upgrade(version):
    """Nothing to migrate: check the API serves 21.4's schema."""
    _at_head(version, 'upgrade')
    url = _check_api()
    LOG.info('ironic-etcd API at %s serves every Ironic 21.4 database '
             'method; the store needs no schema migration (at %s).',
             url, HEAD)


def create_schema():
    """Nothing to create: check the API serves 21.4's schema."""
    url = _check_api()
    LOG.info('ironic-etcd API at %s serves every Ironic 21.4 database '
             'method; the store needs no schema (at %s).', url, HEAD)


def version():
    """The alembic revision the store's records correspond to, once the
    API answered (as the SQL backend reads it from the database)."""
    _check_api()
    return HEAD


def stamp(version):
    """Nothing to record: the store's schema is always HEAD, whatever
    revision a SQL database was stamped with."""
    LOG.info('ironic-etcd: stamp %s has nothing to record; the store is '
             'at %s.', version, HEAD)


def revision(message=None, autogenerate=False):
    """Refused: an alembic script describes a SQL schema change, which the
    store has no use for."""
    raise exceptions.MigrationRefused(detail=(
        'revision: the ironic-etcd store has no alembic migrations to '
        'write; the schema is Ironic 21.4.4\'s (%s)' % HEAD))
