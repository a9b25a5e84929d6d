"""Arguments as the reference's callers pass them, made into the API's.

The SQL backend takes some arguments loosely because SQL or SQLAlchemy
converts them: a node id given as the text ``'123'`` finds node 123 (the
database casts it), a uuid given as the number ``-1`` simply finds
nothing, ``model.update(values)`` keeps keys that are no column as plain
attributes that are never written, and a model instance read earlier (a
template's step) can be passed back in a list of values. The API takes
exact JSON types, so the backend converts here what the reference accepts,
and leaves anything else for the API to refuse.
"""

import re

from oslo_log import log

from ironic.db.sqlalchemy import models

from ironic_etcd import rows

LOG = log.getLogger(__name__)

# Arguments that name a row by its integer id (or, for some, an id or a
# uuid: the API takes a number for those too).
_INTEGER_IDS = frozenset({
    'node_id', 'port_id', 'portgroup_id', 'chassis_id', 'conductor_id',
    'allocation_id', 'template_id', 'history_id', 'db_id',
    'old_conductor_id', 'new_conductor_id'})

_DECIMAL = re.compile(r'-?[0-9]+\Z')


def call_arguments(kwargs):
    """kwargs with ids and uuids in the JSON types the API takes.

    A decimal string where an integer id goes is that integer (SQL casts
    it: ``get_node_tags_by_node_id('123')`` is node 123's tags); a number
    where a uuid goes is its text (SQL compares it with the uuid column and
    finds nothing, the API answers the same NotFound).
    """
    out = None
    for name, value in kwargs.items():
        new = value
        if (name in _INTEGER_IDS and isinstance(value, str)
                and _DECIMAL.match(value)):
            new = int(value)
        elif (name.endswith('uuid') and isinstance(value, int)
              and not isinstance(value, bool)):
            new = str(value)
        if new is not value:
            out = dict(kwargs) if out is None else out
            out[name] = new
    return kwargs if out is None else out


def columns_only(model, values):
    """values without the keys that are no column of model's table.

    The SQL backend builds rows with ``model.update(values)``, which keeps
    such keys as plain attributes that are never written, and Ironic's
    callers (and its test data: a node's ``conductor``) rely on that. The
    store refuses unknown fields, so they are dropped here. Relationship
    names stay: the store refuses them as the reference does (a node
    created with tags). Nested rows given as model instances (a template's
    steps read earlier) become dicts of their columns.
    """
    if not isinstance(values, dict):
        return values
    known = rows.writable(model)
    dropped = [k for k in values if k not in known]
    if dropped:
        LOG.debug('%s: ignoring keys that are not columns: %s',
                  model.__tablename__, ', '.join(sorted(dropped)))
    out = {}
    for key, value in values.items():
        if key not in known:
            continue
        if isinstance(value, (list, tuple)):
            value = [_plain(item) for item in value]
        out[key] = value
    return out


def _plain(item):
    """A model instance as the dict of its columns (what the SQL backend
    reads from it by item access); anything else as it is."""
    if not isinstance(item, models.Base):
        return item
    return {c.name: getattr(item, c.name)
            for c in item.__table__.columns}


def without_zero_id(values):
    """values without an ``id`` of 0, which then gets an id assigned, as
    MySQL does with 0 (SQLite stores 0 itself). Ironic's test data create
    history and inventory rows with id 0; the store's ids are positive."""
    if values.get('id') == 0:
        values = {k: v for k, v in values.items() if k != 'id'}
    return values
