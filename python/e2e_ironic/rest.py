"""Ironic's REST API as an operator uses it (noauth), with the waits a
scenario needs."""

import time

import requests

VERSION = '1.82'  # Ironic 21.4's newest microversion


class RestError(Exception):
    pass


class Ironic(object):
    def __init__(self, url):
        self.url = url.rstrip('/') + '/v1'
        self.s = requests.Session()
        self.s.trust_env = False
        self.s.headers.update({'X-OpenStack-Ironic-API-Version': VERSION,
                               'Content-Type': 'application/json'})

    def _req(self, verb, path, ok, **kw):
        resp = self.s.request(verb, self.url + path, timeout=60, **kw)
        if resp.status_code not in ok:
            raise RestError('%s %s: HTTP %d: %s' % (
                verb, path, resp.status_code, resp.text[:500]))
        return resp.json() if resp.content else None

    def create_node(self, name, **fields):
        body = dict(name=name, driver='fake-hardware', **fields)
        return self._req('POST', '/nodes', (201,), json=body)

    def create_port(self, node_uuid, address):
        return self._req('POST', '/ports', (201,),
                         json={'node_uuid': node_uuid, 'address': address})

    def node(self, ident, fields=None):
        params = {'fields': ','.join(fields)} if fields else None
        return self._req('GET', '/nodes/' + ident, (200,), params=params)

    def nodes(self, fields):
        out, marker = [], None
        while True:
            params = {'fields': ','.join(fields), 'limit': 1000}
            if marker:
                params['marker'] = marker
            page = self._req('GET', '/nodes', (200,), params=params)['nodes']
            out.extend(page)
            if len(page) < 1000:
                return out
            marker = page[-1]['uuid']

    def ports(self):
        return self._req('GET', '/ports', (200,),
                         params={'limit': 1000, 'fields': 'uuid,address,'
                                 'node_uuid'})['ports']

    def conductors(self):
        return self._req('GET', '/conductors', (200,),
                         params={'detail': 'true'})['conductors']

    def provision(self, ident, target):
        """Asks for a provision-state change; the conductor's 202 or the
        API's refusal (HTTP error) as RestError."""
        self._req('PUT', '/nodes/%s/states/provision' % ident, (202,),
                  json={'target': target})

    def power(self, ident, target):
        self._req('PUT', '/nodes/%s/states/power' % ident, (202,),
                  json={'target': target})

    def delete_node(self, ident):
        self._req('DELETE', '/nodes/' + ident, (204,))

    def patch_node(self, ident, ops):
        return self._req('PATCH', '/nodes/' + ident, (200,), json=ops)


def wait_all(ironic, uuids, done, timeout, interval=0.5, fields=None):
    """Polls the nodes (one list call per round) until done(node) holds for
    every one of uuids; returns {uuid: seconds until it did}. Raises with
    the nodes still pending and their states after timeout."""
    fields = fields or ['uuid', 'provision_state', 'power_state',
                        'target_provision_state', 'target_power_state',
                        'reservation', 'last_error']
    start = time.monotonic()
    pending, seen = set(uuids), {}
    while True:
        by_uuid = {n['uuid']: n for n in ironic.nodes(fields)}
        for u in list(pending):
            n = by_uuid.get(u)
            if n is not None and done(n):
                seen[u] = time.monotonic() - start
                pending.discard(u)
        if not pending:
            return seen
        if time.monotonic() - start > timeout:
            sample = [by_uuid.get(u, {'uuid': u, 'missing': True})
                      for u in sorted(pending)[:5]]
            raise RestError('%d nodes not done within %d s, e.g. %s' % (
                len(pending), timeout, sample))
        time.sleep(interval)


def wait_conductors(ironic, count, timeout):
    """Until count conductors are alive and the API maps nodes to them."""
    deadline = time.monotonic() + timeout
    while True:
        alive = [c['hostname'] for c in ironic.conductors() if c['alive']]
        if len(alive) >= count:
            return alive
        if time.monotonic() > deadline:
            raise RestError('%d of %d conductors alive after %d s: %s'
                            % (len(alive), count, timeout, alive))
        time.sleep(0.5)
