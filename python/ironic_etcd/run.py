"""Run an Ironic command with its database in ironic-etcd.

    python3 -m ironic_etcd.run api|conductor|singleprocess|dbsync|status \
        [the command's own arguments...]

``ironic-api``, the single-process ``ironic``, ``ironic-dbsync`` and
``ironic-status`` import ``ironic.db.api`` before they read their
configuration, so its ``IMPL`` is built with the default backend
(``sqlalchemy``) whatever ``[database] backend`` says. ``IMPL`` is lazy:
this launcher names ironic-etcd's backend on it before its first use, sets
``[database] backend`` to the same name (dbsync's migration backend is
looked up by it), then calls the command's own ``main``. ``ironic-conductor``
imports the DB API only after parsing its configuration and needs no
launcher; ``conductor`` is here for symmetry.
"""

import importlib
import sys

# ironic.cmd monkey-patches the standard library for eventlet on import:
# it must come before anything opens sockets or threads (the stock console
# scripts import it first too).
importlib.import_module('ironic.cmd')

BACKEND = 'ironic_etcd.db'

# command: (Ironic's module, the console script's name, for oslo.config's
# prog and its default config files).
COMMANDS = {
    'api': ('ironic.cmd.api', 'ironic-api'),
    'conductor': ('ironic.cmd.conductor', 'ironic-conductor'),
    'singleprocess': ('ironic.cmd.singleprocess', 'ironic'),
    'dbsync': ('ironic.cmd.dbsync', 'ironic-dbsync'),
    'status': ('ironic.cmd.status', 'ironic-status'),
}


def use_store():
    """Name ironic-etcd's backend on Ironic's lazy DB API before first
    use, and in ``[database] backend`` for dbsync's migration backend."""
    from oslo_config import cfg
    from oslo_db import options as db_options

    from ironic.db import api as db_api

    if getattr(db_api.IMPL, '_backend', None) is not None:
        raise RuntimeError('ironic.db.api.IMPL was used before the launcher '
                           'could name its backend')
    db_api.IMPL._backend_name = BACKEND
    cfg.CONF.register_opts(db_options.database_opts, 'database')
    cfg.CONF.set_override('backend', BACKEND, group='database')


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] not in COMMANDS:
        sys.stderr.write('usage: python3 -m ironic_etcd.run {%s} '
                         '[arguments of the command]\n'
                         % '|'.join(sorted(COMMANDS)))
        return 2
    module_name, prog = COMMANDS[argv[0]]
    use_store()
    # Before the import: oslo_upgradecheck.main (ironic-status) takes its
    # default argv from sys.argv when it is imported.
    sys.argv = [prog] + argv[1:]
    module = importlib.import_module(module_name)
    if argv[0] == 'status':
        from ironic_etcd import status_checks
        status_checks.adapt(module.Checks)
    return module.main()


if __name__ == '__main__':
    sys.exit(main())
