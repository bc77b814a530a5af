"""The fixes every moto of this project gets (``local.environment.patch_moto``) keep moto's answers."""

from __future__ import annotations

import copy
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.sqs.models import Message, Queue, sqs_backends

from local import environment
from local.environment import REGION, patch_moto

ACCOUNT = "123456789012"


@pytest.mark.parametrize("value", [
    {"SS": ["1796175797035|fan-000001", "1796175797036|小米粉丝", "😀"]},
    {"NS": ["1", "-0.5", "123456789012345678901234567890"]},
    {"BS": [b"\x00\x01", b"weitao"]},
    {"S": "小米官方旗舰店"},
    {"N": "42"},
    {"L": [{"SS": ["a", "bc"]}, {"N": "7"}]},
    {"M": {"members": {"SS": ["x", "yz"]}, "n": {"NS": ["10"]}}},
])
def test_a_value_has_the_size_moto_gives_it_without_the_fix(value: dict) -> None:
    # Given moto with the project's fixes
    patch_moto()
    wrapped = DynamoType.size
    # When a value is sized by the fixed and by the original code
    fixed, unfixed = wrapped(DynamoType(value)), wrapped.__wrapped__(DynamoType(value))  # type: ignore[attr-defined]
    # Then both agree
    assert fixed == unfixed


def test_an_item_with_a_big_set_is_sized_like_moto_sizes_it() -> None:
    # Given a fan roster page of 1,000 members
    patch_moto()
    members = [f"{1796175797035 + i:013d}|粉丝{i:06d}" for i in range(1000)]
    item = Item(DynamoType({"S": "acct"}), DynamoType({"S": "07#0000001"}),
                {"account_id": {"S": "acct"}, "page": {"S": "07#0000001"}, "members": {"SS": members}})
    # When it is sized
    size = item.size()
    # Then it is its keys' and members' bytes, as DynamoDB counts them
    expected = sum(len(k) for k in ("account_id", "page", "members")) + len("acct") + len("07#0000001") + sum(
        len(m.encode()) for m in members)
    assert size == expected


@pytest.fixture
def three_partitions() -> Iterator[tuple[Any, str]]:
    """A table with a local and a global index, and 3 partitions of 30 items each."""
    client = boto3.client("dynamodb")
    name = f"moto-fix-{uuid.uuid4().hex[:8]}"
    key = [{"AttributeName": "user_id", "KeyType": "HASH"}]
    client.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[*key, {"AttributeName": "feed_key", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"}
                              for a in ("user_id", "feed_key", "section_key", "account_id")],
        LocalSecondaryIndexes=[{"IndexName": "by_section", "Projection": {"ProjectionType": "ALL"},
                                "KeySchema": [*key, {"AttributeName": "section_key", "KeyType": "RANGE"}]}],
        GlobalSecondaryIndexes=[{"IndexName": "by_account", "Projection": {"ProjectionType": "ALL"},
                                 "KeySchema": [{"AttributeName": "account_id", "KeyType": "HASH"}]}])
    for user in ("fan-a", "fan-b", "fan-c"):
        for n in range(30):
            section = "new" if n % 3 else "live"
            client.put_item(TableName=name, Item={
                "user_id": {"S": user}, "feed_key": {"S": f"{n:04d}"}, "section_key": {"S": f"{section}#{n:04d}"},
                "account_id": {"S": f"shop-{n % 2}"}})
    try:
        yield client, name
    finally:
        client.delete_table(TableName=name)


def _all_pages(client: Any, **query: Any) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    while True:
        page = client.query(**query)
        found += [(i["user_id"]["S"], i["feed_key"]["S"]) for i in page["Items"]]
        if "LastEvaluatedKey" not in page:
            return found
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def test_a_query_answers_from_its_own_partition_page_by_page(three_partitions: tuple[Any, str]) -> None:
    # Given three partitions of 30 items
    client, name = three_partitions
    # When one partition is read newest first, 7 items a page, on the table and its local index
    table = _all_pages(client, TableName=name, KeyConditionExpression="user_id = :u",
                       ExpressionAttributeValues={":u": {"S": "fan-b"}}, ScanIndexForward=False, Limit=7)
    section = _all_pages(client, TableName=name, IndexName="by_section", Limit=7,
                         KeyConditionExpression="user_id = :u AND begins_with(section_key, :s)",
                         ExpressionAttributeValues={":u": {"S": "fan-b"}, ":s": {"S": "new#"}})
    # Then each answer holds that partition's items alone, in key order, each once
    assert table == [("fan-b", f"{n:04d}") for n in reversed(range(30))]
    assert section == [("fan-b", f"{n:04d}") for n in range(30) if n % 3]


def test_a_global_index_and_a_missing_partition_still_answer(three_partitions: tuple[Any, str]) -> None:
    # Given three partitions whose items belong to two shops
    client, name = three_partitions
    # When the global index is read for one shop, and the table for a user with no items
    by_shop = _all_pages(client, TableName=name, IndexName="by_account", KeyConditionExpression="account_id = :a",
                         ExpressionAttributeValues={":a": {"S": "shop-1"}}, Limit=10)
    nobody = _all_pages(client, TableName=name, KeyConditionExpression="user_id = :u",
                        ExpressionAttributeValues={":u": {"S": "fan-z"}})
    # Then the shop's items come from every partition, and the missing user has none (and stays missing)
    assert sorted(by_shop) == sorted((u, f"{n:04d}") for u in ("fan-a", "fan-b", "fan-c") for n in range(1, 30, 2))
    assert nobody == []
    assert client.scan(TableName=name, Select="COUNT")["Count"] == 90


@pytest.mark.parametrize("host", ["dynamodb.ap-southeast-1.amazonaws.com", "sqs.ap-southeast-1.amazonaws.com",
                                  "execute-api.ap-southeast-1.amazonaws.com", "moto_api", "dynamodb", None])
def test_a_host_is_served_by_the_backend_moto_would_find(host: str | None) -> None:
    # Given moto with the project's fixes, asked twice for the same host
    patch_moto()
    dispatcher = DomainDispatcherApplication(create_app=lambda backend: None)  # type: ignore[arg-type,return-value]
    remembered = [DomainDispatcherApplication.get_backend_for_host(dispatcher, host) for _ in range(2)]
    # When moto's own lookup answers
    found = DomainDispatcherApplication.get_backend_for_host.__wrapped__(dispatcher, host)  # type: ignore[attr-defined]
    # Then the remembered backend is that one, both times
    assert remembered == [found, found]


def _queue_with_messages(name: str, **attributes: Any) -> Queue:
    backend = sqs_backends[ACCOUNT][REGION]
    if "dlq" not in backend.queues:
        backend.create_queue("dlq")
    queue = Queue(name, region=REGION, account_id=ACCOUNT, **attributes)
    for n in range(3):
        message = Message(f"m-{n}", f"body {n}")
        message.mark_sent(delay_seconds=30 if n == 2 else 0)
        queue.add_message(message)
    return queue


@pytest.mark.parametrize("name, attributes", [
    ("plain", {}),
    ("orders.fifo", {"FifoQueue": "true", "ContentBasedDeduplication": "true"}),
    ("with-dlq", {"RedrivePolicy": '{"deadLetterTargetArn": "arn:aws:sqs:ap-southeast-1:123456789012:dlq", '
                                   '"maxReceiveCount": 5}', "VisibilityTimeout": "360"}),
    ("encrypted", {"KmsMasterKeyId": "alias/weitao", "Policy": '{"Version": "2012-10-17", "Statement": []}'}),
])
def test_a_queue_has_the_attributes_moto_gives_it(name: str, attributes: dict[str, str]) -> None:
    # Given moto with the project's fixes, and a queue holding visible and delayed messages
    patch_moto()
    queue = _queue_with_messages(name, **attributes)
    # When its attributes are read whole, by the fixed and by moto's own code
    fixed, unfixed = dict(queue.attributes), environment._MOTO_QUEUE_ATTRIBUTES.fget(queue)
    # Then they are the same names with the same values
    assert fixed == unfixed


class _CountedMessages(list):  # type: ignore[type-arg]
    reads = 0

    def __iter__(self) -> Iterator[Any]:
        type(self).reads += 1
        return super().__iter__()


def test_reading_one_attribute_does_not_count_the_messages() -> None:
    # Given a queue of 3 messages whose message list counts how often it is walked
    patch_moto()
    queue = _queue_with_messages("deep")
    queue._messages = _CountedMessages(queue._messages)
    # When the attribute every send reads is read, then a count
    deduplication = queue.attributes.get("ContentBasedDeduplication")
    walks_for_one = _CountedMessages.reads
    count = queue.attributes["ApproximateNumberOfMessages"]
    # Then the first read walked no message, and the count walked them once
    assert (deduplication, walks_for_one) == (None, 0)
    assert (count, _CountedMessages.reads) == (2, 1)


def test_a_fifo_queue_still_drops_a_duplicate_by_its_content() -> None:
    # Given a FIFO queue with content-based deduplication on the project's moto
    client = boto3.client("sqs")
    url = client.create_queue(QueueName=f"dedup-{uuid.uuid4().hex[:8]}.fifo",
                              Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
    try:
        # When the same body is sent twice, and another once
        for body in ("小米14 上新", "小米14 上新", "another"):
            client.send_message(QueueUrl=url, MessageBody=body, MessageGroupId="g")
        attributes = client.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        # Then the queue holds two messages, and says it deduplicates by content
        assert attributes["ApproximateNumberOfMessages"] == "2"
        assert attributes["ContentBasedDeduplication"] == "true"
    finally:
        client.delete_queue(QueueUrl=url)


@pytest.fixture
def fine_thread_switching() -> Iterator[None]:
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # the threads below interleave inside moto's calls, as a busy server's do
    yield
    sys.setswitchinterval(before)


def test_deletes_and_sends_at_once_lose_nothing_and_bring_nothing_back(fine_thread_switching: None) -> None:
    # Given moto with the project's fixes and a queue of 2,000 messages, all received
    patch_moto()
    backend = sqs_backends[ACCOUNT][REGION]
    name = f"busy-{uuid.uuid4().hex[:8]}"
    queue = backend.create_queue(name)
    for n in range(2000):
        backend.send_message(name, f"old {n}")
    received: list[Message] = []
    while len(received) < 2000:
        received += backend.receive_message(name, 2000, 0, 300)
    handles = [m.receipt_handle for m in received]

    # When four pollers delete them all while a producer sends 500 more
    def delete(part: list[str]) -> None:
        for handle in part:
            backend.delete_message(name, handle)

    def send() -> None:
        for n in range(500):
            backend.send_message(name, f"new {n}")

    threads = [threading.Thread(target=delete, args=(handles[k::4],)) for k in range(4)]
    threads.append(threading.Thread(target=send))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then exactly the 500 new messages are left: no deleted one came back, no sent one was dropped
    assert sorted(m.body for m in queue._messages) == sorted(f"new {n}" for n in range(500))


def test_a_long_poll_lets_a_send_through_and_answers_with_it() -> None:
    # Given moto with the project's fixes and an empty queue, long-polled for up to 5 s
    patch_moto()
    backend = sqs_backends[ACCOUNT][REGION]
    name = f"idle-{uuid.uuid4().hex[:8]}"
    backend.create_queue(name)
    answers: list[list[Message]] = []
    poller = threading.Thread(target=lambda: answers.append(backend.receive_message(name, 10, 5, 30)))
    poller.start()
    # When a message is sent while the receive waits
    time.sleep(0.2)
    sent = time.monotonic()
    backend.send_message(name, "小米14 上新")
    poller.join()
    # Then the send did not wait for the poll, and the poll answered with the message
    assert [m.body for m in answers[0]] == ["小米14 上新"]
    assert time.monotonic() - sent < 2.5


@pytest.fixture
def counters_table() -> Iterator[Any]:
    client = boto3.client("dynamodb")
    name = f"counters-{uuid.uuid4().hex[:8]}"
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "user_id", "KeyType": "HASH"},
                                   {"AttributeName": "n", "KeyType": "RANGE"}],
                        AttributeDefinitions=[{"AttributeName": "user_id", "AttributeType": "S"},
                                              {"AttributeName": "n", "AttributeType": "N"}])
    yield client, name
    client.delete_table(TableName=name)


def _items(client: Any, name: str) -> list[dict[str, Any]]:
    items = client.scan(TableName=name, ConsistentRead=True)["Items"]
    return sorted(items, key=lambda i: (i["user_id"]["S"], i["n"]["N"]))


def test_a_cancelled_transaction_leaves_every_item_as_it_was(counters_table: tuple[Any, str]) -> None:
    # Given a table with two counters
    client, name = counters_table
    for user in ("fan-1", "fan-2"):
        client.put_item(TableName=name, Item={"user_id": {"S": user}, "n": {"N": "0"}, "seq": {"N": "5"}})
    before = _items(client, name)
    # When a transaction updates one, deletes the other, puts a new item and then fails a condition
    with pytest.raises(client.exceptions.TransactionCanceledException) as cancelled:
        client.transact_write_items(TransactItems=[
            {"Update": {"TableName": name, "Key": {"user_id": {"S": "fan-1"}, "n": {"N": "0"}},
                        "UpdateExpression": "ADD seq :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}},
            {"Delete": {"TableName": name, "Key": {"user_id": {"S": "fan-2"}, "n": {"N": "0"}}}},
            {"Put": {"TableName": name, "Item": {"user_id": {"S": "fan-3"}, "n": {"N": "0"}}}},
            {"ConditionCheck": {"TableName": name, "Key": {"user_id": {"S": "fan-1"}, "n": {"N": "1"}},
                                "ConditionExpression": "attribute_exists(user_id)"}},
        ])
    # Then it names the failed condition, and the table holds exactly what it held before
    assert [r["Code"] for r in cancelled.value.response["CancellationReasons"]] == [
        "None", "None", "None", "ConditionalCheckFailed"]
    assert _items(client, name) == before


def test_a_committed_transaction_writes_every_item_without_copying_the_table(
        counters_table: tuple[Any, str], monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a table of 200 items, and moto's transaction code watched for table copies
    client, name = counters_table
    for n in range(200):
        client.put_item(TableName=name, Item={"user_id": {"S": f"fan-{n:03d}"}, "n": {"N": "0"}, "seq": {"N": "1"}})
    copied: list[str] = []
    deepcopy = copy.deepcopy
    monkeypatch.setattr(copy, "deepcopy", lambda value, memo=None: copied.append(type(value).__name__)
                        or deepcopy(value, memo))
    # When one transaction adds to 100 of them
    client.transact_write_items(TransactItems=[
        {"Update": {"TableName": name, "Key": {"user_id": {"S": f"fan-{n:03d}"}, "n": {"N": "0"}},
                    "UpdateExpression": "ADD seq :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}}
        for n in range(100)])
    # Then those 100 read 2 and the others 1, and the table itself was never copied
    seqs = [int(i["seq"]["N"]) for i in _items(client, name)]
    assert seqs == [2] * 100 + [1] * 100
    assert "Table" not in copied and copied.count("Item") >= 100
