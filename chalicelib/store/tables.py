"""Every table of the platform, for the local runner, the tests and the templates."""

from __future__ import annotations

from pynamodb.models import Model

from chalicelib.store.accounts import AccountModel, AccountNameModel, HandleModel
from chalicelib.store.activity import AccountDayModel, FanDayModel
from chalicelib.store.fanout_progress import FanoutProgressModel
from chalicelib.store.follows import FollowModel
from chalicelib.store.idempotency import IdempotencyModel
from chalicelib.store.inbox import InboxModel
from chalicelib.store.posts import PostKeyModel, PostModel, QuotaCounterModel

ALL_MODELS: list[type[Model]] = [
    AccountModel, HandleModel, AccountNameModel, FollowModel, PostModel, PostKeyModel, QuotaCounterModel,
    InboxModel, FanoutProgressModel, IdempotencyModel, AccountDayModel, FanDayModel,
]
