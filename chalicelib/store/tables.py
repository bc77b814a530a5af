"""Every table of the platform, one registry: for the local runner, the tests, the templates and the grants."""

from __future__ import annotations

from pynamodb.models import Model

from chalicelib.store.accounts import AccountModel, AccountNameModel, HandleModel
from chalicelib.store.activity import AccountDayModel, AccountHourModel, AppliedActivityModel, FanDayModel
from chalicelib.store.audit import AuditModel
from chalicelib.store.delivery_state import DeliveryModeModel, PulledAccountModel
from chalicelib.store.discovery import (
    DiscoveryProfileModel,
    DismissalModel,
    PopularListModel,
    SignalModel,
    SuggestionRunModel,
    SuggestionShardModel,
)
from chalicelib.store.engagement import CommentModel, LikeModel, VoteModel
from chalicelib.store.fan_counts import FanCountModel
from chalicelib.store.fanout_progress import FanoutProgressModel
from chalicelib.store.fingerprints import FingerprintModel
from chalicelib.store.follows import FollowModel
from chalicelib.store.grading import (
    GradeRecordModel,
    GradingChunkModel,
    GradingRunModel,
    GradingShardModel,
    StatusSnapshotModel,
)
from chalicelib.store.hot_list import HotListModel
from chalicelib.store.hot_picks import HotPickModel
from chalicelib.store.idempotency import IdempotencyModel
from chalicelib.store.inbox import InboxModel
from chalicelib.store.new_products import ListingWindowModel, ProductMarkModel, WindowListingModel
from chalicelib.store.notifications import (
    ActorMarkerModel,
    GroupHeadModel,
    NotificationModel,
    NotificationSettingsModel,
)
from chalicelib.store.posts import PostKeyModel, PostModel, QuotaCounterModel
from chalicelib.store.realtime import (
    ConnectionModel,
    CounterPushModel,
    EventLogModel,
    PresenceModel,
    SubscriptionModel,
    TicketModel,
)
from chalicelib.store.roster import FanRosterModel
from chalicelib.store.runtime_config import RuntimeConfigModel
from chalicelib.store.strikes import StrikeModel

ALL_MODELS: list[type[Model]] = [
    AccountModel, HandleModel, AccountNameModel, FollowModel, PostModel, PostKeyModel, QuotaCounterModel,
    InboxModel, FanoutProgressModel, IdempotencyModel, AccountDayModel, FanDayModel,
    AccountHourModel, LikeModel, VoteModel, CommentModel, HotListModel,
    FingerprintModel, StrikeModel, AuditModel,
    FanRosterModel, DeliveryModeModel, PulledAccountModel,
    GradingRunModel, GradingShardModel, GradingChunkModel, GradeRecordModel, StatusSnapshotModel,
    NotificationModel, GroupHeadModel, ActorMarkerModel, NotificationSettingsModel,
    TicketModel, ConnectionModel, PresenceModel, EventLogModel, SubscriptionModel, CounterPushModel,
    AppliedActivityModel, FanCountModel,
    DiscoveryProfileModel, PopularListModel, SignalModel, DismissalModel, SuggestionRunModel, SuggestionShardModel,
    HotPickModel,
    ListingWindowModel, WindowListingModel, ProductMarkModel,
    RuntimeConfigModel,
]
