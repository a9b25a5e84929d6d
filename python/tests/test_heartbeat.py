"""A conductor keeps its etcd lease, and so its node locks, by its own
touch_conductor heartbeat; when it stops, the store frees its locks and
reports it offline after the lease's TTL, with nobody cleaning up. Its
nodes still name it (a stale holder), so that Ironic's orphan task finds
them and releases them as on SQL.

Against an API without --testing (leases are real there), whose
--heartbeat-timeout is store.LEASE_TTL.
"""

import time
import unittest
import uuid

from tests import store


class HeartbeatTestCase(unittest.TestCase):

    def setUp(self):
        self.conn = store.shared_connection(store.require().lease_url)
        # The lease API's store is never reset: names of this test only.
        self.host = 'cond-%s' % uuid.uuid4().hex[:8]
        self.conn.register_conductor({'hostname': self.host,
                                      'drivers': ['fake-hardware']})
        self.addCleanup(self._unregister)
        self.node = self.conn.create_node({
            'uuid': str(uuid.uuid4()), 'driver': 'fake-hardware',
            'version': '1.37'})
        self.addCleanup(self.conn.destroy_node, self.node.id)
        self.orphan = self.conn.create_node({
            'uuid': str(uuid.uuid4()), 'driver': 'fake-hardware',
            'version': '1.37'})
        self.addCleanup(self.conn.destroy_node, self.orphan.id)

    def _unregister(self):
        try:
            self.conn.unregister_conductor(self.host)
        except Exception:
            pass

    def holder(self):
        return self.conn.get_node_by_id(self.node.id).reservation

    def test_heartbeat_keeps_the_lock_and_silence_frees_it(self):
        ttl = store.LEASE_TTL
        self.conn.reserve_node(self.host, self.node.id)
        self.conn.reserve_node(self.host, self.orphan.id)
        # Heartbeats for twice the TTL: without them the lock would be
        # gone by then.
        deadline = time.monotonic() + 2 * ttl
        while time.monotonic() < deadline:
            self.conn.touch_conductor(self.host)
            self.assertEqual(self.host, self.holder())
            self.assertNotIn(self.host, self.conn.get_offline_conductors())
            time.sleep(ttl / 6)
        # Silence: the lease ends between TTL and TTL + 0.5 s after the
        # last keep-alive.
        silent_since = time.monotonic()
        while self.host not in self.conn.get_offline_conductors():
            self.assertLess(time.monotonic() - silent_since, ttl + 3,
                            'the lease outlived its TTL')
            time.sleep(0.1)
        self.assertGreater(time.monotonic() - silent_since, ttl - 0.5,
                           'the lease went before it could expire')
        self.assertNotIn(self.host, self.conn.get_online_conductors())
        # Its locks went with the lease; its nodes still name it, and the
        # orphan task's query finds them.
        self.assertEqual(self.host, self.holder())
        orphans = self.conn.get_nodeinfo_list(
            columns=['id'], filters={'reserved_by_any_of': [self.host]})
        self.assertEqual(sorted([(self.node.id,), (self.orphan.id,)]),
                         sorted(tuple(r) for r in orphans))
        # Another conductor takes a node at once: the lock is free.
        self.assertEqual('other',
                         self.conn.reserve_node('other',
                                                self.node.id).reservation)
        self.conn.release_node('other', self.node.id)
        self.assertIsNone(self.holder())
        # The orphan task releases the other in the dead host's name.
        self.conn.release_node(self.host, self.orphan.id)
        self.assertIsNone(
            self.conn.get_node_by_id(self.orphan.id).reservation)
        # The next heartbeat revives the conductor under a new lease.
        self.conn.touch_conductor(self.host)
        self.assertNotIn(self.host, self.conn.get_offline_conductors())
