"""What each train offers for download: its merged output, its record as stored in git, its
input files and the commands that reproduce it. ``offered`` lists them for the train's page:
the text files (record, input list, commands: a few kB) go into the link itself as ``data:``
URLs, so that a site of 100,000 trains is not 300,000 files more; the merged output is the one
file of the site, which the train's shard links or copies (``trains``). Paths of this machine
are never published.
"""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path

from controller.records import TrainRecord
from controller.sitegen.formats import Hide, public
from controller.sitegen.gather import under
from controller.sitegen.model import Download, download_path

OUTPUT = "AnalysisResults.root"
WHAT = {
    OUTPUT: "the merged output",
    "record.json": "the train record: the wagons' frozen configurations, every job and attempt",
    "inputs.txt": "the input files (path, first entry, end entry)",
    "reproduce.sh": "the commands that run it again",
}


def merged_output(recorded: str | None, outputs_root: Path) -> Path | None:
    """The train's merged output (``recorded``: its path in the record), if it is here: the
    one download that is a file of the site."""
    if recorded is None:
        return None
    merged = under(recorded, outputs_root)
    return Path(merged) if os.path.isfile(merged) else None


def offered(
    record: TrainRecord, raw: bytes | None, merged: Path | None, hide: Hide
) -> tuple[Download, ...]:
    """The train's downloads, in the order its page lists them; ``raw``: the record as stored
    in git (else it is written out again), ``merged``: its ``merged_output``."""
    found: list[Download] = []
    for name, what in WHAT.items():
        if name == OUTPUT:
            if merged is not None:
                found.append(Download(name, what, download_path(record.train_id, name)))
            continue
        if name == "record.json":
            text = partial(_record, record, raw, hide)
        elif name == "inputs.txt":
            text = partial(_inputs, record, hide)
        else:
            text = partial(_reproduce, record)
        found.append(Download(name, what, text=text))
    return tuple(found)


def _record(record: TrainRecord, raw: bytes | None, hide: Hide) -> str:
    return public(raw.decode() if raw else record.model_dump_json(indent=1), hide)


def _inputs(record: TrainRecord, hide: Hide) -> str:
    slices = sorted(
        {
            f"{s.path}\t{s.entry_start}\t{'' if s.entry_stop is None else s.entry_stop}"
            for j in record.jobs
            for s in j.files
        }
    )
    return public("".join(line + "\n" for line in slices), hide)


def _reproduce(r: TrainRecord) -> str:
    wagons = " ".join(f"--wagon {ref}" for ref in sorted({w.ref for w in r.wagons if w.enabled}))
    versions = ", ".join(f"{k} {v}" for k, v in sorted(r.versions.items()))
    return (
        "#!/bin/sh\n"
        f"# Run train {r.train_id} again on this machine: the catalog at the commit it ran,\n"
        "# the same wagons and dataset, in one process (wagonyard run).\n"
        + (f"# It ran with: {versions}\n" if versions else "")
        + "set -e\n"
        f"git checkout {r.catalog_commit}\n"
        f"wagonyard run --dataset {r.dataset} {wagons} --catalog catalog "
        f"-o reproduce-{r.train_id}\n"
    )
