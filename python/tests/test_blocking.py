"""The test runner's blocking transport (ironic_etcd.testing.blocking):
under eventlet, a call does not let other greenthreads run (as SQLite's
calls do not), and failures are told apart as by the ordinary client.

Against a local fake API (a thread of this process); the eventlet part
runs in a child process, since monkey patching would change this one.
"""

import os
import socket
import subprocess
import sys
import unittest

from ironic_etcd import client
from ironic_etcd import exceptions
from ironic_etcd.testing import blocking

from tests import fakes

DELAY = 0.3  # seconds the fake API takes to answer

# Counts the ticks of a greenthread during one call, with the ordinary
# (green) transport or the blocking one.
_CHILD = r'''
import sys
import eventlet
eventlet.monkey_patch(os=False)
from ironic_etcd import client
from ironic_etcd.testing import blocking
if sys.argv[2] == 'blocking':
    blocking.install(client.Client)
ticks = [0]
def tick():
    while True:
        ticks[0] += 1
        eventlet.sleep(0.01)
eventlet.spawn(tick)
eventlet.sleep(0)
before = ticks[0]
client.Client(sys.argv[1]).call('get_shard_list')
print(ticks[0] - before)
'''


def _closed_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


class BlockingTestCase(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = fakes.FakeAPI(body=b'[]', delay=DELAY)
        cls.url = cls.server.url

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def ticks_during_call(self, transport):
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
        out = subprocess.run(
            [sys.executable, '-c', _CHILD, self.url, transport], env=env,
            check=True, capture_output=True, text=True, timeout=60)
        return int(out.stdout.split()[-1])

    def test_other_greenthreads_wait_for_the_call(self):
        # The control: over green sockets the ticker runs meanwhile.
        self.assertGreater(self.ticks_during_call('green'), 0)
        self.assertEqual(0, self.ticks_during_call('blocking'))

    def blocking_client(self, url, timeout=5.0):
        c = client.Client(url, connect_timeout=1.0, timeout=timeout)
        c._session = blocking.Session
        return c

    def test_answer(self):
        self.assertEqual([], self.blocking_client(self.url).call(
            'get_shard_list'))

    def test_refused_connection_sent_nothing(self):
        c = self.blocking_client('http://127.0.0.1:%d' % _closed_port())
        self.assertRaises(exceptions.StoreUnavailable, c.call, 'update_node',
                          node_id=1, values={})

    def test_timeout_on_a_write_is_an_unknown_outcome(self):
        c = self.blocking_client(self.url, timeout=DELAY / 3)
        self.assertRaises(exceptions.UnknownOutcome, c.call, 'update_node',
                          node_id=1, values={})
        self.assertRaises(exceptions.StoreUnavailable, c.call,
                          'get_node_by_id', node_id=1)


if __name__ == '__main__':
    unittest.main()
