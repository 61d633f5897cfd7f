"""Write the generated tables of docs/ODD.md from the code: ``python -m hls_abm.docs_tables``.

Two tables are generated: every parameter (``params.parameter_table``) and every difference
between the two systems (``differences.assumptions_table``). Each sits between
``<!-- begin NAME -->`` and ``<!-- end NAME -->`` markers; tests/test_docs.py checks they are current.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from .differences import assumptions_table
from .params import parameter_table

TABLES = {"parameters": parameter_table, "differences": assumptions_table}


def render(text: str) -> str:
    """``text`` with every generated table replaced by the code's current one."""
    for name, make in TABLES.items():
        pattern = re.compile(rf"(<!-- begin {name} -->\n).*?(\n<!-- end {name} -->)", re.S)
        if not pattern.search(text):
            raise ValueError(f"docs: no <!-- begin {name} --> ... <!-- end {name} --> markers")
        text = pattern.sub(lambda m: m.group(1) + make() + m.group(2), text)
    return text


def main(argv=None) -> int:
    path = Path(argv[0] if argv else "docs/ODD.md")
    path.write_text(render(path.read_text()))
    print(f"updated the generated tables in {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
