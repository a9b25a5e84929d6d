"""Several API replicas: a call that cannot reach one goes to the next,
and a write whose replica died mid-request is settled where a second
attempt can tell what happened (ironic_etcd.resolve)."""

from http import server as http_server
import os
import socket
import threading
import unittest
import unittest.mock
import urllib.request

from oslo_utils import uuidutils

from tests import store


class DyingReplica(http_server.ThreadingHTTPServer):
    """A replica that dies mid-request: it reads the request, passes it on
    to target (forward=True: the store applies it) or not, then closes
    the connection without an answer. calls counts the requests."""

    def __init__(self, target, forward):
        self.calls = 0
        outer = self

        class Handler(http_server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers['Content-Length']))
                outer.calls += 1
                if forward:
                    req = urllib.request.Request(
                        target + self.path, data=body, method='POST',
                        headers={'Content-Type': 'application/json'})
                    try:
                        urllib.request.urlopen(req, timeout=10).read()
                    except urllib.error.HTTPError:
                        pass  # applied or refused: the answer is lost
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True

            def log_message(self, *args):
                pass

        super().__init__(('127.0.0.1', 0), Handler)
        self.url = 'http://127.0.0.1:%d' % self.server_address[1]
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def handle_error(self, request, client_address):
        pass

    def close(self):
        self.shutdown()
        self.server_close()


class ReplicaTestCase(unittest.TestCase):
    def setUp(self):
        self.store = store.require()
        self.direct = store.connection(self.store.testing_url)

    def _through(self, *urls):
        from ironic_etcd import client
        from ironic_etcd import connection as conn
        return conn.Connection(client=client.Client(list(urls),
                                                    connect_timeout=1,
                                                    timeout=10))

    def _node(self):
        return self.direct.create_node({'uuid': uuidutils.generate_uuid(),
                                        'driver': 'fake-hardware'})

    def _dying(self, forward):
        replica = DyingReplica(self.store.testing_url, forward)
        self.addCleanup(replica.close)
        return replica


class TestFailOver(ReplicaTestCase):
    def test_unreachable_replica_is_skipped_and_the_live_one_kept(self):
        dead = 'http://127.0.0.1:%d' % store.free_ports(1)[0]
        conn = self._through(dead, self.store.testing_url)
        node = self._node()
        self.assertEqual(node.uuid, conn.get_node_by_id(node.id).uuid)
        self.assertEqual(self.store.testing_url + '/v1/', conn._client.url)
        updated = conn.update_node(node.id, {'extra': {'via': 'second'}})
        self.assertEqual({'via': 'second'}, updated.extra)

    def test_every_replica_unreachable_is_store_unavailable(self):
        from ironic_etcd import exceptions
        a, b = store.free_ports(2)
        conn = self._through('http://127.0.0.1:%d' % a,
                             'http://127.0.0.1:%d' % b)
        self.assertRaises(exceptions.StoreUnavailable,
                          conn.get_node_by_id, 1)

    def test_read_on_a_dying_replica_is_read_again_elsewhere(self):
        node = self._node()
        dying = self._dying(forward=True)
        conn = self._through(dying.url, self.store.testing_url)
        self.assertEqual(node.uuid, conn.get_node_by_uuid(node.uuid).uuid)
        self.assertEqual(1, dying.calls)


class TestUnknownOutcomeSettled(ReplicaTestCase):
    def test_release_applied_before_the_replica_died(self):
        node = self._node()
        self.direct.reserve_node('cond-a', node.id)
        conn = self._through(self._dying(forward=True).url,
                             self.store.testing_url)
        conn.release_node('cond-a', node.id)
        self.assertIsNone(self.direct.get_node_by_id(node.id).reservation)

    def test_release_lost_with_the_replica_is_sent_again(self):
        node = self._node()
        self.direct.reserve_node('cond-a', node.id)
        dying = self._dying(forward=False)
        conn = self._through(dying.url, self.store.testing_url)
        conn.release_node('cond-a', node.id)
        self.assertEqual(1, dying.calls)
        self.assertIsNone(self.direct.get_node_by_id(node.id).reservation)

    def test_reserve_applied_before_the_replica_died(self):
        node = self._node()
        conn = self._through(self._dying(forward=True).url,
                             self.store.testing_url)
        got = conn.reserve_node('cond-a', node.uuid)
        self.assertEqual('cond-a', got.reservation)
        self.assertEqual(node.id, got.id)
        self.assertEqual('cond-a',
                         self.direct.get_node_by_id(node.id).reservation)

    def test_reserve_held_by_another_stays_node_locked(self):
        from ironic.common import exception
        node = self._node()
        self.direct.reserve_node('cond-b', node.id)
        conn = self._through(self._dying(forward=True).url,
                             self.store.testing_url)
        self.assertRaises(exception.NodeLocked, conn.reserve_node, 'cond-a',
                          node.id)

    def test_update_is_sent_again(self):
        node = self._node()
        conn = self._through(self._dying(forward=True).url,
                             self.store.testing_url)
        got = conn.update_node(node.id, {'extra': {'k': 'v'}})
        self.assertEqual({'k': 'v'}, got.extra)

    def test_create_stays_unknown_and_is_not_sent_twice(self):
        from ironic_etcd import exceptions
        dying = self._dying(forward=True)
        conn = self._through(dying.url, self.store.testing_url)
        uuid = uuidutils.generate_uuid()
        self.assertRaises(exceptions.UnknownOutcome, conn.create_node,
                          {'uuid': uuid, 'driver': 'fake-hardware'})
        self.assertEqual(1, dying.calls)
        self.assertEqual(uuid, self.direct.get_node_by_uuid(uuid).uuid)

    def test_one_replica_keeps_unknown_outcome(self):
        from ironic_etcd import exceptions
        node = self._node()
        self.direct.reserve_node('cond-a', node.id)
        conn = self._through(self._dying(forward=True).url)
        self.assertRaises(exceptions.UnknownOutcome, conn.release_node,
                          'cond-a', node.id)


class TestConfiguredReplicas(unittest.TestCase):
    def test_url_option_and_environment_take_lists(self):
        from oslo_config import cfg
        from ironic_etcd import conf as etcd_conf
        conf = cfg.ConfigOpts()
        etcd_conf.register_opts(conf)
        conf([], default_config_files=[])
        conf.set_override('url', 'http://a:1,https://b:2', 'ironic_etcd')
        without_env = {k: v for k, v in os.environ.items()
                       if k != etcd_conf.URL_ENV}
        with unittest.mock.patch.dict('os.environ', without_env, clear=True):
            self.assertEqual(['http://a:1', 'https://b:2'],
                             etcd_conf.api_url(conf))
        with unittest.mock.patch.dict('os.environ', {
                etcd_conf.URL_ENV: 'http://c:3, http://d:4'}):
            self.assertEqual(['http://c:3', 'http://d:4'],
                             etcd_conf.api_url(conf))
