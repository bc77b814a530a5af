"""Stored run-time configuration documents: one item per name, replaced only by the version it names.

A change and its audit entry are written in one transaction, conditional on the stored
version being the one the editor read (no item at all for version 0, the default), so
a stale write changes nothing and every change that happened is in the trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.config import settings
from chalicelib.store.audit import AuditModel
from chalicelib.store.base import TableMeta, transact


class RuntimeConfigModel(Model):
    class Meta(TableMeta):
        table_name = settings.table("runtime-config")

    name = UnicodeAttribute(hash_key=True)
    version = NumberAttribute()
    document = JSONAttribute()
    updated_at = UTCDateTimeAttribute()
    updated_by = UnicodeAttribute()


@dataclass(frozen=True)
class StoredConfig:
    name: str
    version: int
    document: dict[str, Any]


def stored(name: str) -> StoredConfig | None:
    """The stored document of ``name`` (a consistent read), or None when only the default exists."""
    try:
        item = RuntimeConfigModel.get(name, consistent_read=True)
    except RuntimeConfigModel.DoesNotExist:
        return None
    return StoredConfig(item.name, int(item.version), item.document)


def replace(name: str, expected_version: int, document: dict[str, Any], actor: str, at: datetime,
            entry: AuditModel) -> bool:
    """Store ``document`` as version ``expected_version + 1`` with its audit entry; False if the version moved on."""
    item = RuntimeConfigModel(name, version=expected_version + 1, document=document, updated_at=at, updated_by=actor)
    condition = (RuntimeConfigModel.name.does_not_exist() if expected_version == 0
                 else RuntimeConfigModel.version == expected_version)

    def write(tx: TransactWrite) -> None:
        tx.save(item, condition=condition)
        tx.save(entry, condition=AuditModel.entry_id.does_not_exist())

    return transact(RuntimeConfigModel, write)
