"""The scenarios of a run, each through Ironic's REST API only, each
checking every node's state at every step. Each returns a dict of what it
measured (seconds since the step began unless named otherwise)."""

import collections
from concurrent import futures
import time

from e2e_ironic import rest

PARALLEL = 8  # REST calls in flight at once, as a busy operator's tooling


def _each(fn, items):
    """fn(item) for every item, PARALLEL at a time; the first error is
    raised."""
    with futures.ThreadPoolExecutor(PARALLEL) as pool:
        return list(pool.map(fn, items))


def _mac(run, i):
    return '52:54:%02x:%02x:%02x:%02x' % (run, (i >> 16) & 255,
                                          (i >> 8) & 255, i & 255)


def _states(nodes):
    return dict(collections.Counter(n['provision_state'] for n in nodes))


def enroll(ironic, prefix, count, run):
    """count nodes with one port each; returns their uuids."""
    def one(i):
        node = ironic.create_node('%s-%03d' % (prefix, i))
        ironic.create_port(node['uuid'], _mac(run, i))
        return node['uuid']
    return _each(one, range(count))


def _stable(state, power=None):
    def done(n):
        return (n['provision_state'] == state and n['reservation'] is None
                and n['target_provision_state'] is None
                and (power is None or (n['power_state'] == power
                                       and n['target_power_state'] is None)))
    return done


def _step(ironic, uuids, action, done, timeout):
    """Runs action on every node, waits until done holds for all, and
    records the step."""
    start = time.monotonic()
    _each(action, uuids)
    seen = rest.wait_all(ironic, uuids, done, timeout)
    nodes = [n for n in ironic.nodes(['uuid', 'provision_state'])
             if n['uuid'] in set(uuids)]
    return {'seconds': round(time.monotonic() - start, 2),
            'last_node_s': round(max(seen.values()), 2),
            'states': _states(nodes)}


def lifecycle(ironic, count, deploy_timeout):
    """Enroll, manage, provide, power on, deploy, undeploy and delete count
    nodes; the hash ring must spread them over every conductor."""
    out = {'nodes': count, 'steps': {}}
    steps = out['steps']
    start = time.monotonic()
    uuids = enroll(ironic, 'life', count, run=1)
    steps['enroll'] = {'seconds': round(time.monotonic() - start, 2),
                       'states': _states(ironic.nodes(['uuid',
                                                       'provision_state']))}
    if steps['enroll']['states'] != {'enroll': count}:
        raise AssertionError('after enroll: %s' % steps['enroll'])
    ports = [p for p in ironic.ports() if p['node_uuid'] in set(uuids)]
    if len(ports) != count:
        raise AssertionError('%d ports for %d nodes' % (len(ports), count))
    steps['manage'] = _step(ironic, uuids,
                            lambda u: ironic.provision(u, 'manage'),
                            _stable('manageable'), 120)
    steps['provide'] = _step(ironic, uuids,
                             lambda u: ironic.provision(u, 'provide'),
                             _stable('available'), 120)
    steps['power_on'] = _step(ironic, uuids,
                              lambda u: ironic.power(u, 'power on'),
                              _stable('available', 'power on'), 120)
    steps['deploy'] = _step(ironic, uuids,
                            lambda u: ironic.provision(u, 'active'),
                            _stable('active'), deploy_timeout)
    out['conductors'] = spread(ironic, uuids)
    if len(out['conductors']) < 3:
        raise AssertionError('the hash ring used %s' % out['conductors'])
    steps['undeploy'] = _step(ironic, uuids,
                              lambda u: ironic.provision(u, 'deleted'),
                              _stable('available'), deploy_timeout)
    start = time.monotonic()
    _each(ironic.delete_node, uuids)
    left = [n for n in ironic.nodes(['uuid']) if n['uuid'] in set(uuids)]
    left_ports = [p for p in ironic.ports() if p['node_uuid'] in set(uuids)]
    if left or left_ports:
        raise AssertionError('after delete: %d nodes, %d ports left'
                             % (len(left), len(left_ports)))
    steps['delete'] = {'seconds': round(time.monotonic() - start, 2)}
    out['seconds'] = round(sum(s['seconds'] for s in steps.values()), 1)
    return out


def spread(ironic, uuids):
    """Nodes per conductor, as the API's hash ring maps them now."""
    got = _each(lambda u: ironic.node(u, ['conductor'])['conductor'], uuids)
    return dict(collections.Counter(got))


def available_nodes(ironic, prefix, count, run):
    """count nodes enrolled and taken to available, powered on."""
    uuids = enroll(ironic, prefix, count, run)
    for target, state in (('manage', 'manageable'),
                          ('provide', 'available')):
        _each(lambda u: ironic.provision(u, target), uuids)
        rest.wait_all(ironic, uuids, _stable(state), 120)
    return uuids


def start_deploys(ironic, uuids):
    """Deploys every node and waits until all are deploying under a lock;
    returns {conductor: [uuids it holds]}."""
    _each(lambda u: ironic.provision(u, 'active'), uuids)
    rest.wait_all(ironic, uuids,
                  lambda n: (n['provision_state'] == 'deploying'
                             and n['reservation'] is not None), 60,
                  interval=0.2)
    held = collections.defaultdict(list)
    for n in ironic.nodes(['uuid', 'reservation']):
        if n['uuid'] in set(uuids):
            held[n['reservation']].append(n['uuid'])
    return dict(held)


def takeover(stack, ironic, count, deploy_timeout):
    """SIGKILL the conductor holding the most nodes mid-deploy; measure
    until each of its nodes is unlocked, in a stable state, and accepts a
    command (undeploy), with no operator action and no restart."""
    uuids = available_nodes(ironic, 'take', count, run=2)
    held = start_deploys(ironic, uuids)
    victim = max(held, key=lambda c: len(held[c]))
    orphans = set(held[victim])
    index = [p.name for p in stack.conductors].index('conductor-' + victim)
    ids = {}
    if stack.backend == 'etcd':
        ids = {u: stack.store_call('get_node_by_uuid', node_uuid=u)['id']
               for u in orphans}
    killed_at = time.monotonic()
    stack.conductors[index].kill()
    out = {'nodes': count, 'victim': victim, 'victim_nodes': len(orphans),
           'held_before_kill': {c: len(v) for c, v in held.items()}}

    offline_at, lock_free_at, first = None, None, {}
    accepted, seen_states = {}, collections.Counter()
    while len(accepted) < len(orphans):
        now = time.monotonic() - killed_at
        if now > deploy_timeout + 120:
            raise AssertionError('takeover: %d of %d orphans accepted a '
                                 'command after %.0f s; states %s'
                                 % (len(accepted), len(orphans), now,
                                    dict(seen_states)))
        if offline_at is None and not any(
                c['alive'] for c in ironic.conductors()
                if c['hostname'] == victim):
            offline_at = now
        if ids and lock_free_at is None and victim not in [
                h for i, h in stack.live_locks().items()
                if i in set(ids.values())]:
            # In etcd the lock is its own key, bound to the conductor's
            # lease: from here any conductor could take the node.
            lock_free_at = now
        ready = []
        for n in ironic.nodes(['uuid', 'provision_state', 'reservation',
                               'target_provision_state']):
            u = n['uuid']
            if u not in orphans or u in accepted:
                continue
            seen_states[(n['provision_state'], n['reservation'])] += 1
            if n['reservation'] is None and 'unlocked' not in first.get(u, {}):
                first.setdefault(u, {})['unlocked'] = now
            if (n['reservation'] is None
                    and n['provision_state'] in ('deploy failed', 'active')):
                first[u]['state'] = n['provision_state']
                ready.append(u)

        def undeploy(u):
            try:
                ironic.provision(u, 'deleted')
            except rest.RestError:
                return  # not yet: asked again next round
            accepted[u] = time.monotonic() - killed_at
        # All at once, as an operator's tooling would: the time is each
        # node's, not a queue of calls.
        _each(undeploy, ready)
        time.sleep(0.25)
    rest.wait_all(ironic, list(orphans), _stable('available'),
                  deploy_timeout)
    others = [u for u in uuids if u not in orphans]
    rest.wait_all(ironic, others, _stable('active'), deploy_timeout)
    out.update({
        'conductor_offline_s': round(offline_at, 2),
        # On SQL the lock is the reservation column: free when unlocked.
        'locks_free_s': round(lock_free_at if ids else max(
            f['unlocked'] for f in first.values()), 2),
        'last_unlocked_s': round(max(f['unlocked'] for f in first.values()),
                                 2),
        'last_accepting_s': round(max(accepted.values()), 2),
        'first_accepting_s': round(min(accepted.values()), 2),
        'orphan_end_states': dict(collections.Counter(
            f['state'] for f in first.values())),
        'states_seen': {'%s/%s' % k: v for k, v in seen_states.items()},
        'ring_after': spread(ironic, list(orphans)),
    })
    if victim in out['ring_after']:
        raise AssertionError('the ring still maps nodes to %s' % victim)
    _each(lambda u: ironic.provision(u, 'deleted'), others)
    rest.wait_all(ironic, uuids, _stable('available'), deploy_timeout)
    _each(ironic.delete_node, uuids)
    return out


class Writer(object):
    """Patches extra/e2e_seq on idle nodes in a loop, through Ironic (the
    API asks the node's conductor, which locks the node and writes),
    keeping per node the last value Ironic acknowledged and counting the
    calls Ironic refused or failed."""

    def __init__(self, ironic, uuids):
        self.ironic, self.uuids = ironic, uuids
        self.acked, self.failed, self.sent = {}, [], 0
        self._stop = False
        self._pool = futures.ThreadPoolExecutor(1)
        self._done = None

    def start(self):
        self._done = self._pool.submit(self._run)

    def _run(self):
        seq = 0
        while not self._stop:
            for u in self.uuids:
                if self._stop:
                    break
                seq += 1
                self.sent += 1
                try:
                    self.ironic.patch_node(u, [{'op': 'add',
                                                'path': '/extra/e2e_seq',
                                                'value': seq}])
                    self.acked[u] = seq
                except Exception as e:  # an error is counted, not fatal
                    self.failed.append('%s: %s' % (u, str(e)[:200]))

    def stop(self):
        self._stop = True
        self._done.result()
        self._pool.shutdown()


# The columns compared between Ironic's view and the store's own record.
COMPARED = ('provision_state', 'power_state', 'target_provision_state',
            'target_power_state', 'reservation', 'extra', 'instance_info',
            'driver', 'conductor_group', 'last_error', 'maintenance',
            'name', 'driver_info', 'properties')


def store_faults(stack, ironic, count, deploy_timeout):
    """SIGKILL the etcd leader, then one API replica, while count nodes
    deploy and a writer updates other nodes: deploys finish, no node is
    lost or left locked, every acknowledged update is there, and every
    node's record in the store is what Ironic's API reports."""
    idle = available_nodes(ironic, 'idle', 8, run=3)
    uuids = available_nodes(ironic, 'fault', count, run=4)
    writer = Writer(ironic, idle)
    writer.start()
    time.sleep(1)
    start_deploys(ironic, uuids)
    out = {'nodes': count, 'idle_nodes': len(idle)}
    calls_before, _ = stack.replica_metrics(1)
    started = time.monotonic()
    leader = stack.etcd_leader()
    stack.members[leader].kill()
    out['killed_member'] = stack.members[leader].name
    time.sleep(2)
    stack.replicas[0].kill()
    out['killed_replica'] = stack.replicas[0].name
    out['new_leader'] = stack.members[stack.etcd_leader()].name
    rest.wait_all(ironic, uuids, _stable('active'), deploy_timeout + 60)
    out['deploys_done_s'] = round(time.monotonic() - started, 2)
    calls_after, errors = stack.replica_metrics(1)
    out['surviving_replica'] = {'calls_before_kill': calls_before,
                                'calls_after_kill': calls_after
                                - calls_before, 'errors': errors}
    time.sleep(2)
    writer.stop()
    out.update({'updates_sent': writer.sent,
                'updates_acknowledged': writer.sent - len(writer.failed),
                'updates_failed': len(writer.failed),
                'update_failures': writer.failed[:10]})
    out['mismatches'] = compare_with_store(stack, ironic, uuids + idle,
                                           writer.acked)
    if out['mismatches']:
        raise AssertionError('store and Ironic disagree: %s'
                             % out['mismatches'][:5])
    locked = [n['uuid'] for n in ironic.nodes(['uuid', 'reservation'])
              if n['reservation'] is not None]
    if locked:
        raise AssertionError('nodes left locked: %s' % locked)
    stack.members[leader].start()
    stack.replicas[0].start()
    stack.wait_store_ready()
    _each(lambda u: ironic.provision(u, 'deleted'), uuids)
    rest.wait_all(ironic, uuids, _stable('available'), deploy_timeout)
    _each(ironic.delete_node, uuids + idle)
    out['nodes_left'] = len(ironic.nodes(['uuid']))
    if out['nodes_left']:
        raise AssertionError('%d nodes left after delete'
                             % out['nodes_left'])
    return out


def compare_with_store(stack, ironic, uuids, acked):
    """Differences between each node as Ironic's API reports it and as the
    store holds it (read through the surviving API replica), and
    acknowledged updates missing from the store."""
    bad = []
    for u in uuids:
        seen = ironic.node(u)
        held = stack.store_call('get_node_by_uuid', node_uuid=u)
        for col in COMPARED:
            if seen.get(col) != held.get(col):
                bad.append('%s %s: Ironic %r, store %r'
                           % (u, col, seen.get(col), held.get(col)))
        want = acked.get(u)
        if want is not None and held['extra'].get('e2e_seq') != want:
            bad.append('%s: acknowledged e2e_seq %s, store has %r'
                       % (u, want, held['extra'].get('e2e_seq')))
    return bad
