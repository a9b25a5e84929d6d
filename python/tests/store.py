"""A real ironic-etcd for the tests: one ``ironic-etcd serve`` (an etcd
member) and two APIs in front of it, started once per test process from
the binary named by IRONIC_ETCD_BIN and stopped at exit.

- ``testing_url``: ``ironic-etcd api --testing`` (reset_for_tests, the
  X-Ironic-Etcd-Now header, conductors without leases);
- ``lease_url``: a production API (no --testing) with a short
  --heartbeat-timeout, under its own key prefix, where conductors hold
  etcd leases.

Tests that need them call ``require()``: it skips them, saying why, only
when IRONIC_ETCD_BIN is unset; a binary that does not start fails them.
"""

import atexit
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.request

BIN_ENV = 'IRONIC_ETCD_BIN'
LEASE_TTL = 3.0  # seconds: --heartbeat-timeout of the lease API

_started = None


class Store(object):
    def __init__(self, binary):
        self.binary = binary
        self._dir = tempfile.mkdtemp(prefix='ironic-etcd-pytest-')
        self._procs = []
        self._logs = []
        client, peer, testing, lease = free_ports(4)
        endpoint = '127.0.0.1:%d' % client
        self._start(binary, 'serve', '--data-dir',
                    os.path.join(self._dir, 'data'),
                    '--listen-client-urls', 'http://' + endpoint,
                    '--listen-peer-urls', 'http://127.0.0.1:%d' % peer)
        self._start(binary, 'api', '--endpoints', endpoint,
                    '--listen-address', '127.0.0.1:%d' % testing,
                    '--testing', '--read-cache=false', '--log-format', 'text')
        self._start(binary, 'api', '--endpoints', endpoint,
                    '--prefix', '/pytest-lease/',
                    '--listen-address', '127.0.0.1:%d' % lease,
                    '--heartbeat-timeout', '%gs' % LEASE_TTL,
                    '--log-format', 'text')
        self.etcd_endpoint = endpoint
        self.testing_url = 'http://127.0.0.1:%d' % testing
        self.lease_url = 'http://127.0.0.1:%d' % lease
        for url in (self.testing_url, self.lease_url):
            self._wait_ready(url)

    def start_api(self, *flags):
        """Another API over the same member, with flags; its URL's
        host:port is the caller's --listen-address."""
        self._start(self.binary, 'api', '--endpoints', self.etcd_endpoint,
                    '--log-format', 'text', *flags)

    def _start(self, *argv):
        log = open(os.path.join(self._dir, '%s-%d.log'
                                % (argv[1], len(self._procs))), 'wb')
        self._logs.append(log)
        self._procs.append(subprocess.Popen(argv, stdout=log,
                                            stderr=subprocess.STDOUT))

    def _wait_ready(self, url, timeout=60):
        deadline = time.monotonic() + timeout
        while True:
            for proc in self._procs:
                if proc.poll() is not None:
                    raise RuntimeError('%s exited with %s; logs in %s'
                                       % (proc.args[1], proc.returncode,
                                          self._dir))
            try:
                with urllib.request.urlopen(url + '/readyz', timeout=2):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError('%s not ready within %d s; logs in %s'
                                       % (url, timeout, self._dir))
                time.sleep(0.2)

    def stop(self):
        for proc in reversed(self._procs):
            proc.terminate()
        for proc in reversed(self._procs):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in self._logs:
            log.close()
        shutil.rmtree(self._dir, ignore_errors=True)


def free_ports(n):
    """n TCP ports free on 127.0.0.1 now (bound, read, released together
    so that they differ)."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(('127.0.0.1', 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def require():
    """The running Store, started on first use; skips the caller when
    IRONIC_ETCD_BIN is unset."""
    global _started
    binary = os.environ.get(BIN_ENV)
    if not binary:
        raise unittest.SkipTest(
            '%s is unset: set it to an ironic-etcd binary (go build -o '
            '/tmp/ie ./cmd/ironic-etcd) to run the tests that need the API'
            % BIN_ENV)
    if _started is None:
        _started = Store(binary)
        atexit.register(_started.stop)
        atexit.register(_close_connections)
    return _started


def connection(url):
    """A Connection to url, without reading any configuration."""
    from ironic_etcd import client
    from ironic_etcd import connection as conn
    return conn.Connection(client=client.Client(url))


_connections = {}


def shared_connection(url):
    """One Connection per API for the whole run (one pool of sockets)."""
    if url not in _connections:
        _connections[url] = connection(url)
    return _connections[url]


def _close_connections():
    for conn in _connections.values():
        conn._client.close()


def testing_connection():
    """A Connection to the testing API, the store emptied."""
    conn = shared_connection(require().testing_url)
    conn.reset_for_tests()
    return conn
