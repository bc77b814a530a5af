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

from chalicelib.store import tables  # the one registry of the platform's models

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
_SIZED_BY_GRADING = (describes(tables.AccountModel), describes(tables.AccountDayModel), describes(tables.FanDayModel))

FUNCTION_GRANTS: dict[str, Grants] = {
    "api_handler": Grants(
        tables=(
            writes(tables.AccountModel, "by_owner"),  # by_owner: the console's account switcher (GET /me/accounts)
            writes(tables.HandleModel),
            writes(tables.AccountNameModel),
            writes(tables.FollowModel, "by_user"),
            writes(tables.FanRosterModel),  # follow / unfollow keep the fan-out roster
            writes(tables.FanCountModel),  # follow, unfollow and group changes move the fan distribution counters
            writes(tables.PostModel, "by_account", "published_by_account", "published_by_account_section",
                   "work_queue", "buyer_show_wall"),
            writes(tables.PostKeyModel),
            writes(tables.QuotaCounterModel),
            writes(tables.InboxModel, "by_section"),  # backfill on follow, removal on unfollow, stale-entry cleanup
            writes(tables.IdempotencyModel),
            writes(tables.LikeModel),
            writes(tables.VoteModel),
            writes(tables.CommentModel),
            writes(tables.StrikeModel),  # moderators' rejections and releases
            writes(tables.AuditModel, "by_actor"),
            writes(tables.FingerprintModel),  # a moderator's approval indexes the post for plagiarism checks
            writes(tables.AccountDayModel),  # the featured buyer-show push slot of the day
            reads(tables.AccountHourModel),
            reads(tables.HotListModel),
            writes(tables.DeliveryModeModel),  # a follow can start a hybrid switch
            writes(tables.PulledAccountModel),  # following a pulled account opens the fan's pull window
            writes(tables.GradingRunModel),  # operators start runs by hand and read them;
            writes(tables.GradingShardModel),
            *_SIZED_BY_GRADING,
            reads(tables.GradeRecordModel),  # an owner's grade and history
            reads(tables.StatusSnapshotModel),
            reads(tables.NotificationModel, "by_order", "by_type"),  # the caller's list and unread count
            writes(tables.NotificationSettingsModel),  # mutes and the read marker
            writes(tables.TicketModel),  # realtime tickets
            writes(tables.PresenceModel),  # long-polls and tickets keep the caller's events logged
            reads(tables.EventLogModel),  # GET /me/events
            writes(tables.CounterPushModel),  # a like, comment or vote schedules a post.counters push
            reads(tables.DiscoveryProfileModel),  # suggestions and related accounts, from the daily job's lists
            writes(tables.PopularListModel),  # read by suggestions; written when a start finishes a crashed run
            reads(tables.SignalModel),
            writes(tables.DismissalModel),
            writes(tables.SuggestionRunModel),  # operators start related-accounts runs and read them
            reads(tables.SuggestionShardModel),
            writes(tables.HotPickModel, "by_list"),  # operators' picks; GET /hot reads the live ones
            # operators' and moderators' run-time configuration; comment checks read it
            writes(tables.RuntimeConfigModel),
        ),
        sends=("moderation", "fanout", "activity", "grading", "new_products", "notifications", "push", "signals",
               "suggestions"),
        notes="every route; the API is one function",
    ),
    "moderation_consumer": Grants(
        tables=(
            writes(tables.PostModel),
            writes(tables.FingerprintModel),
            writes(tables.AccountModel),  # three strikes send the account to H1
            writes(tables.StrikeModel),
            writes(tables.AuditModel),
            writes(tables.AccountDayModel),  # posts published per day
            writes(tables.IdempotencyModel),  # the once-marker that makes that count idempotent
            writes(tables.QuotaCounterModel),  # a hook rejection gives the day's quota slot back
            reads(tables.RuntimeConfigModel),  # the live banned words and spam rules
        ),
        sends=("fanout", "activity", "notifications"),
    ),
    "fanout_consumer": Grants(
        tables=(
            reads(tables.PostModel),
            reads(tables.FanRosterModel),
            writes(tables.InboxModel),
            writes(tables.FanoutProgressModel),
            writes(tables.DeliveryModeModel),  # switch jobs finish a hybrid switch,
            writes(tables.PulledAccountModel),  # open or close every follower's pull window,
            reads(tables.AccountModel),  # and re-check the follower count when done
        ),
        sends=("fanout", "push"),  # feed.new for the followers present, after each page's inbox writes
    ),
    "activity_consumer": Grants(
        tables=(
            writes(tables.FollowModel),  # is the reader a fan of the account? (and their last active days)
            writes(tables.FanCountModel),  # fan distribution by activity
            writes(tables.AccountDayModel),
            writes(tables.AccountHourModel),
            writes(tables.FanDayModel),
            writes(tables.PostModel),  # post read counters
            writes(tables.AppliedActivityModel),  # one marker per message, in its counters' transaction
        ),
    ),
    "publish_due": Grants(
        tables=(writes(tables.PostModel, "work_queue"),),
        sends=("moderation",),
    ),
    # Auto 上新: listing events gather into windows (the account holds the open window's id);
    # a closed window becomes a system post sent to moderation.
    "new_products_consumer": Grants(
        tables=(
            writes(tables.AccountModel),
            writes(tables.ListingWindowModel),
            writes(tables.WindowListingModel),
            writes(tables.ProductMarkModel),
            writes(tables.AccountDayModel),  # dropped listing events per day
            writes(tables.PostModel),
        ),
        sends=("moderation",),
    ),
    "close_listing_windows": Grants(
        tables=(writes(tables.ListingWindowModel, "due"),),
        sends=("new_products",),
    ),
    "grading_consumer": Grants(
        tables=(
            scans(tables.AccountModel, write=True),  # map shards scan accounts; the apply step sets tiers
            scans(tables.AccountDayModel),
            scans(tables.FanDayModel),
            writes(tables.GradingRunModel),
            writes(tables.GradingShardModel),
            writes(tables.GradingChunkModel),
            writes(tables.GradeRecordModel),
            writes(tables.StatusSnapshotModel),
        ),
        sends=("grading", "notifications"),
    ),
    "grading_monthly": Grants(
        tables=(writes(tables.GradingRunModel), writes(tables.GradingShardModel), *_SIZED_BY_GRADING),
        sends=("grading",),
    ),
    "grading_weekly": Grants(
        tables=(writes(tables.GradingRunModel), writes(tables.GradingShardModel), *_SIZED_BY_GRADING),
        sends=("grading",),
    ),
    "suggestions_consumer": Grants(
        tables=(
            scans(tables.AccountModel),  # a shard is one scan segment of accounts; follower counts by key
            reads(tables.FollowModel, "by_user"),  # follower samples, and each sampled follower's follows
            reads(tables.PostModel, "published_by_account"),  # has the account ever published?
            writes(tables.DiscoveryProfileModel),
            writes(tables.PopularListModel),
            writes(tables.SuggestionRunModel),
            writes(tables.SuggestionShardModel),
        ),
    ),
    "suggestions_daily": Grants(
        # a run whose shards all committed before a crash is finished by its next start
        tables=(writes(tables.SuggestionRunModel), reads(tables.SuggestionShardModel), writes(tables.PopularListModel),
                describes(tables.AccountModel)),
        sends=("suggestions",),
    ),
    "signals_consumer": Grants(tables=(writes(tables.SignalModel),)),
    "hot_list": Grants(
        tables=(reads(tables.PostModel, "recent"), reads(tables.AccountModel), writes(tables.HotListModel),
                reads(tables.RuntimeConfigModel)),  # the live hot-list weights
        sends=("notifications",),
    ),
    "notifications_consumer": Grants(
        tables=(
            reads(tables.AccountModel),  # the owner to tell and the name to show
            writes(tables.NotificationModel, "by_order"),  # the list and its trim
            writes(tables.GroupHeadModel),
            writes(tables.ActorMarkerModel),
            reads(tables.NotificationSettingsModel),  # muted types
            reads(tables.PresenceModel),  # only notifications of users present are pushed
        ),
        sends=("push",),
    ),
    # The WebSocket handlers record connections; they never manage them (no execute-api grant).
    "websocket_connect": Grants(
        tables=(writes(tables.TicketModel), writes(tables.ConnectionModel), writes(tables.PresenceModel),
                reads(tables.EventLogModel)),
        sends=("push",),  # closing a user's oldest connection is the push worker's job
    ),
    "websocket_message": Grants(
        tables=(writes(tables.ConnectionModel), writes(tables.SubscriptionModel), writes(tables.PresenceModel),
                reads(tables.EventLogModel)),
        sends=("push",),  # resume: the push worker replays
    ),
    "websocket_disconnect": Grants(
        tables=(writes(tables.ConnectionModel), writes(tables.PresenceModel), writes(tables.SubscriptionModel),
                reads(tables.EventLogModel)),
    ),
    "push_consumer": Grants(
        tables=(
            writes(tables.ConnectionModel),  # gone connections are deleted
            # and leave their user's presence; pulled posts list who is present
            writes(tables.PresenceModel, "by_shard"),
            writes(tables.SubscriptionModel),
            writes(tables.EventLogModel),
            writes(tables.CounterPushModel),
            reads(tables.PostModel),
            reads(tables.AccountModel),
            reads(tables.FollowModel),  # does a present user follow a pulled account?
            reads(tables.FanRosterModel),  # the followers of the roster pages a fan-out page announced
            reads(tables.NotificationModel, "by_order"),  # the notification pushed and the unread count
            reads(tables.NotificationSettingsModel),
        ),
    ),
}
