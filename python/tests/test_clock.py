"""X-Ironic-Etcd-Now: the test's mocked clock is the store's "now", and a
clock that is not mocked is never sent."""

import datetime
import unittest
from unittest import mock

from oslo_utils import timeutils

from ironic_etcd import clock

from tests import fakes
from tests import store

FROZEN = datetime.datetime(2001, 2, 3, 4, 5, 6, 789012)


class HeaderTestCase(unittest.TestCase):

    def setUp(self):
        self.server = fakes.FakeAPI()
        self.addCleanup(self.server.close)
        self.conn = store.connection(self.server.url)

    def test_no_header_without_a_mock(self):
        self.conn.touch_conductor('c1')
        self.assertNotIn(clock.NOW_HEADER, self.server.headers[-1])

    @mock.patch.object(timeutils, 'utcnow', autospec=True)
    def test_mocked_utcnow_is_sent(self, utcnow):
        utcnow.return_value = FROZEN
        self.conn.touch_conductor('c1')
        self.assertEqual('2001-02-03T04:05:06.789012+00:00',
                         self.server.headers[-1][clock.NOW_HEADER])

    def test_time_override_is_sent(self):
        timeutils.set_time_override(FROZEN)
        self.addCleanup(timeutils.clear_time_override)
        self.conn.touch_conductor('c1')
        self.assertEqual('2001-02-03T04:05:06.789012+00:00',
                         self.server.headers[-1][clock.NOW_HEADER])
        timeutils.clear_time_override()
        self.conn.touch_conductor('c1')
        self.assertNotIn(clock.NOW_HEADER, self.server.headers[-1])


class StoreClockTestCase(unittest.TestCase):

    def setUp(self):
        self.conn = store.testing_connection()

    @mock.patch.object(timeutils, 'utcnow', autospec=True)
    def test_created_at_is_the_mocked_time(self, utcnow):
        utcnow.return_value = FROZEN
        node = self.conn.create_node({'name': 'n1',
                                      'driver': 'fake-hardware'})
        self.assertEqual(FROZEN, node.created_at)
        self.assertEqual(FROZEN,
                         self.conn.get_node_by_id(node.id).created_at)
        later = FROZEN + datetime.timedelta(hours=1)
        utcnow.return_value = later
        self.assertEqual(later, self.conn.update_node(
            node.id, {'power_state': 'power on'}).updated_at)

    def test_created_at_is_the_store_clock_without_a_mock(self):
        before = timeutils.utcnow()
        node = self.conn.create_node({'name': 'n1',
                                      'driver': 'fake-hardware'})
        # The API's clock, on this machine: close to ours.
        self.assertLess(abs(node.created_at - before),
                        datetime.timedelta(seconds=30))
