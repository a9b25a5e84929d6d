"""Values the store refuses, refused from Python with the error a
conductor handles, and nothing written."""

import unittest

from oslo_db import exception as db_exc

from ironic.common import exception as ironic_exc

from ironic_etcd import exceptions

from tests import store

MB = 1024 * 1024


class BadInputTestCase(unittest.TestCase):

    def setUp(self):
        self.conn = store.testing_connection()
        self.node = self.conn.create_node({
            'name': 'n1', 'driver': 'fake-hardware', 'version': '1.37',
            'driver_info': {'ipmi_address': '10.0.0.1'}})

    def assertUnchanged(self):
        now = self.conn.get_node_by_id(self.node.id)
        self.assertEqual(self.node.driver_info, now.driver_info)
        self.assertEqual(self.node.updated_at, now.updated_at)
        self.assertEqual(['n1'], [n.name for n in self.conn.get_node_list()])

    def assertRefused(self, cls, values):
        with self.assertRaises(cls) as ctx:
            self.conn.update_node(self.node.id, values)
        self.assertUnchanged()
        with self.assertRaises(cls):
            self.conn.create_node(dict(values, name='n2',
                                       driver='fake-hardware'))
        self.assertUnchanged()
        return ctx.exception

    def test_10_mb_driver_info_is_too_large(self):
        err = self.assertRefused(exceptions.ValueTooLarge,
                                 {'driver_info': {'blob': 'x' * (10 * MB)}})
        # Deploy code handles an oversized config drive as DBDataError.
        self.assertIsInstance(err, db_exc.DBDataError)
        self.assertIn('nothing was sent', str(err))

    def test_600_kb_driver_info_is_over_the_column_cap(self):
        # Under the request limit (4 MiB), over the store's 512 KiB JSON
        # column cap: refused by the API.
        err = self.assertRefused(exceptions.ValueTooLarge,
                                 {'driver_info': {'blob': 'x' * 600 * 1024}})
        self.assertIsInstance(err, db_exc.DBDataError)
        self.assertIn('driver_info', str(err))

    def test_record_over_1_mib_is_too_large(self):
        # Each JSON column under its cap, the record over the store's.
        blob = {'blob': 'x' * 400 * 1024}
        err = self.assertRefused(exceptions.ValueTooLarge, {
            'driver_info': blob, 'instance_info': blob, 'properties': blob})
        self.assertIn('record of', str(err))

    def test_string_too_long_stays_invalid(self):
        # Too long in characters is a bad value, not a size cap.
        with self.assertRaises(ironic_exc.InvalidParameterValue) as ctx:
            self.conn.update_node(self.node.id, {'name': 'x' * 300})
        self.assertNotIsInstance(ctx.exception, exceptions.ValueTooLarge)
        self.assertUnchanged()

    def test_lone_surrogate_is_invalid(self):
        err = self.assertRefused(ironic_exc.InvalidParameterValue,
                                 {'driver_info': {'user': 'adm\udcffin'}})
        self.assertIn('UTF-8', str(err))
        self.assertRefused(ironic_exc.InvalidParameterValue,
                           {'description': '\udcff'})

    def test_bytes_that_are_not_utf8_are_invalid(self):
        err = self.assertRefused(ironic_exc.InvalidParameterValue,
                                 {'driver_info': {'password': b'\xff\xfe'}})
        self.assertIn('UTF-8', str(err))

    def test_nan_is_invalid(self):
        self.assertRefused(ironic_exc.InvalidParameterValue,
                           {'properties': {'cpus': float('nan')}})

    def test_utf8_bytes_and_text_are_stored(self):
        node = self.conn.update_node(self.node.id, {
            'driver_info': {'password': 'pässwörd'.encode('utf-8'),
                            'user': '管理者'}})
        self.assertEqual({'password': 'pässwörd', 'user': '管理者'},
                         node.driver_info)
        self.assertEqual(node.driver_info,
                         self.conn.get_node_by_id(self.node.id).driver_info)
