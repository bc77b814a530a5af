"""`make run`'s WebSocket bridge: real sockets, the very handlers Lambda calls, frames from the push worker."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from app import app
from chalicelib.auth import issue_dev_token
from local.ws_bridge import Bridge
from tests.flows import follow_all, new_account, nine_grid, publish


@pytest.fixture
def bridge(stack: None) -> Iterator[Bridge]:
    running = Bridge(app).start()
    yield running
    running.stop()


def test_a_socket_gets_feed_new_pongs_resumes_and_a_bad_ticket_is_a_401(api, run_workers, bridge) -> None:
    url = f"ws://127.0.0.1:{bridge.port}/"
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{url}?ticket=forged", open_timeout=10)
    assert refused.value.response.status_code == 401

    account = new_account(api, "owner")
    follow_all(api, account["account_id"], ["fan"])
    ticket = api.as_user("fan").post("/me/realtime/tickets").json
    assert ticket["url"] == url
    with connect(f"{url}?ticket={ticket['ticket']}", open_timeout=10) as socket:
        socket.send(json.dumps({"action": "ping"}))
        assert json.loads(socket.recv(timeout=10)) == {"type": "pong"}
        post = publish(api, "owner", account["account_id"], nine_grid())
        run_workers()
        frame = json.loads(socket.recv(timeout=10))
        assert frame["type"] == "feed.new" and frame["item"]["post_id"] == post["post_id"]
        assert frame["item"]["display_name"] == account["display_name"]

    # A token works locally too; resuming from before the frame replays it
    with connect(f"{url}?token={issue_dev_token('fan')}", open_timeout=10) as socket:
        socket.send(json.dumps({"action": "resume", "since": frame["event_id"] - 1}))
        run_workers()
        assert json.loads(socket.recv(timeout=10)) == frame
