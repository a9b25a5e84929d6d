"""The record of a run: every figure as JSON, and a summary table in
Markdown that README and RELIABILITY.md quote."""

import json
import os

from e2e_ironic import stack


def settings(args):
    return {'nodes': args.nodes, 'takeover_nodes': args.takeover_nodes,
            'fault_nodes': args.fault_nodes,
            'deploy_delay_s': args.deploy_delay,
            'heartbeat_interval_s': stack.HEARTBEAT_INTERVAL,
            'heartbeat_timeout_s': stack.HEARTBEAT_TIMEOUT,
            'check_provision_state_interval_s': stack.CHECK_INTERVAL,
            'hash_ring_reset_interval_s': stack.RING_RESET,
            'conductors': len(stack.CONDUCTOR_HOSTS)}


def write(results, directory):
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, 'ironic-e2e.json'), 'w') as f:
        json.dump(results, f, indent=1, sort_keys=True)
    with open(os.path.join(directory, 'ironic-e2e.md'), 'w') as f:
        f.write(markdown(results))


def _get(run, *path):
    v = run
    for p in path:
        if not isinstance(v, dict) or p not in v:
            return '-'
        v = v[p]
    return v


def markdown(results):
    runs = results['runs']
    s = results['settings']
    lines = ['# Real Ironic on ironic-etcd and on SQL: the last run', '',
             'Run at %s. %d conductors, heartbeat %d s / timeout %d s, '
             'orphan check every %d s, hash ring reset every %d s, fake '
             'deploys of %d s.' % (
                 results['started'], s['conductors'],
                 s['heartbeat_interval_s'], s['heartbeat_timeout_s'],
                 s['check_provision_state_interval_s'],
                 s['hash_ring_reset_interval_s'], s['deploy_delay_s']), '',
             '| figure | ' + ' | '.join(r['backend'] for r in runs) + ' |',
             '|---|' + '--:|' * len(runs)]
    rows = [
        ('lifecycle of %d nodes, s' % s['nodes'], ('lifecycle', 'seconds')),
        ('nodes per conductor', ('lifecycle', 'conductors')),
        ('takeover: victim\'s nodes', ('takeover', 'victim_nodes')),
        ('takeover: kill to conductor offline, s',
         ('takeover', 'conductor_offline_s')),
        ('takeover: kill to every lock free (any conductor may take it), s',
         ('takeover', 'locks_free_s')),
        ('takeover: kill to last node unlocked in Ironic\'s view, s',
         ('takeover', 'last_unlocked_s')),
        ('takeover: kill to last node accepting commands, s',
         ('takeover', 'last_accepting_s')),
        ('takeover: orphans ended in', ('takeover', 'orphan_end_states')),
        ('store faults: kill to all deploys done, s',
         ('store_faults', 'deploys_done_s')),
        ('store faults: updates acknowledged',
         ('store_faults', 'updates_acknowledged')),
        ('store faults: updates failed', ('store_faults', 'updates_failed')),
        ('store faults: records differing from Ironic\'s view',
         ('store_faults', 'mismatches')),
    ]
    for label, path in rows:
        cells = []
        for r in runs:
            v = _get(r, *path)
            if isinstance(v, list):
                v = len(v)
            if isinstance(v, dict):
                v = ', '.join('%s: %s' % kv for kv in sorted(v.items()))
            cells.append(str(v))
        lines.append('| %s | %s |' % (label, ' | '.join(cells)))
    for r in runs:
        if 'error' in r:
            lines += ['', '%s failed:' % r['backend'], '', '```',
                      r['error'].strip(), '```']
    return '\n'.join(lines) + '\n'
