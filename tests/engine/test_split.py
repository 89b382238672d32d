"""Splitting a dataset into jobs by files or by events, storage elements kept together."""

from controller.catalog.models import Splitting
from controller.engine.split import InputFile, split_files


def test_files_per_job_groups_by_storage_element() -> None:
    files = [
        InputFile("a1", 10, "se-a"),
        InputFile("b1", 10, "se-b"),
        InputFile("a2", 10, "se-a"),
        InputFile("a3", 10, "se-a"),
    ]
    jobs = split_files(files, Splitting(files_per_job=2))
    assert [[s.path for s in job] for job in jobs] == [["a1", "a2"], ["a3"], ["b1"]]
    assert all(len({s.storage_element for s in job}) == 1 for job in jobs)


def test_events_per_job_cuts_files_into_ranges_covering_every_entry_once() -> None:
    files = [InputFile("f1", 250), InputFile("f2", 130)]
    jobs = split_files(files, Splitting(events_per_job=100))
    ranges = [[(s.path, s.entry_start, s.entry_stop) for s in job] for job in jobs]
    assert ranges == [
        [("f1", 0, 100)],
        [("f1", 100, 200)],
        [("f1", 200, 250), ("f2", 0, 50)],
        [("f2", 50, 130)],
    ]
    covered = sum((s.entry_stop or 0) - s.entry_start for job in jobs for s in job)
    assert covered == 380
