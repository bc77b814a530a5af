"""The table behind Powertools idempotency (its default attribute names)."""

from __future__ import annotations

from functools import lru_cache

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
from pynamodb.attributes import TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.config import settings
from chalicelib.store.base import TableMeta


class IdempotencyModel(Model):
    class Meta(TableMeta):
        table_name = settings.table("idempotency")

    id = UnicodeAttribute(hash_key=True)
    expiration = TTLAttribute(null=True)


@lru_cache(maxsize=1)
def persistence_layer() -> DynamoDBPersistenceLayer:
    """One persistence layer per process (Powertools keeps a local cache per instance)."""
    return DynamoDBPersistenceLayer(table_name=IdempotencyModel.Meta.table_name)
