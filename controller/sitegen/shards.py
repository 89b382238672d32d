"""Run the trains' side of a build (``trains.TrainShard``) over every core: one forked process
per core reads and validates its share of the records as soon as the history branch is listed
(while this process reads the catalog and the tests), summarizes them once it is sent the
context, streams the summaries back, then writes its trains' pages and downloads while this
process makes every other page. Each record is parsed once, in one process; only plain tuples
cross (``model.pack``). A small site runs its one shard in this process. A shard that fails or
dies is an error naming it, and no shard is left running.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Mapping
from functools import partial
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from controller.errors import WagonyardError
from controller.sitegen import recall
from controller.sitegen.forks import can_fork, receive, serve, spawn, stop
from controller.sitegen.model import DatasetFiles, Records, TrainBrief, TrainSummary, pack, unpack
from controller.sitegen.pagecache import Entry
from controller.sitegen.recall import code_key
from controller.sitegen.trains import (
    PageSetup,
    TrainContext,
    TrainShard,
    twice,
)

PARALLEL_FROM = 2000  # records; below, forking costs more than it saves
CHUNK = 5000  # summaries a shard sends at a time: this process unpacks them as they come
Previous = Mapping[str, TrainBrief | None]
Setup = Callable[[frozenset[str]], PageSetup]  # the trains' ids -> how to write pages


class Shards:
    """The trains of a build, split over ``workers`` processes (one: this process)."""

    def __init__(self, source: Records, workers: int, cache: Path | None = None) -> None:
        self.source = source
        self.cache = cache  # where the shards keep their summaries for the next build
        self.code = code_key() if cache is not None else ""
        self.parts = workers if can_fork() and len(source) >= PARALLEL_FROM and workers > 1 else 1
        self.local: TrainShard | None = None
        self.setup: Setup | None = None
        self.children: list[tuple[Any, Connection]] = []
        self.owner: dict[str, int] = {}  # train id -> its shard
        self.previous: Previous = {}

    def begin(self) -> None:
        """Fork the shards: each reads and validates its records at once, then waits for
        ``summaries`` to send it the context. (One shard: nothing to do yet.)"""
        if self.parts == 1 or self.children:
            return
        for index in range(self.parts):
            self.children.append(spawn(_child, (self, index), f"site-shard-{index}"))

    def summaries(
        self, context: TrainContext, setup: Setup
    ) -> tuple[list[TrainSummary], dict[str, DatasetFiles], list[str]]:
        """Every train's summary, newest first; per dataset the files of its newest done train;
        warnings about records that cannot be read. ``setup``: how a shard writes its train
        pages (sent to the shards: a picklable function of the trains' ids)."""
        summaries: list[TrainSummary] = []
        files: dict[str, DatasetFiles] = {}
        warnings: list[str] = []
        self.setup = setup
        if self.parts == 1:
            self.local = TrainShard(self.source, 0, 1, recall.load(self.cache, self.code))
            summaries = list(self.local.summaries(context))
            files = self.local.files()
            warnings = list(self.local.warnings)
            recall.keep(self.cache, 0, self.code, self.local.remembered())
            self.owner = dict.fromkeys((s.train_id for s in summaries), 0)
        else:
            self.begin()
            told = pickle.dumps((context, setup), pickle.HIGHEST_PROTOCOL)
            for index in range(len(self.children)):
                self._send(index, told)
            waiting: dict[Any, int] = {conn: i for i, (_, conn) in enumerate(self.children)}
            while waiting:
                for conn in wait(list(waiting)):
                    index = waiting[conn]
                    message = self._receive(index)
                    if message[0] == "part":
                        part = [unpack(t) for t in message[1]]
                        for s in part:
                            if s.train_id in self.owner:  # and in another shard
                                warnings.append(twice(s.train_id))
                                continue
                            summaries.append(s)
                            self.owner[s.train_id] = index
                        continue
                    del waiting[conn]
                    found, said = message[1], message[2]
                    warnings += said
                    for name, f in found.items():
                        if name not in files or (f.created, f.train_id) > (
                            files[name].created,
                            files[name].train_id,
                        ):
                            files[name] = f
        warnings.sort()  # the same whichever shard answered first
        summaries.sort(key=lambda s: (s.record.created, s.train_id), reverse=True)
        return summaries, files, warnings

    def start(self, previous: Previous) -> None:
        """Start writing the train pages (in the forked shards; this process's own shard
        waits for ``finish``)."""
        ids = frozenset(self.owner)
        if not self.children:
            self.previous = previous
            return
        shares: list[dict[str, tuple[Any, ...] | None]] = [{} for _ in self.children]
        for train_id, index in self.owner.items():
            before = previous.get(train_id)
            # what a train's page reads of its previous train: not its wagons nor jobs
            shares[index][train_id] = (
                None if before is None else tuple(before._replace(wagons=(), job_states=()))
            )
        for index, share in enumerate(shares):
            self._send(index, pickle.dumps((share, ids), pickle.HIGHEST_PROTOCOL))

    def finish(self) -> tuple[list[Entry], list[str]]:
        """Wait for every train page and download; the page cache's entries and the files."""
        recall.forget_parts(self.cache, self.parts)
        if self.local is not None:
            assert self.setup is not None, "summaries() first"
            return self.local.write(self.previous, self.setup(frozenset(self.owner)))
        entries: list[Entry] = []
        kept: list[str] = []
        for index in range(len(self.children)):
            found, written = self._receive(index)
            entries += found
            kept += written
        self.close()
        return entries, kept

    def close(self) -> None:
        """Stop every shard still running (after an error) and reap them all."""
        for child, conn in self.children:
            stop(child, conn)
        self.children = []

    def _send(self, index: int, data: bytes) -> None:
        try:
            self.children[index][1].send_bytes(data)
        except OSError:  # it ended: say how
            self._receive(index)
            raise WagonyardError(
                f"the site build's shard {index + 1} of {self.parts} stopped listening"
            ) from None

    def _receive(self, index: int) -> Any:
        child, conn = self.children[index]
        which = f"the site build's shard {index + 1} of {self.parts} (the trains' pages)"
        return receive(child, conn, which)


def _child(conn: Connection, shards: Shards, index: int) -> None:
    """A forked shard: its records read at once; given the context, their summaries; given
    each train's previous, their pages and downloads."""
    serve(conn, partial(_shard, shards, index))


def _shard(shards: Shards, index: int, conn: Connection) -> None:
    shard = TrainShard(shards.source, index, shards.parts, recall.load(shards.cache, shards.code))
    context, setup = pickle.loads(conn.recv_bytes())
    packed: list[tuple[Any, ...]] = []
    for summary in shard.summaries(context):
        packed.append(pack(summary))
        if len(packed) == CHUNK:
            conn.send_bytes(pickle.dumps(("ok", "part", packed), pickle.HIGHEST_PROTOCOL))
            packed = []
    if packed:
        conn.send_bytes(pickle.dumps(("ok", "part", packed), pickle.HIGHEST_PROTOCOL))
    del packed
    found = shard.files()
    recall.keep(shards.cache, index, shards.code, shard.remembered())
    conn.send_bytes(pickle.dumps(("ok", "done", found, shard.warnings), pickle.HIGHEST_PROTOCOL))
    share, ids = pickle.loads(conn.recv_bytes())
    previous = {train_id: None if t is None else TrainBrief(*t) for train_id, t in share.items()}
    entries, kept = shard.write(previous, setup(ids))
    conn.send_bytes(pickle.dumps(("ok", entries, kept), pickle.HIGHEST_PROTOCOL))
