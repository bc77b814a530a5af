"""What the sharded jobs' tables share (grading, related accounts): a run item, its shard items, their writes.

Each job has its own two tables (their models subclass :class:`RunModel` and
:class:`ShardModel`) and one :class:`RunTables` over them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Generic, TypeVar

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from chalicelib.store.base import applied


class RunModel(Model):
    """A run of a job: running until its last shard commits, then done with the summary of its shards."""

    run_id = UnicodeAttribute(hash_key=True)
    status = UnicodeAttribute(default="running")  # running | done
    started_at = UTCDateTimeAttribute()
    finished_at = UTCDateTimeAttribute(null=True)
    accounts_estimate = NumberAttribute(default=0)
    summary = JSONAttribute(null=True)


class ShardModel(Model):
    """A shard of a run: how many times it started and, once it finished (first attempt wins), its part."""

    run_id = UnicodeAttribute(hash_key=True)
    shard_id = UnicodeAttribute(range_key=True)
    attempts = NumberAttribute(default=0)
    finished_at = UTCDateTimeAttribute(null=True)  # set once, when the shard is done
    summary = JSONAttribute(null=True)


R = TypeVar("R", bound=RunModel)
S = TypeVar("S", bound=ShardModel)


class RunTables(Generic[R, S]):
    """The reads and writes of one job's run and shard tables (every read consistent)."""

    def __init__(self, runs: type[R], shards: type[S]) -> None:
        self.runs, self.shards = runs, shards

    def create_run(self, run: R) -> bool:
        """Write a new run; False when the run already exists (it is never replaced)."""
        return applied(lambda: run.save(condition=self.runs.run_id.does_not_exist()))

    def get_run(self, run_id: str) -> R | None:
        try:
            return self.runs.get(run_id, consistent_read=True)
        except self.runs.DoesNotExist:
            return None

    def finish_run(self, run_id: str, summary: dict[str, Any], at: datetime, also: Iterable[Action] = ()) -> bool:
        """Store the summary and mark the run done (with ``also``), once."""
        actions = [self.runs.status.set("done"), *also, self.runs.summary.set(summary), self.runs.finished_at.set(at)]
        return applied(lambda: self.runs(run_id).update(actions=actions, condition=self.runs.status == "running"))

    def note_attempt(self, run_id: str, shard_id: str) -> None:
        """Count a start of a shard (how many tries a shard needed shows in the run's shard items)."""
        self.shards(run_id, shard_id).update(actions=[self.shards.attempts.add(1)])

    def commit_shard(self, run_id: str, shard_id: str, at: datetime, summary: dict[str, Any] | None = None,
                     also: Iterable[Action] = ()) -> bool:
        """Mark a shard done with its part (``summary``, ``also``); False when another attempt finished it first."""
        actions = [self.shards.finished_at.set(at), *also]
        if summary is not None:
            actions.append(self.shards.summary.set(summary))
        return applied(lambda: self.shards(run_id, shard_id).update(
            actions=actions, condition=self.shards.finished_at.does_not_exist()))

    def shards_of(self, run_id: str) -> list[S]:
        return list(self.shards.query(run_id, consistent_read=True))

    def finished_shards(self, run_id: str) -> dict[str, S]:
        """The run's shards that are done, by shard id."""
        return {shard.shard_id: shard for shard in self.shards_of(run_id) if shard.finished_at}

    def get_shard(self, run_id: str, shard_id: str) -> S | None:
        try:
            return self.shards.get(run_id, shard_id, consistent_read=True)
        except self.shards.DoesNotExist:
            return None
