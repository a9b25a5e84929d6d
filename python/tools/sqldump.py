"""Dump every table of an Ironic SQL database in a canonical form.

Tables and columns come from reflection of the live database, not from
Ironic's models, so a column the models do not know is dumped too. The models
only say how to read a column: JSON text (parsed, keys sorted, each number's
text kept as written, so 1.0 stays 1.0 and 2**70 stays exact), boolean
(MariaDB's and SQLite's 0/1 become true/false) or datetime
(YYYY-MM-DDTHH:MM:SS.ffffff, with the precision the database kept).
"""

import json

import sqlalchemy as sa

ALEMBIC = 'alembic_version'


class RawNumber(object):
    """A JSON number kept as the text it was written with."""

    def __init__(self, text):
        self.text = text


def parse_json(text):
    return json.loads(text, parse_float=RawNumber, parse_int=RawNumber,
                      parse_constant=RawNumber)


def canonical_json(value):
    """JSON text with sorted keys and each number's original text."""
    if isinstance(value, RawNumber):
        return value.text
    if isinstance(value, dict):
        return '{' + ','.join(
            json.dumps(k, ensure_ascii=False) + ':' + canonical_json(v)
            for k, v in sorted(value.items())) + '}'
    if isinstance(value, list):
        return '[' + ','.join(canonical_json(v) for v in value) + ']'
    return json.dumps(value, ensure_ascii=False)


def model_types():
    """{table: {column: 'json'|'bool'|'datetime'}} from Ironic's models."""
    from ironic.db.sqlalchemy import models
    from oslo_db.sqlalchemy import types as oslo_types
    kinds = {}
    for table in models.Base.metadata.tables.values():
        cols = kinds.setdefault(table.name, {})
        for col in table.columns:
            if isinstance(col.type, oslo_types.JsonEncodedType):
                cols[col.name] = 'json'
            elif isinstance(col.type, sa.Boolean):
                cols[col.name] = 'bool'
            elif isinstance(col.type, sa.DateTime):
                cols[col.name] = 'datetime'
    return kinds


def reflected_kind(col):
    if isinstance(col.type, sa.Boolean):
        return 'bool'
    if isinstance(col.type, sa.DateTime):
        return 'datetime'
    return None


def canonical(kind, value):
    if value is None:
        return None
    if kind == 'json':
        return canonical_json(parse_json(value))
    if kind == 'bool':
        return bool(value)
    if kind == 'datetime':
        return value.strftime('%Y-%m-%dT%H:%M:%S.%f')
    if isinstance(value, bytes):
        return value.decode('utf-8')
    return value


def dump(url):
    """{table: rows sorted by primary key, '_alembic': revision,
    '_primary_keys': {table: [columns]}} of the database at url."""
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    meta.reflect(bind=engine)
    kinds = model_types()
    out = {'_primary_keys': {}}
    with engine.connect() as conn:
        for _, table in sorted(meta.tables.items()):
            if table.name == ALEMBIC:
                revs = [r[0] for r in conn.execute(sa.select(table))]
                out['_alembic'] = ','.join(sorted(revs))
                continue
            known = kinds.get(table.name, {})
            pk = [c.name for c in table.primary_key.columns]
            out['_primary_keys'][table.name] = pk
            order = [table.c[name] for name in pk] or list(table.columns)
            rows = []
            for row in conn.execute(sa.select(table).order_by(*order)):
                m = row._mapping
                rows.append({
                    col.name: canonical(
                        known.get(col.name) or reflected_kind(col),
                        m[col.name])
                    for col in table.columns})
            out[table.name] = rows
    engine.dispose()
    return out
