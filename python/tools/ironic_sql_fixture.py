#!/usr/bin/python3
"""Fill an Ironic 21.4 SQL database through Ironic's Connection, or dump it.

  ironic_sql_fixture.py fill --url URL [--nodes N] [--seed S]
  ironic_sql_fixture.py dump --url URL

URL is Ironic's [database] connection (mysql+pymysql://,
postgresql+psycopg2://, sqlite:////path). The schema must exist
(ironic-dbsync create_schema). fill writes through
ironic.db.sqlalchemy.api.Connection only, so the rows are the ones Ironic
itself writes; dump reads every table by reflection (sqldump.py).
The data is deterministic from the seed: uuids and clocks are seeded too.
"""

import argparse
import datetime
import json
import os
import random
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import sqldump  # noqa: E402

# Every node gets 2 ports; nodes whose index is a multiple of PORTGROUP_EVERY
# also get a portgroup holding both. The first RICH nodes also get tags,
# traits, BIOS settings, volume connector and target, history and inventory.
PORTGROUP_EVERY = 10
RICH = 5
# Nodes written per outer transaction: Connection's methods join it
# (enginefacade nests on the same context), so a batch is one commit.
BATCH = 200
BASE_TIME = datetime.datetime(2026, 3, 14, 15, 9, 26, 535897)


def connect(url):
    """Point Ironic's config at url and return its SQL Connection."""
    from oslo_db import options as db_options
    import osprofiler.opts as profiler_opts

    from ironic.conf import CONF
    profiler_opts.set_defaults(CONF)
    db_options.set_defaults(CONF)
    CONF([], project='ironic', default_config_files=[])
    CONF.set_override('connection', url, group='database')
    from ironic.db.sqlalchemy import api
    return api


def seed_uuids_and_clock(rng):
    """Make Ironic's generated uuids and utcnow() follow the seed."""
    from oslo_utils import timeutils, uuidutils
    uuidutils.generate_uuid = lambda dashed=True: new_uuid(rng)
    timeutils.set_time_override(BASE_TIME)


def new_uuid(rng):
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def tick(seconds):
    from oslo_utils import timeutils
    timeutils.advance_time_delta(datetime.timedelta(seconds=seconds))


def now():
    from oslo_utils import timeutils
    return timeutils.utcnow()


def mac(n):
    return ':'.join('%02x' % b for b in (0x52, 0x54) + tuple(
        n.to_bytes(4, 'big')))


def rich_json(rng, i):
    """Nested JSON with what a lossy store would break: big ints past 64
    bits, 1.0 beside 1, exponents, unicode, nulls, empty containers."""
    return {
        'nested': {'list': [1, 1.0, -0.5, 1.5e300, None, True, False, ''],
                   'empty': {}, 'none': [], 'deep': {'a': {'b': {'c': i}}}},
        'big': 2 ** 70 + i, 'negbig': -(2 ** 65) - i,
        'float_one': 1.0, 'ratio': rng.random(),
        'unicode': 'Stück ✓ 节点 🚀 %d' % i,
        'zkey': 'z', 'akey': 'a',
    }


def node_values(rng, i, chassis_ids, conductor_ids):
    t = now()
    return {
        'uuid': new_uuid(rng), 'version': '1.40',
        'created_at': t, 'updated_at': None,
        # Node 0 gets the bound allocation's uuid from update_allocation.
        'instance_uuid': new_uuid(rng) if i else None, 'name': 'node-%05d' % i,
        'chassis_id': chassis_ids[i % len(chassis_ids)],
        'power_state': 'power on', 'target_power_state': 'power off',
        'provision_state': 'active', 'target_provision_state': 'deploying',
        'provision_updated_at': t - datetime.timedelta(seconds=90),
        'last_error': 'last error of node %d: ünïcödé' % i,
        'instance_info': {'image_source': 'http://img/%d' % i,
                          'root_gb': 10 + i, 'data': rich_json(rng, i)},
        'properties': {'cpus': 8, 'memory_mb': 65536, 'local_gb': 1.0,
                       'capabilities': 'boot_mode:uefi', 'x': 2 ** 64},
        'driver': 'ipmi',
        'driver_info': {'ipmi_address': '10.0.%d.%d' % (i // 250, i % 250),
                        'ipmi_password': '******', 'port': 623},
        'driver_internal_info': {'agent_url': 'http://a:9999',
                                 'steps': [{'s': 1}, {'s': 2.0}]},
        'clean_step': {'interface': 'deploy', 'step': 'erase', 'args': {}},
        'deploy_step': {'interface': 'deploy', 'step': 'write_image',
                        'priority': 80, 'args': {'x': [1, 2]}},
        'resource_class': 'baremetal-%d' % (i % 3),
        'raid_config': {'logical_disks': [{'size_gb': 100, 'level': '1'}]},
        'target_raid_config': {'logical_disks': [{'size_gb': 'MAX',
                                                  'level': '5'}]},
        'conductor_affinity': conductor_ids[i % len(conductor_ids)],
        'conductor_group': 'group-%d' % (i % 2),
        'maintenance': i % 2 == 0,
        'maintenance_reason': 'fan %d' % i if i % 2 == 0 else None,
        'fault': 'power failure' if i % 4 == 0 else None,
        'console_enabled': i % 3 == 0,
        'inspection_started_at': t - datetime.timedelta(hours=2),
        'inspection_finished_at': t - datetime.timedelta(hours=1),
        'extra': {'rack': 'r%d' % (i % 7), 'u': i, 'ratio': 1.0},
        'automated_clean': i % 2 == 1,
        'protected': i % 5 == 0,
        'protected_reason': 'keep %d' % i if i % 5 == 0 else None,
        'owner': 'project-%d' % (i % 4), 'lessee': 'lessee-%d' % (i % 3),
        'description': 'Node %d — description ✓ 🚀' % i,
        'bios_interface': 'no-bios', 'boot_interface': 'ipxe',
        'console_interface': 'no-console', 'deploy_interface': 'direct',
        'inspect_interface': 'inspector', 'management_interface': 'ipmitool',
        'network_interface': 'flat', 'raid_interface': 'agent',
        'rescue_interface': 'agent', 'storage_interface': 'noop',
        'power_interface': 'ipmitool', 'vendor_interface': 'ipmitool',
        'retired': i % 6 == 0,
        'retired_reason': 'old %d' % i if i % 6 == 0 else None,
        'network_data': {'links': [{'id': 'l%d' % i, 'mtu': 1500}],
                         'networks': [], 'services': [{'dns': '10.0.0.1'}]},
        'boot_mode': 'uefi', 'secure_boot': i % 2 == 0,
        'shard': 'shard-%d' % (i % 3),
    }


def port_values(rng, i, j, node_id, portgroup_id):
    return {
        'uuid': new_uuid(rng), 'version': '1.11', 'created_at': now(),
        'address': mac(i * 2 + j), 'node_id': node_id,
        'extra': {'vif_port_id': new_uuid(rng), 'n': 1.0},
        'local_link_connection': {'switch_id': '0a:1b:2c:3d:4e:5f',
                                  'port_id': 'Gig0/%d' % j,
                                  'switch_info': 'sw-%d' % i},
        'portgroup_id': portgroup_id, 'pxe_enabled': j == 0,
        'internal_info': {'tenant_vif_port_id': 'vif-%d-%d' % (i, j)},
        'physical_network': 'physnet%d' % j, 'is_smartnic': j == 1,
        'name': 'port-%05d-%d' % (i, j),
    }


def portgroup_values(rng, i, node_id):
    return {
        'uuid': new_uuid(rng), 'version': '1.5', 'created_at': now(),
        'name': 'pg-%05d' % i, 'node_id': node_id,
        'address': mac(0x10000000 + i),
        'extra': {'lacp': True}, 'internal_info': {'bond': 'bond0'},
        'standalone_ports_supported': i % 20 == 0, 'mode': '802.3ad',
        'properties': {'miimon': 100, 'xmit_hash_policy': 'layer3+4'},
    }


def add_rich_children(api, conn, rng, i, node_id):
    """Tags, traits, BIOS, volumes, history and inventory of node i."""
    conn.set_node_tags(node_id, ['tag-a', 'tag-%d' % i])
    conn.set_node_traits(node_id, ['CUSTOM_T%d' % i, 'HW_CPU_X86_AVX2'],
                         '1.0')
    conn.create_bios_setting_list(node_id, [
        {'name': 'ProcVirtualization', 'value': 'Enabled',
         'attribute_type': 'Enumeration',
         'allowable_values': ['Enabled', 'Disabled'], 'read_only': False,
         'reset_required': True, 'unique': False},
        {'name': 'NumCores', 'value': '16', 'attribute_type': 'Integer',
         'lower_bound': 1, 'upper_bound': 64, 'read_only': True,
         'reset_required': False, 'unique': True},
        {'name': 'AssetTag', 'value': 'ä-%d' % i, 'attribute_type': 'String',
         'min_length': 0, 'max_length': 16, 'read_only': False,
         'reset_required': None, 'unique': True},
    ], '1.1')
    conn.create_volume_connector({
        'uuid': new_uuid(rng), 'version': '1.0', 'created_at': now(),
        'node_id': node_id, 'type': 'iqn',
        'connector_id': 'iqn.2026-01.org.example:%d' % i,
        'extra': {'k': [1.0, 2 ** 66]}})
    conn.create_volume_target({
        'uuid': new_uuid(rng), 'version': '1.0', 'created_at': now(),
        'node_id': node_id, 'volume_type': 'iscsi',
        'properties': {'target_lun': 0, 'auth': {'user': 'ü'}},
        'boot_index': 0, 'volume_id': new_uuid(rng), 'extra': {}})
    for n in range(2):
        tick(1)
        conn.create_node_history({
            'node_id': node_id, 'version': '1.0', 'conductor': 'cond-0',
            'event_type': 'provisioning', 'severity': 'ERROR',
            'event': 'event %d of node %d: ✗' % (n, i), 'user': 'admin'})
    conn.create_node_inventory({
        'node_id': node_id, 'version': '1.0',
        'inventory_data': {'cpu': {'count': 8, 'freq': 2.0},
                           'disks': [{'size': 2 ** 70}]},
        'plugin_data': {'root_disk': None, 'ratio': 1.0}})


def update_some(conn, node_ids, chassis_id):
    """Give updated_at a value in every table whose rows Ironic updates."""
    tick(1)
    conn.update_chassis(chassis_id, {'description': 'chassis ✓ updated'})
    for t in conn.get_deploy_template_list(limit=1):
        conn.update_deploy_template(t.id, {'extra': {'updated': 1.0}})
    for node_id in node_ids[:RICH]:
        tick(0.25)
        for port in conn.get_ports_by_node_id(node_id):
            conn.update_port(port.id, {'extra': {'updated': True, 'n': 1.0}})
        for pg in conn.get_portgroups_by_node_id(node_id):
            conn.update_portgroup(pg.id, {'mode': 'active-backup'})
        for vc in conn.get_volume_connectors_by_node_id(node_id):
            conn.update_volume_connector(vc.id, {'extra': {'u': 2 ** 65}})
        for vt in conn.get_volume_targets_by_node_id(node_id):
            conn.update_volume_target(vt.id, {'boot_index': 1})
        conn.update_bios_setting_list(node_id, [
            {'name': 'NumCores', 'value': '32', 'attribute_type': 'Integer',
             'lower_bound': 1, 'upper_bound': 128, 'read_only': True,
             'reset_required': False, 'unique': True}], '1.2')


def fill(url, nodes, seed):
    api = connect(url)
    rng = random.Random(seed)
    seed_uuids_and_clock(rng)
    conn = api.Connection()
    chassis_ids = [conn.create_chassis({
        'uuid': new_uuid(rng), 'version': '1.3', 'created_at': now(),
        'extra': {'room': c, 'f': 1.0}, 'description': 'chassis %d ✓' % c,
    }).id for c in range(2)]
    conductor_ids = []
    for c, host in enumerate(['cond-0', 'cond-1', 'cond-offline']):
        tick(1)
        cond = conn.register_conductor({
            'hostname': host, 'drivers': ['ipmi', 'redfish'],
            'conductor_group': 'group-%d' % (c % 2), 'version': '1.4'})
        conductor_ids.append(cond.id)
        conn.register_conductor_hardware_interfaces(cond.id, [
            {'hardware_type': 'ipmi', 'interface_type': 'power',
             'interface_name': 'ipmitool', 'default': True},
            {'hardware_type': 'ipmi', 'interface_type': 'power',
             'interface_name': 'fake', 'default': False},
            {'hardware_type': 'redfish', 'interface_type': 'boot',
             'interface_name': 'redfish-virtual-media', 'default': True}])
    conn.unregister_conductor('cond-offline')
    conn.create_deploy_template({
        'uuid': new_uuid(rng), 'version': '1.1', 'name': 'CUSTOM_RAID1',
        'extra': {'a': 1.0}, 'steps': [
            {'interface': 'raid', 'step': 'apply_configuration',
             'args': {'raid_config': {'logical_disks': []}}, 'priority': 10},
            {'interface': 'bios', 'step': 'apply_configuration',
             'args': {'settings': [{'name': 'x', 'value': 2 ** 80}]},
             'priority': 20}]})
    conn.create_deploy_template({
        'uuid': new_uuid(rng), 'version': '1.1', 'name': 'CUSTOM_EMPTY',
        'extra': {}, 'steps': []})
    node_ids, node_uuids = [], []
    for start in range(0, nodes, BATCH):
        with api._session_for_write():
            for i in range(start, min(nodes, start + BATCH)):
                tick(0.001001)
                node = conn.create_node(
                    node_values(rng, i, chassis_ids, conductor_ids))
                node_ids.append(node.id)
                node_uuids.append(node.uuid)
                pg_id = None
                if i % PORTGROUP_EVERY == 0:
                    pg_id = conn.create_portgroup(
                        portgroup_values(rng, i, node.id)).id
                for j in range(2):
                    conn.create_port(port_values(rng, i, j, node.id, pg_id))
    for i, node_id in enumerate(node_ids[:RICH]):
        tick(1)
        conn.update_node(node_id, {'last_error': 'updated %d' % i})
        add_rich_children(api, conn, rng, i, node_id)
    update_some(conn, node_ids, chassis_ids[0])
    bound = conn.create_allocation({
        'uuid': new_uuid(rng), 'version': '1.1', 'name': 'alloc-bound',
        'state': 'allocating', 'owner': 'project-0',
        'last_error': None, 'resource_class': 'baremetal-0',
        'traits': ['CUSTOM_T0'], 'candidate_nodes': [],
        'extra': {'purpose': 'bound', 'f': 1.0},
        'conductor_affinity': conductor_ids[0]})
    tick(1)
    conn.update_allocation(bound.id, {'node_id': node_ids[0],
                                      'state': 'active'})
    conn.create_allocation({
        'uuid': new_uuid(rng), 'version': '1.1', 'name': 'alloc-error',
        'state': 'error', 'owner': 'project-1',
        'last_error': 'no node matched ✗', 'resource_class': 'baremetal-1',
        'traits': [], 'candidate_nodes': node_uuids[1:3],
        'extra': {}, 'conductor_affinity': conductor_ids[1]})
    if len(node_ids) > 1:
        conn.reserve_node('cond-1', node_ids[1])


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest='cmd', required=True)
    f = sub.add_parser('fill')
    f.add_argument('--url', required=True)
    f.add_argument('--nodes', type=int, default=20)
    f.add_argument('--seed', type=int, default=1)
    d = sub.add_parser('dump')
    d.add_argument('--url', required=True)
    args = p.parse_args(argv)
    if args.cmd == 'fill':
        started = time.monotonic()
        fill(args.url, args.nodes, args.seed)
        print('filled %d nodes in %.1fs' % (
            args.nodes, time.monotonic() - started), file=sys.stderr)
    else:
        json.dump(sqldump.dump(args.url), sys.stdout, ensure_ascii=False,
                  sort_keys=True)
        sys.stdout.write('\n')


if __name__ == '__main__':
    main(sys.argv[1:])
