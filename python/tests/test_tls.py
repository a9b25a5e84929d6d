"""[ironic_etcd] ca_file, cert_file and key_file against an API that
requires client certificates."""

import os
import tempfile
import time
import unittest
from unittest import mock
import uuid

from ironic_etcd import client as http
from ironic_etcd import connection as conn_mod
from ironic_etcd import exceptions

from tests import store
from tests import tls


class TLSTestCase(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        s = store.require()
        cls._dir = tempfile.TemporaryDirectory(prefix='ironic-etcd-tls-')
        cls.files = tls.make(cls._dir.name)
        port = store.free_ports(1)[0]
        cls.url = 'https://127.0.0.1:%d' % port
        s.start_api('--listen-address', '127.0.0.1:%d' % port,
                    '--prefix', '/pytest-tls/',
                    '--cert-file', cls.files['server_cert'],
                    '--key-file', cls.files['server_key'],
                    '--trusted-ca-file', cls.files['ca'],
                    '--client-cert-auth')
        cls._wait_ready()

    @classmethod
    def tearDownClass(cls):
        cls._dir.cleanup()

    @classmethod
    def _wait_ready(cls):
        client = cls.client()
        deadline = time.monotonic() + 60
        while True:
            try:
                client.methods()
                return
            except exceptions.StoreUnavailable:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    @classmethod
    def client(cls, ca='ca', cert='client_cert', key='client_key'):
        f = cls.files
        return http.Client(cls.url, connect_timeout=2, timeout=10,
                           ca_file=f.get(ca), cert_file=f.get(cert),
                           key_file=f.get(key))

    def test_client_certificate_reaches_the_api(self):
        conn = conn_mod.Connection(client=self.client())
        host = 'tls-%s' % uuid.uuid4().hex[:8]
        conn.register_conductor({'hostname': host, 'drivers': []})
        self.assertEqual(host, conn.get_conductor(host).hostname)
        conn.unregister_conductor(host)

    def test_ca_file_wins_over_the_environment(self):
        # requests lets REQUESTS_CA_BUNDLE override a session's CA bundle.
        env = {'REQUESTS_CA_BUNDLE': self.files['other_ca'],
               'CURL_CA_BUNDLE': self.files['other_ca']}
        with mock.patch.dict(os.environ, env):
            conn = conn_mod.Connection(client=self.client())
            self.assertIsInstance(conn.get_conductor_list(), list)

    def test_without_client_certificate_is_unavailable(self):
        conn = conn_mod.Connection(client=self.client(cert=None, key=None))
        with self.assertRaises(exceptions.StoreUnavailable):
            conn.get_conductor_list()

    def test_unknown_server_ca_is_unavailable(self):
        # A write too: the handshake failed, nothing was sent.
        conn = conn_mod.Connection(client=self.client(ca='other_ca'))
        for call in (conn.get_conductor_list,
                     lambda: conn.touch_conductor('c')):
            with self.assertRaises(exceptions.StoreUnavailable) as ctx:
                call()
            self.assertIn('CERTIFICATE_VERIFY_FAILED', str(ctx.exception))
