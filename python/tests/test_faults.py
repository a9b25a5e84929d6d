"""Faults between the backend and the API: no hang, no retry loop, and a
write that may have been applied is told apart from one that was not."""

import os
import socket
import threading
import time
import unittest
from unittest import mock

from oslo_db import exception as db_exc

from ironic_etcd import client as http
from ironic_etcd import exceptions

from tests import fakes
from tests import store


class SilentServer(object):
    """Accepts TCP connections and never answers (an API stuck on etcd)."""

    def __init__(self):
        self._sock = socket.socket()
        self._sock.bind(('127.0.0.1', 0))
        self._sock.listen(16)
        self._held = []
        self.url = 'http://127.0.0.1:%d' % self._sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self._held.append(conn)

    def close(self):
        self._sock.close()
        for conn in self._held:
            conn.close()


def _timed(call):
    started = time.monotonic()
    try:
        call()
    except Exception as e:
        return e, time.monotonic() - started
    raise AssertionError('no exception')


class UnreachableTestCase(unittest.TestCase):

    def test_nothing_listening_is_store_unavailable_at_once(self):
        port = store.free_ports(1)[0]
        conn = store.connection('http://127.0.0.1:%d' % port)
        for call in (lambda: conn.get_node_by_id(1),
                     lambda: conn.update_node(1, {'name': 'n'}),
                     lambda: conn.touch_conductor('c')):
            err, took = _timed(call)
            self.assertIsInstance(err, exceptions.StoreUnavailable)
            # A conductor's heartbeat loop catches DBConnectionError.
            self.assertIsInstance(err, db_exc.DBConnectionError)
            self.assertIn('unreachable', str(err))
            # Refused at once: no retry with backoff, nothing to wait for.
            self.assertLess(took, 0.5)

    def test_no_connection_retry(self):
        # One attempt per call: a retried connect multiplies
        # connect_timeout for an address that drops packets.
        client = http.Client('http://127.0.0.1:1')
        adapter = client._session().get_adapter('http://127.0.0.1:1/')
        self.assertEqual(0, adapter.max_retries.total)
        self.assertEqual(0, adapter.max_retries.connect or 0)


class SilentAPITestCase(unittest.TestCase):

    def setUp(self):
        self.server = SilentServer()
        self.addCleanup(self.server.close)
        self.conn = store.connection(self.server.url)
        self.conn._client = http.Client(self.server.url, connect_timeout=1,
                                        timeout=0.5)

    def test_write_without_answer_is_unknown_outcome(self):
        for call in (lambda: self.conn.update_node(1, {'name': 'n'}),
                     lambda: self.conn.reserve_node('c', 1),
                     lambda: self.conn.touch_conductor('c')):
            err, took = _timed(call)
            self.assertIsInstance(err, exceptions.UnknownOutcome)
            self.assertNotIsInstance(err, db_exc.DBConnectionError)
            self.assertIn('may have been applied', str(err))
            self.assertLess(took, 3)

    def test_read_without_answer_is_store_unavailable(self):
        for call in (lambda: self.conn.get_node_by_id(1),
                     lambda: self.conn.get_nodeinfo_list(),
                     lambda: self.conn.get_offline_conductors()):
            err, took = _timed(call)
            self.assertIsInstance(err, exceptions.StoreUnavailable)
            self.assertIn('no answer', str(err))
            self.assertLess(took, 3)


class ForeignAnswerTestCase(unittest.TestCase):

    def _serve(self, status):
        server = fakes.FakeAPI(status, body=b'')
        self.addCleanup(server.close)
        return store.connection(server.url)

    def test_wrong_url_is_store_unavailable(self):
        conn = self._serve(404)
        for call in (lambda: conn.get_node_by_id(1),
                     lambda: conn.update_node(1, {'name': 'n'})):
            err, _ = _timed(call)
            self.assertIsInstance(err, exceptions.StoreUnavailable)
            self.assertIn('HTTP 404', str(err))

    def test_gateway_error_on_write_is_unknown_outcome(self):
        conn = self._serve(504)
        err, _ = _timed(lambda: conn.update_node(1, {'name': 'n'}))
        self.assertIsInstance(err, exceptions.UnknownOutcome)
        err, _ = _timed(lambda: conn.get_node_by_id(1))
        self.assertIsInstance(err, exceptions.StoreUnavailable)


class EnvironmentTestCase(unittest.TestCase):

    def test_proxy_variables_are_ignored(self):
        # A conductor host often sets http_proxy for image downloads; its
        # database calls must not go there.
        api, proxy = fakes.FakeAPI(200, body=b''), fakes.FakeAPI(404, body=b'')
        self.addCleanup(api.close)
        self.addCleanup(proxy.close)
        env = {'http_proxy': proxy.url, 'HTTP_PROXY': proxy.url,
               'no_proxy': '', 'NO_PROXY': ''}
        with mock.patch.dict(os.environ, env):
            conn = store.connection(api.url)
            self.assertIsNone(conn.touch_conductor('c1'))
