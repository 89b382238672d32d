"""The turnaround policies decide on timings alone (no clock, no grid)."""

from controller.trainrun.policies import Timing, express_drop, relax_locality


def jobs(done: list[float], open_: list[float]) -> list[Timing]:
    return [Timing(True, t) for t in done] + [Timing(False, t) for t in open_]


def test_express_waits_below_98_percent_done() -> None:
    assert express_drop(jobs([10.0] * 97, [1000.0] * 3)) == []


def test_express_drops_stragglers_once_98_percent_are_done() -> None:
    assert express_drop(jobs([10.0] * 98, [31.0, 500.0])) == [98, 99]


def test_express_waits_while_an_open_job_is_still_within_typical() -> None:
    assert express_drop(jobs([10.0] * 98, [29.0, 500.0])) == []


def test_nothing_open_nothing_dropped() -> None:
    assert express_drop(jobs([10.0] * 5, [])) == []
    assert express_drop([]) == []


def test_locality_is_relaxed_at_90_percent() -> None:
    assert not relax_locality(89, 100)
    assert relax_locality(90, 100)
    assert not relax_locality(0, 0)
