"""Print the methods of Ironic's database Connection with their arguments.

One line per abstract method of the Connection (ironic/db/api.py) and per
concrete method callers use, with the
arguments the SQLAlchemy implementation (ironic/db/sqlalchemy/api.py)
takes, `self` and `context` left out. It reads the source (importing it
needs Ironic's configuration). On a machine with python3-ironic:

    /usr/bin/python3 api/testdata/gen_ironic214_signatures.py \
        > api/testdata/ironic214_signatures.txt
"""
import ast
import os
import sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else '/usr/lib/python3/dist-packages'


def methods(path):
    with open(os.path.join(ROOT, path)) as f:
        tree = ast.parse(f.read())
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == 'Connection':
            for fn in node.body:
                if isinstance(fn, ast.FunctionDef):
                    yield fn


# Concrete methods of 21.4's Connection that its callers use as well.
CALLED = {'clear_node_reservations_for_conductor',
          'clear_node_target_power_state', 'get_node_list_columns'}

abstract = CALLED | {fn.name for fn in methods('ironic/db/api.py')
            if any(getattr(d, 'attr', getattr(d, 'id', '')) == 'abstractmethod'
                   for d in fn.decorator_list)}
for fn in sorted(methods('ironic/db/sqlalchemy/api.py'), key=lambda f: f.name):
    if fn.name in abstract and not fn.name.startswith('_'):
        args = [a.arg for a in fn.args.args if a.arg not in ('self', 'context')]
        print(' '.join([fn.name] + args))
