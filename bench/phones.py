"""``python -m bench.phones URL``: WebSocket clients in a process of their own (the phones of a bench).

Reads one token per line on stdin (to its end), connects a client per
token to ``URL?token=...``, prints ``open`` once all are connected, then one line
``<post_id> <monotonic seconds>`` per ``feed.new`` frame received. The clock is the
machine's monotonic one, the same in every process. Stops on SIGTERM.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time


async def client(url: str, token: str, ready: list[int], total: int) -> None:
    from websockets.asyncio.client import connect

    async with connect(f"{url}?token={token}", max_queue=None) as socket:
        ready.append(1)
        if len(ready) == total:
            print("open", flush=True)
        async for raw in socket:
            frame = json.loads(raw)
            if frame.get("type") == "feed.new":
                print(f"{frame['item']['post_id']} {time.monotonic()}", flush=True)


async def main(url: str, tokens: list[str]) -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    ready: list[int] = []
    tasks = [asyncio.create_task(client(url, t, ready, len(tokens))) for t in tokens]
    await stop.wait()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], [line.strip() for line in sys.stdin if line.strip()]))
