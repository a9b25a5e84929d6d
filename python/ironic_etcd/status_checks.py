"""``ironic-status upgrade check`` on the store.

Two of Ironic 21.4's checks open a SQLAlchemy engine on ``[database]
connection`` to inspect SQL indexes and the MySQL allocations table; an
``etcd://`` connection has no engine. On the store both questions are
settled by construction (its index keys are written in the same
transaction as each record, and its text is UTF-8 throughout), so the
launcher replaces them with one check that the API serves 21.4's methods.
The object version check stays Ironic's own (it goes through the DB API).
"""

from oslo_upgradecheck import upgradecheck

from ironic_etcd import migration

_SQL_ONLY = ('_check_db_indexes', '_check_allocations_table')


def check_store(_checks):
    """Success when the API answers and serves every 21.4 method."""
    try:
        migration.version()
    except Exception as e:
        return upgradecheck.Result(upgradecheck.Code.FAILURE, details=str(e))
    return upgradecheck.Result(
        upgradecheck.Code.SUCCESS,
        details='ironic-etcd: indexes and encodings are the store\'s own '
                '(no SQL schema to inspect).')


def adapt(checks_class):
    """Replace the SQL-only checks of checks_class (ironic.cmd.status.
    Checks) by check_store, keeping the others and their order."""
    sql_only = [getattr(checks_class, name) for name in _SQL_ONLY]
    adapted, replaced = [], False
    for name, func in checks_class._upgrade_checks:
        if any(func is f for f in sql_only):
            if not replaced:
                adapted.append(('ironic-etcd store', check_store))
                replaced = True
            continue
        adapted.append((name, func))
    checks_class._upgrade_checks = tuple(adapted)
