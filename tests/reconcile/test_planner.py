"""The pure planner: what the controller decides from main, the history and a (fake) clock."""

from __future__ import annotations

from datetime import UTC, datetime

from controller.reconcile.model import (
    DatasetWant,
    Desired,
    Observed,
    RequestWant,
    TestSeen,
    TrainSeen,
    WagonWant,
)
from controller.reconcile.planner import last_due, plan

T = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)
A, B, C = "ana/a", "ana/b", "ana/c"


def ds(*wagons: WagonWant, cron: str | None = "0 2 * * *", min_wagons: int = 1,
       warnings: bool = False) -> Desired:  # fmt: skip
    return Desired("c0ffee", {"d": DatasetWant("d", cron, min_wagons, warnings, wagons)})


def seen_tests(*pairs: tuple[str, str, str]) -> dict[tuple[str, str], TestSeen]:
    return {("d", ref): TestSeen(version, status) for ref, version, status in pairs}  # type: ignore[arg-type]


def kinds(desired: Desired, observed: Observed, now: datetime = T) -> list[str]:
    return [a.kind for a in plan(desired, observed, now).actions]


def test_the_most_recent_due_time_of_a_cron() -> None:
    assert last_due("0 2 * * *", T) == datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
    assert last_due("0 2 * * *", datetime(2026, 11, 28, 1, 59, tzinfo=UTC)) == datetime(
        2026, 11, 27, 2, 0, tzinfo=UTC
    )
    assert last_due("0 2 * * *", datetime(2026, 11, 28, 2, 0, tzinfo=UTC)).hour == 2


def test_untested_and_changed_wagons_are_tested_blocked_ones_wait() -> None:
    desired = ds(WagonWant(A, "v2"), WagonWant(B, "v1"), WagonWant(C, "v1", blocked="no tag"))
    result = plan(desired, Observed(tests=seen_tests((A, "v1", "done"))), T)
    (test,) = [a for a in result.actions if a.kind == "test"]
    assert test.wagons == (A, B)
    assert "ana/c on d: no tag" in result.waiting


def test_a_train_is_composed_when_the_cron_is_due_and_enough_wagons_are_ready() -> None:
    desired = ds(WagonWant(A, "v1"), WagonWant(B, "v1"), min_wagons=2)
    one = Observed(tests=seen_tests((A, "v1", "done"), (B, "v1", "failed")))
    result = plan(desired, one, T)
    assert [a.kind for a in result.actions] == ["notify"]  # B's failed test, nothing composed
    assert any("1 wagon(s) ready of min_wagons 2" in w for w in result.waiting)
    both = Observed(tests=seen_tests((A, "v1", "done"), (B, "v1", "done")))
    (compose,) = plan(desired, both, T).actions
    assert compose.kind == "compose" and compose.wagons == (A, B)
    assert compose.reason == (
        "dataset d: 2 wagon(s) tested done; cron 0 2 * * * due at 2026-11-28 02:00"
    )


def test_not_again_before_the_next_due_time_nor_the_same_train_twice() -> None:
    desired = ds(WagonWant(A, "v1"))
    tests = seen_tests((A, "v1", "done"))
    after = TrainSeen("t1", "d", "done", datetime(2026, 11, 28, 2, 30, tzinfo=UTC), ((A, "v1"),))
    assert (
        kinds(desired, Observed(tests=tests, trains=(after,), notified=frozenset({"train/t1"})))
        == []
    )
    before = TrainSeen("t0", "d", "done", datetime(2026, 11, 27, 2, 30, tzinfo=UTC), ((A, "v1"),))
    seen = Observed(tests=tests, trains=(before,), notified=frozenset({"train/t0"}))
    assert kinds(desired, seen) == []  # due again, but the same wagons at the same versions
    changed = ds(WagonWant(A, "v2"))
    seen2 = Observed(
        tests=seen_tests((A, "v2", "done")), trains=(before,), notified=frozenset({"train/t0"})
    )
    (compose,) = plan(changed, seen2, T).actions
    assert compose.reason.startswith("dataset d: 1 wagon(s) tested done since the last train")


def test_warnings_count_only_where_the_dataset_allows_them() -> None:
    tests = Observed(tests=seen_tests((A, "v1", "warning")))
    assert kinds(ds(WagonWant(A, "v1")), tests) == []
    assert kinds(ds(WagonWant(A, "v1"), warnings=True), tests) == ["compose"]


def test_no_cron_no_automatic_train() -> None:
    assert (
        kinds(ds(WagonWant(A, "v1"), cron=None), Observed(tests=seen_tests((A, "v1", "done"))))
        == []
    )


def test_running_trains_advance_ended_ones_are_notified_once() -> None:
    trains = (
        TrainSeen("t1", "d", "running", T, ((A, "v1"),), 2, 4),
        TrainSeen("t2", "d", "composed", T),
        TrainSeen("t3", "d", "failed", T),
        TrainSeen("t4", "d", "done", T),
    )
    observed = Observed(
        tests=seen_tests((A, "v1", "done")), trains=trains, notified=frozenset({"train/t4"})
    )
    actions = plan(ds(WagonWant(A, "v1")), observed, T).actions
    assert [(a.kind, a.train) for a in actions] == [
        ("advance", "t1"), ("test-train", "t2"), ("notify", "t3"),
    ]  # fmt: skip
    assert actions[0].reason == "running: 2 of 4 jobs open"


def test_requests_run_kill_retry_each_once() -> None:
    desired = Desired(
        "c0ffee",
        {"d": DatasetWant("d", None, 1, False, (WagonWant(A, "v1"), WagonWant(B, "v1")))},
        (
            RequestWant("run-now", "run", "new calibration", dataset="d", wagons=(A,)),
            RequestWant("stop", "kill", "wrong files", train="t1"),
            RequestWant("again", "retry", "site was down", train="t2"),
            RequestWant("late", "kill", "too late", train="t3"),
            RequestWant("old", "run", "done already", dataset="d"),
        ),
    )
    trains = (
        TrainSeen("t1", "d", "running", T, (), 1, 1),
        TrainSeen("t2", "d", "failed", T),
        TrainSeen("t3", "d", "done", T),
    )
    observed = Observed(
        tests=seen_tests((A, "v1", "done"), (B, "v1", "done")),
        trains=trains,
        requests_done=frozenset({"old"}),
        notified=frozenset({"train/t2", "train/t3"}),
    )
    actions = plan(desired, observed, T).actions
    by_request = {a.request: a for a in actions if a.request}
    assert by_request["stop"].kind == "kill" and by_request["stop"].train == "t1"
    assert by_request["again"].kind == "retry" and by_request["again"].train == "t2"
    assert by_request["late"].kind == "refuse" and "already ended done" in by_request["late"].reason
    assert "old" not in by_request
    # t1 is still running on d: the run request waits for it instead of being refused
    assert "run-now" not in by_request
    assert any(
        "run-now" in w and "waits for train t1" in w for w in plan(desired, observed, T).waiting
    )
    # t1 is being killed: no advance for it in the same plan
    assert not any(a.kind == "advance" and a.train == "t1" for a in actions)


def test_a_run_request_waits_for_tests_and_refuses_failed_wagons() -> None:
    def desired(*wagons: str) -> Desired:
        return Desired(
            "c0ffee",
            {"d": DatasetWant("d", None, 1, False, (WagonWant(A, "v1"), WagonWant(B, "v2")))},
            (RequestWant("r", "run", "now", dataset="d", wagons=wagons),),
        )

    stale = Observed(tests=seen_tests((A, "v1", "done"), (B, "v1", "done")))
    result = plan(desired(A, B), stale, T)
    assert [a.kind for a in result.actions] == ["test"]
    assert any("waits for the tests of ana/b" in w for w in result.waiting)
    failed = Observed(tests=seen_tests((A, "v1", "done"), (B, "v2", "failed")),
                      notified=frozenset({f"test/d/{B}/v2"}))  # fmt: skip
    (refuse,) = plan(desired(A, B), failed, T).actions
    assert refuse.kind == "refuse" and "latest test failed for ana/b" in refuse.reason
    (compose,) = plan(desired(A), failed, T).actions
    assert compose.kind == "compose" and compose.wagons == (A,) and compose.request == "r"


def test_a_failed_test_of_the_current_version_is_notified_once() -> None:
    desired = ds(WagonWant(A, "v1"))
    failed = Observed(tests=seen_tests((A, "v1", "failed")))
    (notify,) = plan(desired, failed, T).actions
    assert notify.kind == "notify" and notify.notice == "test/d/ana/a/v1"
    again = Observed(tests=failed.tests, notified=frozenset({"test/d/ana/a/v1"}))
    assert plan(desired, again, T).actions == ()
