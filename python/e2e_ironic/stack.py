"""The processes of one run: the store (a 3-member ``ironic-etcd serve``
cluster behind two ``ironic-etcd api`` replicas, or Ironic's own SQL
database), one Ironic API and three Ironic conductors.

The conductors talk JSON-RPC to each other and the API to them. JSON-RPC
reaches a conductor at ``<its host>:[json_rpc]port``, one port for all, so
each conductor is named by its own loopback address (127.0.0.11, .12,
.13): distinct hosts on one machine, no /etc/hosts needed.
"""

import configparser
import json
import os
import shutil
import subprocess
import sys
import time

import requests

from e2e_ironic import procs

PYTHON = '/usr/bin/python3'  # Debian's, where python3-ironic lives
CONDUCTOR_HOSTS = ('127.0.0.11', '127.0.0.12', '127.0.0.13')
JSON_RPC_PORT = 8089

# The timers of a run, the same on both backends: Ironic's heartbeat
# timeout is the store's conductor lease TTL.
HEARTBEAT_INTERVAL = 2
HEARTBEAT_TIMEOUT = 10
CHECK_INTERVAL = 3  # [conductor]check_provision_state_interval
RING_RESET = 3      # [DEFAULT]hash_ring_reset_interval


class Stack(object):
    """backend: 'etcd' or 'sql'. workdir holds configs and data; logdir the
    logs of every process (artifacts)."""

    def __init__(self, backend, binary, workdir, logdir, deploy_delay):
        self.backend, self.binary = backend, binary
        self.workdir, self.logdir = workdir, logdir
        self.deploy_delay = deploy_delay
        self.members, self.replicas, self.conductors = [], [], []
        self.api = None
        self.api_port = procs.free_ports(1)[0]
        self.api_url = 'http://127.0.0.1:%d' % self.api_port
        self.python_env = {'PYTHONPATH': os.path.dirname(
            os.path.dirname(os.path.abspath(__file__)))}

    # -- the store --------------------------------------------------------

    def start_store(self):
        if self.backend == 'etcd':
            self._start_etcd()
        else:
            self._start_sql()

    def _start_etcd(self):
        ports = procs.free_ports(8)
        peers = ['http://127.0.0.1:%d' % p for p in ports[3:6]]
        self.etcd_endpoints = ['127.0.0.1:%d' % p for p in ports[:3]]
        cluster = ','.join('m%d=%s' % (i, u) for i, u in enumerate(peers))
        for i in range(3):
            self.members.append(procs.Proc('etcd-m%d' % i, [
                self.binary, 'serve', '--name', 'm%d' % i,
                '--data-dir', os.path.join(self.workdir, 'm%d' % i),
                '--listen-client-urls', 'http://' + self.etcd_endpoints[i],
                '--listen-peer-urls', peers[i],
                '--initial-cluster', cluster,
                '--log-level', 'warn'], self.logdir).start())
        self.replica_urls = []
        for i, port in enumerate(ports[6:8]):
            self.replica_urls.append('http://127.0.0.1:%d' % port)
            self.replicas.append(procs.Proc('store-api-%d' % i, [
                self.binary, 'api',
                '--endpoints', ','.join(self.etcd_endpoints),
                '--listen-address', '127.0.0.1:%d' % port,
                '--heartbeat-timeout', '%ds' % HEARTBEAT_TIMEOUT,
                '--log-format', 'text'], self.logdir).start())
        for url in self.replica_urls:
            procs.wait_http(url + '/readyz', self.members + self.replicas)
        self._dbsync()

    def _start_sql(self):
        """MariaDB from Debian, on loopback, data in the work dir. (SQLite
        is not an option for several Ironic processes: a conductor fails
        its start with "database is locked".)"""
        data = os.path.join(self.workdir, 'mariadb')
        sock = os.path.join(self.workdir, 'mariadb.sock')
        port = procs.free_ports(1)[0]
        with open(os.path.join(self.logdir, 'mariadb-install.log'),
                  'ab') as log:
            subprocess.run(['mariadb-install-db', '--datadir=' + data,
                            '--user=' + _user(), '--skip-test-db',
                            '--auth-root-authentication-method=normal'],
                           check=True, stdout=log, stderr=subprocess.STDOUT)
        self.members.append(procs.Proc('mariadb', [
            'mariadbd', '--no-defaults', '--datadir=' + data,
            '--socket=' + sock, '--port=%d' % port,
            '--bind-address=127.0.0.1', '--user=' + _user(),
            '--pid-file=' + os.path.join(self.workdir, 'mariadb.pid'),
            '--innodb-buffer-pool-size=256M',
            '--max-connections=500'], self.logdir).start())
        deadline = time.monotonic() + 60
        sql = ("CREATE DATABASE ironic CHARACTER SET utf8mb4; "
               "CREATE USER 'ironic'@'127.0.0.1' IDENTIFIED BY 'e2e'; "
               "GRANT ALL ON ironic.* TO 'ironic'@'127.0.0.1';")
        while subprocess.run(['mariadb', '--no-defaults', '-uroot',
                              '--socket=' + sock, '-e', sql],
                             capture_output=True).returncode != 0:
            self.members[-1].check()
            if time.monotonic() > deadline:
                raise RuntimeError('MariaDB not up within 60 s')
            time.sleep(0.5)
        self.sql_url = ('mysql+pymysql://ironic:e2e@127.0.0.1:%d/ironic'
                        '?charset=utf8mb4' % port)
        self._dbsync()

    def _command(self, name):
        """argv of an Ironic command (api, conductor, dbsync) on this
        run's backend. Debian ships the commands' code in python3-ironic
        and their scripts in packages that also install system services,
        so they run from the code; on the store, through the backend's
        launcher, which names the backend before Ironic reads it."""
        if self.backend == 'etcd':
            return [PYTHON, '-m', 'ironic_etcd.run', name]
        return [PYTHON, '-c', 'import sys; from ironic.cmd.%s import main; '
                'sys.argv[0] = "ironic-%s"; sys.exit(main())' % (name, name)]

    def _dbsync(self):
        conf = self._write_conf('dbsync', self._base_conf('127.0.0.1'))
        argv = self._command('dbsync')
        with open(os.path.join(self.logdir, 'dbsync.log'), 'ab') as log:
            subprocess.run(argv + ['--config-file', conf, 'create_schema'],
                           check=True, stdout=log, stderr=subprocess.STDOUT,
                           env=dict(os.environ, **self.python_env))

    def etcd_leader(self, timeout=30):
        """Index of the member that leads now (after an election, once
        the live members agree)."""
        deadline = time.monotonic() + timeout
        while True:
            live = [e for m, e in zip(self.members, self.etcd_endpoints)
                    if m.alive()]
            res = subprocess.run(
                ['etcdctl', '--endpoints', ','.join(live), 'endpoint',
                 'status', '-w', 'json'], capture_output=True, text=True)
            if res.returncode == 0:
                status = json.loads(res.stdout)
                leaders = {s['Status']['leader'] for s in status}
                for s in status:
                    if (len(leaders) == 1 and s['Status']['header'][
                            'member_id'] in leaders):
                        return self.etcd_endpoints.index(s['Endpoint'])
            if time.monotonic() > deadline:
                raise RuntimeError('no etcd leader within %d s: %s'
                                   % (timeout, res.stdout + res.stderr))
            time.sleep(0.3)

    def wait_store_ready(self):
        for url in self.replica_urls:
            procs.wait_http(url + '/readyz', self.members + self.replicas)

    def live_locks(self):
        """{node id: holder} of the lock keys in etcd now (locks a lease
        still keeps, or bound to none)."""
        live = [e for m, e in zip(self.members, self.etcd_endpoints)
                if m.alive()]
        res = subprocess.run(['etcdctl', '--endpoints', ','.join(live),
                              'get', '/ironic/reservations/', '--prefix'],
                             capture_output=True, text=True, check=True)
        lines = res.stdout.splitlines()
        return {int(k.rsplit('/', 1)[1]): v
                for k, v in zip(lines[0::2], lines[1::2])}

    def replica_metrics(self, index):
        """The replica's calls served and errors by type, from /metrics."""
        text = requests.get(self.replica_urls[index] + '/metrics',
                            timeout=10).text
        calls, errors = 0, {}
        for line in text.splitlines():
            if line.startswith('ironic_etcd_api_requests_total{'):
                calls += int(float(line.rsplit(' ', 1)[1]))
            elif line.startswith('ironic_etcd_api_errors_total{'):
                kind = line.split('type="', 1)[1].split('"', 1)[0]
                errors[kind] = errors.get(kind, 0) + int(
                    float(line.rsplit(' ', 1)[1]))
        return calls, errors

    def store_call(self, method, **kwargs):
        """One call of the store's own API, on the first live replica."""
        for proc, url in zip(self.replicas, self.replica_urls):
            if proc.alive():
                resp = requests.post(url + '/v1/' + method, json=kwargs,
                                     timeout=30)
                resp.raise_for_status()
                return resp.json()
        raise RuntimeError('no live store API replica')

    # -- Ironic -----------------------------------------------------------

    def start_ironic(self):
        for host in CONDUCTOR_HOSTS:
            self.conductors.append(self._conductor(host).start())
        conf = self._write_conf('ironic-api', self._base_conf('127.0.0.1'))
        self.api = procs.Proc('ironic-api',
                              self._command('api') + ['--config-file', conf],
                              self.logdir, env=self.python_env).start()
        procs.wait_http(self.api_url + '/v1', self.processes())

    def _conductor(self, host):
        conf = self._write_conf('conductor-' + host, self._base_conf(host))
        return procs.Proc('conductor-' + host,
                          self._command('conductor') + ['--config-file',
                                                        conf],
                          self.logdir, env=self.python_env)

    def restart_conductor(self, index):
        self.conductors[index] = self._conductor(
            CONDUCTOR_HOSTS[index]).start()

    def processes(self):
        return [p for p in self.members + self.replicas + self.conductors
                + [self.api] if p is not None]

    def check_alive(self, except_=()):
        for p in self.processes():
            if p not in except_:
                p.check()

    def stop(self):
        for p in reversed(self.processes()):
            p.stop()

    # -- configuration ------------------------------------------------------

    def _base_conf(self, host):
        c = {
            'DEFAULT': {
                'host': host,
                'rpc_transport': 'json-rpc',
                'auth_strategy': 'noauth',
                'use_stderr': 'true',
                'debug': 'false',
                'hash_ring_reset_interval': RING_RESET,
                'enabled_hardware_types': 'fake-hardware',
                'enabled_bios_interfaces': 'no-bios',
                'enabled_boot_interfaces': 'fake',
                'enabled_console_interfaces': 'no-console',
                'enabled_deploy_interfaces': 'fake',
                'enabled_inspect_interfaces': 'no-inspect',
                'enabled_management_interfaces': 'fake',
                'enabled_network_interfaces': 'noop',
                'enabled_power_interfaces': 'fake',
                'enabled_raid_interfaces': 'no-raid',
                'enabled_rescue_interfaces': 'no-rescue',
                'enabled_storage_interfaces': 'noop',
                'enabled_vendor_interfaces': 'no-vendor',
                'default_network_interface': 'noop',
            },
            'api': {'host_ip': '127.0.0.1', 'port': self.api_port},
            'conductor': {
                'heartbeat_interval': HEARTBEAT_INTERVAL,
                'heartbeat_timeout': HEARTBEAT_TIMEOUT,
                'check_provision_state_interval': CHECK_INTERVAL,
                'sync_power_state_interval': 30,
                'automated_clean': 'false',
                'periodic_max_workers': 8,
                'workers_pool_size': 100,
            },
            'json_rpc': {'auth_strategy': 'noauth', 'host_ip': host,
                         'port': JSON_RPC_PORT},
            'fake': {'deploy_delay': self.deploy_delay},
            'dhcp': {'dhcp_provider': 'none'},
            'nova': {'send_power_notifications': 'false'},
            'oslo_concurrency': {
                'lock_path': os.path.join(self.workdir, 'locks')},
        }
        if self.backend == 'etcd':
            c['database'] = {'backend': 'ironic_etcd.db',
                             'connection': 'etcd://'}
            # Each conductor tries the replicas in its own order, so that
            # killing one replica cuts off calls in flight.
            i = CONDUCTOR_HOSTS.index(host) if host in CONDUCTOR_HOSTS else 0
            urls = self.replica_urls[i % 2:] + self.replica_urls[:i % 2]
            c['ironic_etcd'] = {'url': ','.join(urls), 'timeout': 40}
        else:
            c['database'] = {'connection': self.sql_url}
        return c

    def _write_conf(self, name, sections):
        cp = configparser.ConfigParser(interpolation=None)
        for section, values in sections.items():
            cp[section] = {k: str(v) for k, v in values.items()}
        path = os.path.join(self.workdir, name + '.conf')
        with open(path, 'w') as f:
            cp.write(f)
        return path


def _user():
    import pwd
    return pwd.getpwuid(os.getuid()).pw_name


def check_environment():
    """Fails with what to install when Ironic is missing."""
    if subprocess.run([PYTHON, '-c', 'import ironic.cmd.conductor'],
                      capture_output=True).returncode != 0:
        sys.exit('Ironic not importable by %s: run `make deps-ironic` '
                 '(Debian\'s python3-ironic)' % PYTHON)
    if not shutil.which('mariadbd') or not shutil.which('etcdctl'):
        sys.exit('mariadbd or etcdctl not found: run `make deps deps-sql`')
