"""Accounts, their unique handles and the prefix index behind account search."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.config import settings
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.names import normalise_term
from chalicelib.store import read_cache
from chalicelib.store.base import GlobalIndex, TableMeta, applied, flat_key, raw_key, transact, transaction_failures
from chalicelib.store.batch import batch_get, key_of


class OwnerIndex(GlobalIndex["AccountModel"]):
    owner_id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute(range_key=True)


class AccountModel(Model):
    class Meta(TableMeta):
        table_name = settings.table("accounts")

    account_id = UnicodeAttribute(hash_key=True)
    owner_id = UnicodeAttribute()
    handle = UnicodeAttribute()
    display_name = UnicodeAttribute()
    kind = UnicodeAttribute()
    category = UnicodeAttribute()
    bio = UnicodeAttribute(default="")
    fan_nickname = UnicodeAttribute(null=True)
    background_image = UnicodeAttribute(null=True)
    labels = UnicodeSetAttribute(null=True)
    tier = UnicodeAttribute(default="W1")
    tier_status = UnicodeAttribute(null=True)
    # The month (YYYY-MM) whose grading last changed this account: a rerun never applies it twice.
    last_graded_month = UnicodeAttribute(null=True)
    # "<epoch ms, 13 digits>#<tier before>" per moderation move (H1 and back), oldest first:
    # a grading run grades the tier an account had when the run started (domain.grading.tier_at).
    tier_changes = ListAttribute(of=UnicodeAttribute, null=True)
    follower_count = NumberAttribute(default=0)
    created_at = UTCDateTimeAttribute()
    # Auto 上新 (services/new_products.py): the owner's switch (unset = on) and the
    # account's open listing window, the pointer every listing event reads.
    auto_new_products = BooleanAttribute(null=True)
    new_product_window = UnicodeAttribute(null=True)
    by_owner = OwnerIndex()


class HandleModel(Model):
    """One item per taken handle: the conditional put that makes handles unique."""

    class Meta(TableMeta):
        table_name = settings.table("handles")

    handle = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()


class AccountNameModel(Model):
    """Search terms (handle, display name) bucketed by their first character."""

    class Meta(TableMeta):
        table_name = settings.table("account-names")

    bucket = UnicodeAttribute(hash_key=True)
    term = UnicodeAttribute(range_key=True)  # "<normalised text>\x1f<account_id>"
    account_id = UnicodeAttribute()


def _name_items(account: AccountModel) -> list[AccountNameModel]:
    terms = {normalise_term(account.handle), normalise_term(account.display_name)}
    return [AccountNameModel(term[0], f"{term}\x1f{account.account_id}", account_id=account.account_id)
            for term in sorted(terms) if term]


def create_account(account: AccountModel) -> AccountModel:
    """Write the account, claim its handle and index its names in one transaction.

    Raises :class:`Conflict` when the handle is taken (also under concurrent creates).
    """
    def write(tx: TransactWrite) -> None:
        tx.save(HandleModel(account.handle, account_id=account.account_id),
                condition=HandleModel.handle.does_not_exist())
        tx.save(account, condition=AccountModel.account_id.does_not_exist())
        for item in _name_items(account):
            tx.save(item)

    failed = transaction_failures(AccountModel, write)  # puts in order: handle, account, names
    if failed and failed[0]:
        raise Conflict(f"handle '{account.handle}' is taken", details=[{"pointer": "/handle", "message": "is taken"}])
    if failed:
        raise RuntimeError(f"account id {account.account_id} was taken")  # ids are random: not a client error
    return account


def get_account(account_id: str) -> AccountModel:
    account = find_account(account_id)
    if account is None:
        raise NotFound(f"account {account_id} not found")
    return account


def find_account(account_id: str, consistent: bool = False) -> AccountModel | None:
    """The account, or None when there is none (a worker's input may name a deleted or unknown one)."""
    try:
        return AccountModel.get(account_id, consistent_read=consistent)
    except AccountModel.DoesNotExist:
        return None


def tier_of(account_id: str) -> str | None:
    """Only the account's tier (None: no such account)."""
    try:
        return AccountModel.get(account_id, attributes_to_get=["tier"]).tier
    except AccountModel.DoesNotExist:
        return None


def update_account(account: AccountModel, changes: dict[str, Any]) -> AccountModel:
    """Apply owner changes and replace the search entries of a changed name, all or nothing."""
    old_items = _name_items(account)
    for name, value in changes.items():
        setattr(account, name, value)
    new_items = _name_items(account)
    new_terms = {i.term for i in new_items}
    def write(tx: TransactWrite) -> None:
        tx.update(account, actions=[getattr(AccountModel, name).set(value) for name, value in changes.items()],
                  condition=AccountModel.account_id.exists())
        for item in old_items:
            if item.term not in new_terms:
                tx.delete(item)
        for item in new_items:
            tx.save(item)

    if not transact(AccountModel, write):
        raise NotFound(f"account {account.account_id} not found")
    read_cache.ACCOUNTS.drop(account.account_id)
    return get_account(account.account_id)


def set_label(account_id: str, label: str, granted: bool) -> AccountModel:
    """Grant or withdraw one label atomically (idempotent either way)."""
    account = AccountModel(account_id)
    action = AccountModel.labels.add({label}) if granted else AccountModel.labels.delete({label})
    if not applied(lambda: account.update(actions=[action], condition=AccountModel.account_id.exists())):
        raise NotFound(f"account {account_id} not found")
    return account


def search_accounts(prefix: str, limit: int, after: str | None) -> tuple[list[str], str | None]:
    """Account ids whose handle or display name starts with ``prefix``, with a resume token."""
    term = normalise_term(prefix)
    last_key = {"bucket": {"S": term[0]}, "term": {"S": after}} if after else None
    results = AccountNameModel.query(term[0], AccountNameModel.term.startswith(term), limit=limit,
                                     last_evaluated_key=last_key)
    ids = []
    last_term = None
    for item in results:
        last_term = item.term
        if item.account_id not in ids:
            ids.append(item.account_id)
    more = results.last_evaluated_key is not None
    return ids, last_term if more else None


def accounts_by_ids(account_ids: list[str]) -> dict[str, AccountModel]:
    """Accounts by id in BatchGetItem calls of 100; unknown ids are left out."""
    found = batch_get(AccountModel, [key_of(AccountModel, a) for a in account_ids])
    return {a.account_id: a for a in found}


def accounts_of_owner(owner_id: str, limit: int, after: dict[str, str] | None
                      ) -> tuple[list[AccountModel], dict[str, str] | None]:
    """One page of the accounts a user owns, by account id (the by_owner index)."""
    results = AccountModel.by_owner.query(owner_id, limit=limit, last_evaluated_key=raw_key(after))
    items = list(results)
    return items, flat_key(results.last_evaluated_key)
