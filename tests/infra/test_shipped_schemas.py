"""The schemas Lambda validates with are the schemas of the source tree (a stale copy fails here)."""

from __future__ import annotations

import shutil
from pathlib import Path

from infra.shipped import SHIPPED, SOURCE, stale_schema_files


def test_the_shipped_copy_in_chalicelib_matches_schemas() -> None:
    # Given schemas/ (the source of truth) and chalicelib/schemas/ (what Chalice ships)
    # When they are compared file by file
    # Then they are identical: run `make schemas` after editing a schema
    assert stale_schema_files(SOURCE, SHIPPED) == []


def test_an_edited_a_missing_and_an_extra_file_are_each_reported(tmp_path: Path) -> None:
    # Given a copy of the schemas, then a source schema edited, one deleted and one added
    source, shipped = tmp_path / "schemas", tmp_path / "shipped"
    shutil.copytree(SOURCE, source)
    shutil.copytree(SOURCE, shipped)
    edited, removed = sorted(p.relative_to(source).as_posix() for p in source.rglob("*.json"))[:2]
    (source / edited).write_text((source / edited).read_text() + " ")
    (shipped / removed).unlink()
    (shipped / "leftover.json").write_text("{}")
    # When the copies are compared
    stale = stale_schema_files(source, shipped)
    # Then each difference is named
    assert stale == sorted([edited, removed, "leftover.json"])
