"""What each Lambda function may touch: one IAM role per function, least privilege.

Chalice's policy generator reads only ``app.py``, so ``autogen_policy`` is off and the
grants are declared here, per function (Chalice's function names: ``api_handler`` for
the API, the ``@on_sqs_message`` / ``@schedule`` names for the others). A function reads
or writes a table, queries named indexes, and sends to named queues; a consumer may
also receive from and delete on its own queue (derived from ``app.event_sources``, not
declared). The template builder turns these into statements whose resources are the
template's own table, index and queue ARNs, and refuses to build when a function of the
app has no entry here. ``tests/infra/test_iam_audit.py`` runs the real handlers and
checks that every DynamoDB and SQS call they make is allowed by these grants.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
from chalicelib.store.strikes import StrikeModel

# Scan only where declared (scans()): request paths use keys and Queries.
READ_ACTIONS = ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:ConditionCheckItem")
WRITE_ACTIONS = ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
                 "dynamodb:ConditionCheckItem")
INDEX_ACTIONS = ("dynamodb:Query",)
SCAN_ACTIONS = ("dynamodb:Scan",)
DESCRIBE_ACTIONS = ("dynamodb:DescribeTable",)  # metadata (item counts), no items
# GetQueueUrl: the code resolves queue URLs by name (store.queues.queue_url).
SEND_ACTIONS = ("sqs:SendMessage", "sqs:GetQueueUrl")
# What Lambda's event source mapping does with the function's role.
CONSUME_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
                   "sqs:GetQueueAttributes")


@dataclass(frozen=True)
class TableUse:
    model: type[Model]
    write: bool = False
    indexes: tuple[str, ...] = ()
    scan: bool = False
    read: bool = True
    describe: bool = False


@dataclass(frozen=True)
class Grants:
    """A function's data access: tables (read or read-write, with the indexes it queries) and queues it sends to."""

    tables: tuple[TableUse, ...] = ()
    sends: tuple[str, ...] = ()  # keys of chalicelib.store.queues.QUEUES
    notes: str = field(default="", compare=False)


def reads(model: type[Model], *indexes: str) -> TableUse:
    return TableUse(model, write=False, indexes=indexes)


def writes(model: type[Model], *indexes: str) -> TableUse:
    """Read and write ``model``'s table (a writer reads too: conditions, transactions, read-back)."""
    return TableUse(model, write=True, indexes=indexes)


def scans(model: type[Model], write: bool = False) -> TableUse:
    """Read ``model``'s table, whole-table Scans included (batch jobs only)."""
    return TableUse(model, write=write, scan=True)


def describes(model: type[Model]) -> TableUse:
    """Only DescribeTable on ``model``'s table (its approximate item count), no item access."""
    return TableUse(model, read=False, describe=True)


# A grading run is sized from the item counts of the tables its map shards scan.
_SIZED_BY_GRADING = (describes(AccountModel), describes(AccountDayModel), describes(FanDayModel))

FUNCTION_GRANTS: dict[str, Grants] = {
    "api_handler": Grants(
        tables=(
            writes(AccountModel, "by_owner"),  # by_owner: the console's account switcher (GET /me/accounts)
            writes(HandleModel),
            writes(AccountNameModel),
            writes(FollowModel, "by_user"),
            writes(FanRosterModel),  # follow / unfollow keep the fan-out roster
            writes(FanCountModel),  # follow, unfollow and group changes move the fan distribution counters
            writes(PostModel, "by_account", "published_by_account", "published_by_account_section", "work_queue",
                   "buyer_show_wall"),
            writes(PostKeyModel),
            writes(QuotaCounterModel),
            writes(InboxModel, "by_section"),  # backfill on follow, removal on unfollow, stale-entry cleanup
            writes(IdempotencyModel),
            writes(LikeModel),
            writes(VoteModel),
            writes(CommentModel),
            writes(StrikeModel),  # moderators' rejections and releases
            writes(AuditModel, "by_actor"),
            writes(FingerprintModel),  # a moderator's approval indexes the post for plagiarism checks
            writes(AccountDayModel),  # the featured buyer-show push slot of the day
            reads(AccountHourModel),
            reads(HotListModel),
            writes(DeliveryModeModel),  # a follow can start a hybrid switch
            writes(PulledAccountModel),  # following a pulled account opens the fan's pull window
            writes(GradingRunModel),  # operators start runs by hand and read them;
            writes(GradingShardModel),
            *_SIZED_BY_GRADING,
            reads(GradeRecordModel),  # an owner's grade and history
            reads(StatusSnapshotModel),
            reads(NotificationModel, "by_order", "by_type"),  # the caller's list and unread count
            writes(NotificationSettingsModel),  # mutes and the read marker
            writes(TicketModel),  # realtime tickets
            writes(PresenceModel),  # long-polls and tickets keep the caller's events logged
            reads(EventLogModel),  # GET /me/events
            writes(CounterPushModel),  # a like, comment or vote schedules a post.counters push
            reads(DiscoveryProfileModel),  # suggestions and related accounts, from the daily job's lists
            writes(PopularListModel),  # read by suggestions; written when a start finishes a crashed run
            reads(SignalModel),
            writes(DismissalModel),
            writes(SuggestionRunModel),  # operators start related-accounts runs and read them
            reads(SuggestionShardModel),
            writes(HotPickModel, "by_list"),  # operators' picks; GET /hot reads the live ones
        ),
        sends=("moderation", "fanout", "activity", "grading", "new_products", "notifications", "push", "signals",
               "suggestions"),
        notes="every route; the API is one function",
    ),
    "moderation_consumer": Grants(
        tables=(
            writes(PostModel),
            writes(FingerprintModel),
            writes(AccountModel),  # three strikes send the account to H1
            writes(StrikeModel),
            writes(AuditModel),
            writes(AccountDayModel),  # posts published per day
            writes(IdempotencyModel),  # the once-marker that makes that count idempotent
            writes(QuotaCounterModel),  # a hook rejection gives the day's quota slot back
        ),
        sends=("fanout", "activity", "notifications"),
    ),
    "fanout_consumer": Grants(
        tables=(
            reads(PostModel),
            reads(FanRosterModel),
            writes(InboxModel),
            writes(FanoutProgressModel),
            writes(DeliveryModeModel),  # switch jobs finish a hybrid switch,
            writes(PulledAccountModel),  # open or close every follower's pull window,
            reads(AccountModel),  # and re-check the follower count when done
        ),
        sends=("fanout", "push"),  # feed.new for the followers present, after each page's inbox writes
    ),
    "activity_consumer": Grants(
        tables=(
            writes(FollowModel),  # is the reader a fan of the account? (and their last active days)
            writes(FanCountModel),  # fan distribution by activity
            writes(AccountDayModel),
            writes(AccountHourModel),
            writes(FanDayModel),
            writes(PostModel),  # post read counters
            writes(AppliedActivityModel),  # one marker per message, in its counters' transaction
        ),
    ),
    "publish_due": Grants(
        tables=(writes(PostModel, "work_queue"),),
        sends=("moderation",),
    ),
    # Auto 上新: listing events gather into windows (the account holds the open window's id);
    # a closed window becomes a system post sent to moderation.
    "new_products_consumer": Grants(
        tables=(
            writes(AccountModel),
            writes(ListingWindowModel),
            writes(WindowListingModel),
            writes(ProductMarkModel),
            writes(AccountDayModel),  # dropped listing events per day
            writes(PostModel),
        ),
        sends=("moderation",),
    ),
    "close_listing_windows": Grants(
        tables=(writes(ListingWindowModel, "due"),),
        sends=("new_products",),
    ),
    "grading_consumer": Grants(
        tables=(
            scans(AccountModel, write=True),  # map shards scan accounts; the apply step sets tiers
            scans(AccountDayModel),
            scans(FanDayModel),
            writes(GradingRunModel),
            writes(GradingShardModel),
            writes(GradingChunkModel),
            writes(GradeRecordModel),
            writes(StatusSnapshotModel),
        ),
        sends=("grading", "notifications"),
    ),
    "grading_monthly": Grants(
        tables=(writes(GradingRunModel), writes(GradingShardModel), *_SIZED_BY_GRADING),
        sends=("grading",),
    ),
    "grading_weekly": Grants(
        tables=(writes(GradingRunModel), writes(GradingShardModel), *_SIZED_BY_GRADING),
        sends=("grading",),
    ),
    "suggestions_consumer": Grants(
        tables=(
            scans(AccountModel),  # a shard is one scan segment of accounts; follower counts by key
            reads(FollowModel, "by_user"),  # follower samples, and each sampled follower's follows
            reads(PostModel, "published_by_account"),  # has the account ever published?
            writes(DiscoveryProfileModel),
            writes(PopularListModel),
            writes(SuggestionRunModel),
            writes(SuggestionShardModel),
        ),
    ),
    "suggestions_daily": Grants(
        # a run whose shards all committed before a crash is finished by its next start
        tables=(writes(SuggestionRunModel), reads(SuggestionShardModel), writes(PopularListModel),
                describes(AccountModel)),
        sends=("suggestions",),
    ),
    "signals_consumer": Grants(tables=(writes(SignalModel),)),
    "hot_list": Grants(
        tables=(reads(PostModel, "recent"), reads(AccountModel), writes(HotListModel)),
        sends=("notifications",),
    ),
    "notifications_consumer": Grants(
        tables=(
            reads(AccountModel),  # the owner to tell and the name to show
            writes(NotificationModel, "by_order"),  # the list and its trim
            writes(GroupHeadModel),
            writes(ActorMarkerModel),
            reads(NotificationSettingsModel),  # muted types
            reads(PresenceModel),  # only notifications of users present are pushed
        ),
        sends=("push",),
    ),
    # The WebSocket handlers record connections; they never manage them (no execute-api grant).
    "websocket_connect": Grants(
        tables=(writes(TicketModel), writes(ConnectionModel), writes(PresenceModel), reads(EventLogModel)),
        sends=("push",),  # closing a user's oldest connection is the push worker's job
    ),
    "websocket_message": Grants(
        tables=(writes(ConnectionModel), writes(SubscriptionModel), writes(PresenceModel),
                reads(EventLogModel)),
        sends=("push",),  # resume: the push worker replays
    ),
    "websocket_disconnect": Grants(
        tables=(writes(ConnectionModel), writes(PresenceModel), writes(SubscriptionModel), reads(EventLogModel)),
    ),
    "push_consumer": Grants(
        tables=(
            writes(ConnectionModel),  # gone connections are deleted
            writes(PresenceModel, "by_shard"),  # and leave their user's presence; pulled posts list who is present
            writes(SubscriptionModel),
            writes(EventLogModel),
            writes(CounterPushModel),
            reads(PostModel),
            reads(AccountModel),
            reads(FollowModel),  # does a present user follow a pulled account?
            reads(NotificationModel, "by_order"),  # the notification pushed and the unread count
            reads(NotificationSettingsModel),
        ),
    ),
}
