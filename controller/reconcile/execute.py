"""Carry out a plan: each action ends in one commit on the history branch, planned on its parent.

Every commit names the parent the plan was made on and carries this controller's lease
(``controller/lease.json``); if the branch moved meanwhile the commit is refused
(``HistoryConflict``) and the pass reads everything again. Grid actions (submit, cancel) and
e-mails happen only after a commit that holds the lease: one controller acts at a time, and what
it acts on is recorded before it acts, so a controller killed in between leaves attempts that the
next one finds unsubmitted and submits under the same names.
"""

from __future__ import annotations

import json
import os
import signal
from datetime import datetime, timedelta

from controller.config import Notifications
from controller.errors import WagonyardError
from controller.reconcile.context import Context
from controller.reconcile.desired import Main
from controller.reconcile.mail import Notice, notice_for_test, notice_for_train, send
from controller.reconcile.model import Action
from controller.reconcile.observed import (
    LEASE,
    History,
    Lease,
    notice_path,
    record_path,
    request_path,
)
from controller.records import TrainRecord, TrainTest, WagonInTrain
from controller.secrets import Masker
from controller.trainrun import act, compose, kill, retry, step
from controller.trainrun.advance import Step
from controller.trainrun.compose import train_id_of
from controller.wagontest.describe import FULL, Described, describe
from controller.wagontest.report import passed
from controller.wagontest.store import test_files


class Executor:
    def __init__(self, ctx: Context, main: Main, history: History, now: datetime) -> None:
        self.ctx, self.main, self.history, self.now = ctx, main, history, now
        self.head = history.head
        self.holds_lease = False
        self.commits: list[str] = []
        self.announce = ""

    # ------------------------------------------------------------------ committing

    def commit(self, files: dict[str, bytes], subject: str, body: str = "") -> None:
        if self.announce:  # the action, said once it changes something
            self.ctx.say(self.announce)
            self.announce = ""
        until = self.now + timedelta(seconds=self.ctx.config.controller.lease_s)
        lease = Lease(holder=self.ctx.me, until=until)
        files = {**files, LEASE: lease.model_dump_json(indent=1).encode() + b"\n"}
        message = subject + (f"\n\n{body}" if body else "")
        self.head = self.ctx.store.commit(files, message, parent=self.head)
        self.holds_lease = True
        self.commits.append(subject)
        self.ctx.say(f"  {self.head[:10]} {subject}")
        fault = os.environ.get("WAGONYARD_FAULT_AFTER_COMMIT")
        if fault and fault in subject:  # fault injection: die as a SIGKILL would, right here
            os.kill(os.getpid(), signal.SIGKILL)

    def ensure_lease(self) -> None:
        if not self.holds_lease:
            self.commit({}, f"controller {self.ctx.me} takes the lease")

    def save(self, record: TrainRecord, said: str, extra: dict[str, bytes] | None = None) -> None:
        files = {record_path(record.train_id): _json(record)}
        self.commit({**files, **(extra or {})}, f"train {record.train_id}: {said}")
        self.history.records[record.train_id] = record

    # ------------------------------------------------------------------ actions

    def run(self, action: Action) -> None:
        self.announce = f"- {action.line()}"
        handler = getattr(self, "do_" + action.kind.replace("-", "_"))
        handler(action)

    def do_refuse(self, action: Action) -> None:
        assert action.request is not None
        self.commit(
            {request_path(action.request): _json_of({"outcome": "refused", "why": action.reason})},
            f"request {action.request} refused",
            action.reason,
        )

    def do_test(self, action: Action) -> None:
        from controller.wagontest.run import run_tests
        from controller.wagontest.store import previous_case

        assert action.dataset is not None
        main, ds = self.main, action.dataset
        selected = {ref: "changed on main, not tested at this version" for ref in action.wagons}
        report = run_tests(
            main.catalog,
            selected,
            self.ctx.data_root,
            self.ctx.home / "tests",
            main.commit,
            lambda d, n: previous_case(self.ctx.store, d, n),
            [ds],
            {ds: main.code_dirs.get(ds, {})},
            self.ctx.config.storage,
        )
        versions = main.versions.get(ds, {})
        for d in report.datasets:
            for case in d.cases:
                if case.kind == "wagon":
                    case.version = versions.get(case.name, "")
        files, _ = test_files(report)
        statuses = [
            f"{c.name} {c.status}" for d in report.datasets for c in d.cases if c.kind == "wagon"
        ]
        self.commit(files, f"wagon test on {ds}: {', '.join(statuses)}", action.reason)

    def do_compose(self, action: Action) -> None:
        assert action.dataset is not None
        main, ds = self.main, action.dataset
        key = f"{main.commit}{action.request or ''}{sorted(action.wagons)}"
        train_id = train_id_of(ds, self.now.replace(microsecond=0), key)
        wagons: list[WagonInTrain] = []
        try:
            wagons = self._described(action)
            record = self._compose(action, wagons, train_id)
        except WagonyardError as exc:  # its files vanished or cannot be read: the train fails
            record = TrainRecord(
                train_id=train_id,
                dataset=ds,
                catalog_commit=main.commit,
                backend=self.ctx.backend.name,
                state="failed",
                created=self.now,
                finished=self.now,
                trigger=action.reason,
                request=action.request,
                wagons=wagons,
                message=f"cannot compose the train: {exc}",
            )
        extra = {}
        if action.request:
            extra[request_path(action.request)] = _json_of(
                {"outcome": "carried out", "train": record.train_id, "why": action.reason}
            )
        if record.state == "failed":
            self.save(record, f"failed at composition: {record.message[:300]}", extra)
            return
        self.save(
            record,
            f"composed on {ds} with {len(action.wagons)} wagon(s), {len(record.jobs)} jobs",
            extra,
        )

    def _described(self, action: Action) -> list[WagonInTrain]:
        """The train's wagons, described by a sandboxed child, with their versions and code."""
        main = self.main
        assert action.dataset is not None
        ds = action.dataset
        work = self.ctx.home / "describe" / main.commit[:12] / ds
        code = main.code_dirs.get(ds, {})
        plans = describe(
            main.catalog, ds, [], list(action.wagons), work, Masker.of(os.environ), code
        )
        described = plans.get(FULL)
        if not isinstance(described, Described):
            raise WagonyardError(f"its wagons cannot be loaded: {described}")
        versions, commits = main.versions.get(ds, {}), main.code_commits.get(ds, {})
        return [
            w.model_copy(
                update={"version": versions.get(w.ref, ""), "code_commit": commits.get(w.ref)}
            )
            for w in described.wagons
        ]

    def _compose(self, action: Action, wagons: list[WagonInTrain], train_id: str) -> TrainRecord:
        main = self.main
        assert action.dataset is not None
        ds = action.dataset
        record, _ = compose(
            main.catalog,
            ds,
            main.commit,
            self.ctx.data_root,
            self.ctx.home / "outputs",
            self.ctx.backend.name,
            wagons=list(action.wagons),
            now=self.now,
            described=wagons,
            train_id=train_id,
            trigger=action.reason,
            request=action.request,
            merge_fan_in=self.ctx.config.grid.merge_fan_in,
            code_dirs=main.code_dirs.get(ds, {}),
            storage=self.ctx.config.storage,
        )
        return record

    def do_test_train(self, action: Action) -> None:
        from controller.wagontest.run import test_train

        assert action.train is not None
        record = self.history.records[action.train].model_copy(deep=True)
        if record.state == "composed":
            record.state = "testing"
            self.save(record, "testing: the full train and the merge on the test sample")
        cases = test_train(
            self.main.catalog,
            record.dataset,
            record.wagons,
            self.ctx.data_root,
            self.ctx.home / "tests",
            record.catalog_commit,
            self.ctx.config.storage,
        )
        ok = all(passed(c) for c in cases) and len(cases) == 2
        reasons = [f"{c.name}: {r}" for c in cases for r in c.reasons]
        worst = "failed" if not ok else ("warning" if reasons else "done")
        record.test = TrainTest(status=worst, reasons=reasons)
        if not ok:
            record.state, record.finished = "test-failed", self.now
            record.message = "; ".join(reasons) or "the train test failed"
            self.save(record, f"test-failed: {record.message[:200]}")
            return
        record.state = "submitted"
        s = step(record, self.ctx.backend, self.now)
        self._carry(s, "train test passed; " + "; ".join(s.said))

    def do_advance(self, action: Action) -> None:
        assert action.train is not None
        record = self.history.records[action.train]
        s = step(record, self.ctx.backend, self.now)
        self._carry(s, "; ".join(s.said) or _progress(s.record))

    def do_kill(self, action: Action) -> None:
        assert action.train is not None and action.request is not None
        s = kill(self.history.records[action.train], action.reason, self.now)
        self._carry(s, f"killed by request {action.request}", self._done(action, s.record))

    def do_retry(self, action: Action) -> None:
        assert action.train is not None and action.request is not None
        s = retry(self.history.records[action.train], action.reason, self.now)
        self._carry(s, "; ".join(s.said), self._done(action, s.record))

    def _done(self, action: Action, record: TrainRecord) -> dict[str, bytes]:
        assert action.request is not None
        return {
            request_path(action.request): _json_of(
                {"outcome": "carried out", "train": record.train_id, "why": action.reason}
            )
        }

    def _carry(self, s: Step, said: str, extra: dict[str, bytes] | None = None) -> None:
        """Commit the step's record (if it changed), then do what it says on the grid."""
        before = self.history.records.get(s.record.train_id)
        if before is None or s.record != before or extra:
            self.save(s.record, said, extra)
        if s.submit or s.cancel:
            self.ensure_lease()
            act(s, self.ctx.backend)

    def do_notify(self, action: Action) -> None:
        assert action.notice is not None
        config = self.ctx.config
        settings = config.notifications  # links go to site.url unless the mail has its own
        if settings.site_url is None and config.site.url:
            settings = settings.model_copy(update={"site_url": config.site.url})
        catalog = self.main.catalog
        if action.train:
            record = self.history.records[action.train]
            notice = notice_for_train(
                action.notice, record, catalog, settings, str(self.ctx.home / "outputs")
            )
        else:
            assert action.dataset is not None
            ref = action.wagons[0]
            from controller.wagontest.store import previous_case

            case = previous_case(self.ctx.store, action.dataset, ref)
            reasons = case.reasons if case else []
            notice = notice_for_test(action.notice, action.dataset, ref, reasons, catalog, settings)
        self.ensure_lease()
        notice = _mailed(notice, settings)
        self.commit(
            {notice_path(action.notice): _json(notice)},
            f"notify {', '.join(notice.to) or 'nobody'}: {notice.subject}"
            + ("" if notice.sent or not settings.smtp_host else " (not sent)"),
            notice.error,
        )


def _mailed(notice: Notice, settings: Notifications) -> Notice:
    if not settings.smtp_host or not notice.to:
        return notice
    try:
        send(notice, settings)
    except WagonyardError as exc:
        return notice.model_copy(update={"error": str(exc)})
    return notice.model_copy(update={"sent": True})


def _progress(record: TrainRecord) -> str:
    counts: dict[str, int] = {}
    for j in record.jobs:
        counts[j.state] = counts.get(j.state, 0) + 1
    line = f"{record.state}: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    merged = [m.name.rsplit("-", 1)[-1] for m in record.merges if m.state == "done"]
    return line + (f"; merged {', '.join(merged)}" if merged else "")


def _json(model: TrainRecord | Notice) -> bytes:
    return model.model_dump_json(indent=1).encode() + b"\n"


def _json_of(data: dict[str, str]) -> bytes:
    return json.dumps(data, indent=1).encode() + b"\n"
