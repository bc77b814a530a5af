"""The table behind Powertools idempotency (its default attribute names), and once-markers in it."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
from pynamodb.attributes import TTLAttribute, UnicodeAttribute
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

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


# Longer than any redelivery (SQS keeps a message 14 days at most).
ONCE_KEEP = timedelta(days=30)


def claim_once(tx: TransactWrite, key: str, at: datetime) -> None:
    """Add the once-marker ``key`` to ``tx``: the transaction fails (and writes nothing) if it was claimed.

    Makes an ADD idempotent: the counter update and its marker commit together.
    """
    tx.save(IdempotencyModel(f"once#{key}", expiration=at + ONCE_KEEP), condition=IdempotencyModel.id.does_not_exist())
