"""The JSON schemas Lambda runs with: ``chalicelib/schemas/`` must be an exact copy of ``schemas/``.

Chalice ships only ``app.py``, ``chalicelib/`` and ``vendor/`` (and skips symlinks), so
``make schemas`` copies the source of truth into ``chalicelib/``. ``python -m infra.shipped``
(``make check-schemas``, run by ``make package``) and a test fail on a stale copy.
"""

from __future__ import annotations

import filecmp
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE, SHIPPED = ROOT / "schemas", ROOT / "chalicelib" / "schemas"


def schema_files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


def stale_schema_files(source: Path = SOURCE, shipped: Path = SHIPPED) -> list[str]:
    """Paths (relative to the schema roots) that differ, are missing from, or are extra in the shipped copy."""
    wanted, have = schema_files(source), schema_files(shipped) if shipped.is_dir() else set()
    differing = {name for name in wanted & have
                 if not filecmp.cmp(source / name, shipped / name, shallow=False)}
    return sorted((wanted ^ have) | differing)


def main() -> int:
    stale = stale_schema_files()
    if stale:
        print(f"chalicelib/schemas differs from schemas/ in {len(stale)} file(s): {', '.join(stale[:10])}\n"
              "run `make schemas` to refresh the shipped copy", file=sys.stderr)
        return 1
    print(f"chalicelib/schemas matches schemas/ ({len(schema_files(SOURCE))} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
