"""The fan-out's slice writer counts users written in order, never past a write still running."""

from __future__ import annotations

import threading
import time

from chalicelib.services.fanout import SliceWriter


def test_written_counts_up_to_the_first_write_not_done() -> None:
    # Given a writer of three slices at a time whose writes finish when told to
    release = {"a": threading.Event(), "b": threading.Event()}
    done: list[str] = []

    def write(part: list[str]) -> None:
        release[part[0][0]].wait(5)
        done.append(part[0][0])

    with SliceWriter(write, writers=3, slice_size=25) as writer:
        # When 25 users of slice "a", then 25 of slice "b", are added and "b" finishes first
        writer.add([f"a{i}" for i in range(25)])
        writer.add([f"b{i}" for i in range(25)])
        release["b"].set()
        while done != ["b"]:
            time.sleep(0.01)

        # Then none count as written until "a" is done too, then all 50 do
        assert (writer.queued, writer.written()) == (50, 0)
        release["a"].set()
        deadline = time.monotonic() + 5
        while writer.written() < 50 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert writer.written() == 50


def test_a_single_writer_counts_each_slice_as_it_returns() -> None:
    # Given a writer that writes inline
    with SliceWriter(lambda part: None, writers=1, slice_size=25) as writer:
        # When 60 users are added: two full slices written, ten buffered
        writer.add([f"u{i}" for i in range(60)])

        # Then 50 are written and 60 queued
        assert (writer.queued, writer.written()) == (60, 50)
