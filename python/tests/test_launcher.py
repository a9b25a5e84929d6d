"""``python3 -m ironic_etcd.run``: Ironic's own commands on the store,
started as an operator starts them (a config file, a subprocess)."""

import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest
import urllib.request

from ironic_etcd import migration

from tests import store

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class LauncherTestCase(unittest.TestCase):

    def setUp(self):
        self.conn = store.testing_connection()
        s = store.require()
        self.dir = tempfile.TemporaryDirectory(prefix='ironic-etcd-launch-')
        self.addCleanup(self.dir.cleanup)
        self.config = os.path.join(self.dir.name, 'ironic.conf')
        with open(self.config, 'w') as f:
            f.write(textwrap.dedent('''\
                [database]
                backend = ironic_etcd.db
                connection = etcd://%s
                [ironic_etcd]
                url = %s
                ''' % (s.etcd_endpoint, s.testing_url)))

    def run_command(self, *args):
        """(exit code, stdout, stderr) of the launcher with args (oslo.log
        writes to stdout unless told use_stderr)."""
        return self.run_python(['-m', 'ironic_etcd.run'] + list(args))

    def run_stock_dbsync(self, *args):
        """ironic-dbsync as its console script runs it, no launcher."""
        script = ('import sys; sys.argv[0] = "ironic-dbsync"; '
                  'from ironic.cmd.dbsync import main; sys.exit(main())')
        return self.run_python(['-c', script, '--config-file', self.config]
                               + list(args))

    def run_python(self, args):
        proc = subprocess.run(
            [sys.executable] + args, cwd=self.dir.name, env=self.env(),
            capture_output=True, text=True, timeout=120)
        return proc.returncode, proc.stdout, proc.stderr

    def env(self):
        env = dict(os.environ)
        env.pop('IRONIC_ETCD_URL', None)
        env['PYTHONPATH'] = PYTHON_DIR
        # stevedore caches entry points per sys.path: a fresh cache proves
        # the committed egg-info is what finds the migration backend.
        env['XDG_CACHE_HOME'] = os.path.join(self.dir.name, 'cache')
        return env

    def dbsync(self, *args):
        return self.run_command('dbsync', '--config-file', self.config,
                                *args)

    def assertSucceeds(self, result):
        code, out, err = result
        self.assertEqual(0, code, 'stdout: %s\nstderr: %s' % (out, err))
        return out, err

    def test_version(self):
        out, _ = self.assertSucceeds(self.dbsync('version'))
        self.assertEqual(migration.HEAD, out.strip())

    def test_upgrade_and_create_schema(self):
        for command in ('upgrade', 'create_schema'):
            out, _ = self.assertSucceeds(self.dbsync(command))
            self.assertIn('serves every Ironic 21.4 database method', out)

    def test_stamp_accepts_and_revision_refuses(self):
        self.assertSucceeds(self.dbsync('stamp', '--revision', 'head'))
        code, out, err = self.dbsync('revision', '-m', 'x')
        self.assertNotEqual(0, code)
        self.assertIn('MigrationRefused', out + err)
        self.assertIn('no alembic migrations', out + err)

    def test_online_data_migrations_update_versions(self):
        # A node written by the previous release (zed: Node 1.36).
        node = self.conn.create_node({'name': 'old', 'driver': 'fake-hardware',
                                      'version': '1.36'})
        out, _ = self.assertSucceeds(self.dbsync('online_data_migrations'))
        self.assertIn('update_to_latest_versions() migrated 1 of 1 objects',
                      out)
        self.assertEqual('1.37', self.conn.get_node_by_id(node.id).version)
        out, _ = self.assertSucceeds(self.dbsync('online_data_migrations'))
        self.assertIn('migrated 0 of 0 objects', out)

    def test_stock_dbsync_runs_on_the_store(self):
        # The migration backend re-points the DB API the stock command
        # loaded before reading its configuration.
        node = self.conn.create_node({'name': 'old', 'driver': 'fake-hardware',
                                      'version': '1.36'})
        out, _ = self.assertSucceeds(self.run_stock_dbsync('upgrade'))
        self.assertIn('needs no schema migration', out)
        out, _ = self.assertSucceeds(
            self.run_stock_dbsync('online_data_migrations'))
        self.assertIn('migrated 1 of 1 objects', out)
        self.assertEqual('1.37', self.conn.get_node_by_id(node.id).version)

    def test_upgrade_refuses_unsupported_object_versions(self):
        # Ironic's own check, through the store: a row without a version.
        self.conn.create_node({'name': 'n', 'driver': 'fake-hardware'})
        code, _, err = self.dbsync('upgrade')
        self.assertEqual(2, code)
        self.assertIn('not compatible with this release', err)

    def test_unreachable_api_fails_clearly(self):
        with open(self.config, 'a') as f:
            f.write('[ironic_etcd]\nurl = http://127.0.0.1:%d\n'
                    % store.free_ports(1)[0])
        code, out, err = self.dbsync('version')
        self.assertNotEqual(0, code)
        self.assertIn('StoreUnavailable', out + err)
        self.assertIn('unreachable', out + err)

    def test_status_upgrade_check(self):
        out, _ = self.assertSucceeds(self.run_command(
            'status', '--config-file', self.config, 'upgrade', 'check'))
        self.assertIn('ironic-etcd store', out)
        self.assertNotIn('Failure', out)

    def test_api_serves_the_store(self):
        # ironic-api imports the DB API before its config: without the
        # launcher it would list SQLite's nodes.
        self.conn.create_node({'name': 'from-the-store', 'version': '1.37',
                               'driver': 'fake-hardware'})
        port = store.free_ports(1)[0]
        with open(self.config, 'a') as f:
            f.write('[DEFAULT]\nauth_strategy = noauth\n'
                    'rpc_transport = json-rpc\n'
                    '[api]\nhost_ip = 127.0.0.1\nport = %d\n' % port)
        log = open(os.path.join(self.dir.name, 'api.log'), 'w')
        self.addCleanup(log.close)
        proc = subprocess.Popen(
            [sys.executable, '-m', 'ironic_etcd.run', 'api',
             '--config-file', self.config], cwd=self.dir.name,
            env=self.env(), stdout=log, stderr=subprocess.STDOUT)
        self.addCleanup(proc.wait, 30)
        self.addCleanup(proc.terminate)
        request = urllib.request.Request(
            'http://127.0.0.1:%d/v1/nodes' % port,
            headers={'X-OpenStack-Ironic-API-Version': '1.80'})
        deadline = time.monotonic() + 90
        while True:
            self.assertIsNone(proc.poll(), 'ironic-api exited')
            try:
                with urllib.request.urlopen(request, timeout=10) as resp:
                    nodes = json.load(resp)['nodes']
                break
            except OSError:
                self.assertLess(time.monotonic(), deadline)
                time.sleep(0.5)
        self.assertEqual(['from-the-store'], [n['name'] for n in nodes])

    def test_unknown_command(self):
        code, _, err = self.run_command('frobnicate')
        self.assertEqual(2, code)
        self.assertIn('usage:', err)
