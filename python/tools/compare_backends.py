#!/usr/bin/python3
"""Compare what two Ironic 21.4 database backends answer, field by field.

  compare_backends.py --sql URL (--api http://HOST:PORT | --other-sql URL)
                      [--per-node N]

One side is Ironic's own SQL Connection on URL; the other is ironic-etcd's
Python backend (ironic_etcd.connection.Connection) talking to the API at
--api, or a second SQL Connection (--other-sql, to check an export through
Ironic's eyes). Both answer the same reads: every list (paged with markers),
and per node (the first N, default 100) its tags, traits, BIOS settings and
inventory, per conductor its hardware interfaces. Every column of every
record is compared; JSON values as sorted JSON text, so 1.0 and 1 differ.
Prints each difference and exits 1 if there is any.
"""

import argparse
import datetime
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

import ironic_sql_fixture  # noqa: E402

PAGE = 500
LISTS = ['get_node_list', 'get_port_list', 'get_portgroup_list',
         'get_chassis_list', 'get_volume_connector_list',
         'get_volume_target_list', 'get_allocation_list',
         'get_deploy_template_list', 'get_conductor_list',
         'get_node_history_list']
PER_NODE = ['get_node_tags_by_node_id', 'get_node_traits_by_node_id',
            'get_bios_setting_list', 'get_node_inventory_by_node_id',
            'get_ports_by_node_id', 'get_node_by_id']
NESTED = ('tags', 'traits', 'steps')


def value(v):
    if isinstance(v, datetime.datetime):
        if v.tzinfo is not None:
            v = v.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return v.strftime('%Y-%m-%dT%H:%M:%S.%f')
    if isinstance(v, (dict, list)):
        return json.dumps(v, sort_keys=True, ensure_ascii=False)
    return v


def record(obj):
    """Every column of a model instance, and its nested rows."""
    if obj is None or isinstance(obj, (str, int, dict, list)):
        return value(obj)
    out = {c.name: value(obj[c.name]) for c in obj.__table__.columns}
    for attr in NESTED:
        if attr in obj.__mapper__.relationships:
            out[attr] = sorted(json.dumps(record(r), sort_keys=True)
                               for r in getattr(obj, attr))
    return out


def answer(conn, method, *args, **kwargs):
    """The records a call returns, or the name of the error it raises."""
    try:
        result = getattr(conn, method)(*args, **kwargs)
    except Exception as e:
        return 'raised %s' % type(e).__name__
    if isinstance(result, list):
        return [record(r) for r in result]
    return record(result)


def paged(conn, method):
    rows, marker = [], None
    while True:
        page = getattr(conn, method)(limit=PAGE, marker=marker,
                                     sort_key='id', sort_dir='asc')
        rows.extend(record(r) for r in page)
        if len(page) < PAGE:
            return rows
        marker = page[-1]


def compare(name, a, b, out):
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append('%s: %d records != %d' % (name, len(a), len(b)))
        for i, (ra, rb) in enumerate(zip(a, b)):
            compare('%s[%d]' % (name, i), ra, rb, out)
    elif isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if a.get(k, '<missing>') != b.get(k, '<missing>'):
                out.append('%s.%s: %r != %r' % (
                    name, k, a.get(k, '<missing>'), b.get(k, '<missing>')))
    elif a != b:
        out.append('%s: %r != %r' % (name, a, b))


def etcd_connection(api_url):
    from ironic_etcd import client
    from ironic_etcd import connection
    return connection.Connection(client=client.Client(api_url))


def collect(conn, per_node):
    """{call: answer} of every read this script compares."""
    out = {}
    for method in LISTS:
        out[method] = paged(conn, method)
    for node in out['get_node_list'][:per_node]:
        for method in PER_NODE:
            out['%s(%d)' % (method, node['id'])] = answer(conn, method,
                                                          node['id'])
    method = 'list_conductor_hardware_interfaces'
    for cond in out['get_conductor_list']:
        out['%s(%d)' % (method, cond['id'])] = answer(conn, method,
                                                      cond['id'])
    for method in ('get_shard_list', 'get_offline_conductors'):
        out[method] = answer(conn, method)
    return out


def collected(side, url, per_node):
    """collect() run in a child process: Ironic's SQL API module holds one
    engine per process, so each side gets its own."""
    out = subprocess.run(
        [sys.executable, os.path.abspath(__file__), 'collect', side, url,
         '--per-node', str(per_node)], check=True, stdout=subprocess.PIPE)
    return json.loads(out.stdout)


def main(argv):
    if argv[:1] == ['collect']:
        p = argparse.ArgumentParser()
        p.add_argument('side', choices=['sql', 'api'])
        p.add_argument('url')
        p.add_argument('--per-node', type=int)
        args = p.parse_args(argv[1:])
        if args.side == 'api':
            conn = etcd_connection(args.url)
        else:
            conn = ironic_sql_fixture.connect(args.url).Connection()
        json.dump(collect(conn, args.per_node), sys.stdout)
        return 0
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--sql', required=True)
    other = p.add_mutually_exclusive_group(required=True)
    other.add_argument('--api')
    other.add_argument('--other-sql')
    p.add_argument('--per-node', type=int, default=100)
    args = p.parse_args(argv)
    a = collected('sql', args.sql, args.per_node)
    if args.api:
        b = collected('api', args.api, args.per_node)
    else:
        b = collected('sql', args.other_sql, args.per_node)
    diffs = []
    for call in sorted(set(a) | set(b)):
        compare(call, a.get(call, '<not called>'),
                b.get(call, '<not called>'), diffs)
    for line in diffs:
        print(line)
    print('%d calls, %d records, %d differences' % (
        len(a), sum(len(v) for v in a.values() if isinstance(v, list)),
        len(diffs)))
    return 1 if diffs else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
