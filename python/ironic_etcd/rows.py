"""API results as ``ironic.db.sqlalchemy.models`` instances.

Ironic's objects layer reads a row by item access, column by column, and
relies on every column being there (including ``version``). Instances are
built without a session, so SQLAlchemy applies no column defaults: every
column is set from the answer, the ones it does not carry to None.
DateTime columns become naive UTC datetimes, as SQLAlchemy reads them.
"""

import collections
import functools

import sqlalchemy as sa
from sqlalchemy import orm

from ironic.db.sqlalchemy import models

from ironic_etcd import clock

# Relationships the API nests in a record, and the model of their rows.
_NESTED = {
    (models.Node, 'tags'): models.NodeTag,
    (models.Node, 'traits'): models.NodeTrait,
    (models.DeployTemplate, 'steps'): models.DeployTemplateStep,
}


@functools.lru_cache(maxsize=None)
def _columns(model):
    """(name, is_datetime) of each column of model."""
    return tuple((c.name, isinstance(c.type, sa.DateTime))
                 for c in model.__table__.columns)


def one(model, row, only_given=False):
    """row (a JSON object) as a model instance; None stays None.

    only_given: set only the columns row has (get_node_list with fields,
    where the reference loads only the asked columns); the instance is
    then detached, so that reading another column raises
    DetachedInstanceError as the reference's does.
    """
    if row is None:
        return None
    obj = model()
    for name, is_time in _columns(model):
        if name not in row:
            if only_given:
                continue
            value = None
        else:
            value = row[name]
            if is_time and value is not None:
                value = clock.parse(value)
        setattr(obj, name, value)
    for (owner, attr), nested in _NESTED.items():
        if owner is model and attr in row:
            setattr(obj, attr, [one(nested, r) for r in row[attr] or ()])
    if only_given and obj.id is not None:
        # As the reference's load_only: the columns not asked for are not
        # loaded, and reading one raises DetachedInstanceError rather than
        # giving None, which would read as a real value.
        orm.make_transient_to_detached(obj)
    if 'node_uuid' in row and hasattr(model, '_node_uuid'):
        # Port and Portgroup: the association proxy to the node's uuid.
        obj._node_uuid = (None if row['node_uuid'] is None
                          else models.Node(uuid=row['node_uuid']))
    return obj


def many(model, rows, only_given=False):
    return [one(model, r, only_given) for r in rows]


@functools.lru_cache(maxsize=None)
def _row_type(names):
    return collections.namedtuple('Row', names, rename=True)


def tuples(names, rows):
    """get_nodeinfo_list's rows (JSON arrays) as tuples that also name
    their columns (``row.id``), as the reference's SQLAlchemy rows do."""
    row_type = _row_type(tuple(names))
    return [row_type(*r) for r in rows]


@functools.lru_cache(maxsize=None)
def writable(model):
    """The keys a write of model may carry: its columns and the
    relationships the API nests (node tags and traits, template steps)."""
    names = {c.name for c in model.__table__.columns}
    names.update(attr for (owner, attr) in _NESTED if owner is model)
    return frozenset(names)
