"""The API's errors as the ironic.common.exception classes the reference
raises, with its parameters, so its messages are Ironic's own."""

import unittest

from ironic.common import exception as ironic_exc

from tests import store


class ErrorMappingTestCase(unittest.TestCase):

    def setUp(self):
        self.conn = store.testing_connection()
        self.node = self.conn.create_node({
            'name': 'n1', 'driver': 'fake-hardware', 'version': '1.37'})

    def assertIronic(self, cls, call, **params):
        """call raises cls (exactly) with Ironic's message for params."""
        with self.assertRaises(ironic_exc.IronicException) as ctx:
            call()
        err = ctx.exception
        self.assertIs(cls, type(err))
        want = cls(**params)
        self.assertEqual(str(want), str(err))
        self.assertEqual(sorted(want.kwargs), sorted(err.kwargs))
        if all(isinstance(v, str) for v in params.values()):
            self.assertEqual(want.kwargs, err.kwargs)
        # The API's params are text: an integer id comes back as a string
        # ('"999"' in kwargs where the reference has '999'); the message is
        # the same.
        return err

    def test_node_locked(self):
        self.conn.register_conductor({'hostname': 'c1', 'drivers': []})
        self.conn.reserve_node('c1', self.node.id)
        err = self.assertIronic(
            ironic_exc.NodeLocked,
            lambda: self.conn.reserve_node('c2', self.node.id),
            node=self.node.uuid, host='c1')
        self.assertEqual(409, err.code)
        self.assertIn('is locked by host c1', str(err))
        self.assertIronic(
            ironic_exc.NodeLocked,
            lambda: self.conn.release_node('c2', self.node.id),
            node=self.node.uuid, host='c1')

    def test_node_not_locked(self):
        self.assertIronic(
            ironic_exc.NodeNotLocked,
            lambda: self.conn.release_node('c1', self.node.id),
            node=self.node.uuid)

    def test_not_found(self):
        self.assertIronic(ironic_exc.NodeNotFound,
                          lambda: self.conn.get_node_by_id(999), node=999)
        self.assertIronic(ironic_exc.NodeNotFound,
                          lambda: self.conn.get_node_by_name('nope'),
                          node='nope')
        self.assertIronic(ironic_exc.ConductorNotFound,
                          lambda: self.conn.get_conductor('nope'),
                          conductor='nope')
        self.assertIronic(ironic_exc.PortNotFound,
                          lambda: self.conn.get_port_by_id(7), port=7)

    def test_duplicates(self):
        self.assertIronic(
            ironic_exc.DuplicateName,
            lambda: self.conn.create_node({'name': 'n1',
                                           'driver': 'fake-hardware'}),
            name='n1')
        self.conn.create_port({'node_id': self.node.id,
                               'address': '52:54:00:12:34:56'})
        self.assertIronic(
            ironic_exc.MACAlreadyExists,
            lambda: self.conn.create_port({'node_id': self.node.id,
                                           'address': '52:54:00:12:34:56'}),
            mac='52:54:00:12:34:56')
        self.conn.register_conductor({'hostname': 'c1', 'drivers': []})
        self.assertIronic(
            ironic_exc.ConductorAlreadyRegistered,
            lambda: self.conn.register_conductor({'hostname': 'c1',
                                                  'drivers': []}),
            conductor='c1')

    def test_invalid(self):
        with self.assertRaises(ironic_exc.InvalidParameterValue):
            self.conn.update_node(self.node.id, {'uuid': 'other'})
