"""Which writes a second replica can settle after an unknown outcome.

A write whose connection broke after it was sent (an API replica killed
mid-request, an etcd leader lost mid-commit) may or may not have been
applied. Raising that to a conductor fails its task, and a failed
``release_node`` leaves the node locked for as long as the conductor
lives. For the writes below, sending the same call once more to another
replica tells what happened, or is harmless either way:

- the writes that set values (``update_*``, ``touch_conductor``, the
  ``clear_*`` sweeps) give the same result whether or not the first one was
  applied: they are sent again as they are;
- ``release_node``: NodeNotLocked on the second attempt means the first
  one released the lock;
- ``reserve_node``: NodeLocked naming the caller's own tag on the second
  attempt means the first one took the lock, and the node is read back.
  (One case reads wrong: the caller's other thread held the lock all
  along and the first attempt had failed. Ironic's conductor does not
  reserve a node it already holds from two threads at the same instant as
  a connection breaks; the store's fencing tokens, which Go callers use,
  tell the two apart.)

Every other write (creates, destroys, tag and trait sets) stays
UnknownOutcome: the caller reads back before retrying.
"""

import json

from ironic.common import exception as ironic_exc

_SET_VALUES = frozenset([
    'update_node', 'update_port', 'update_portgroup', 'update_chassis',
    'update_volume_connector', 'update_volume_target', 'update_allocation',
    'update_deploy_template', 'update_bios_setting_list', 'touch_conductor',
    'clear_node_reservations_for_conductor', 'clear_node_target_power_state',
])
_SETTLED_BY_RETRY = _SET_VALUES | {'release_node', 'reserve_node'}


def can_retry(method):
    """True when method's unknown outcome can be settled by sending it
    once more to another replica."""
    return method in _SETTLED_BY_RETRY


def after_retry(method, args, error, call):
    """The answer of method once its retry raised error, the first attempt
    having ended in an unknown outcome; call(method, **kwargs) sends a
    read. Raises what the caller should see."""
    if method == 'release_node' and isinstance(error,
                                               ironic_exc.NodeNotLocked):
        return None
    if (method == 'reserve_node'
            and isinstance(error, ironic_exc.NodeLocked)
            and _param(error, 'host') == args.get('tag')):
        node_id = args['node_id']
        if isinstance(node_id, int) or str(node_id).isdigit():
            return call('get_node_by_id', node_id=node_id)
        return call('get_node_by_uuid', node_uuid=node_id)
    raise error


def _param(error, name):
    """An Ironic exception's parameter as given: Ironic keeps its
    parameters JSON-encoded."""
    value = error.kwargs.get(name)
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return value
