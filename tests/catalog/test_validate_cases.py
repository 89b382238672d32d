"""One broken file per validation rule: 'wagonyard validate' fails naming the file, the line,
the field and what is wrong, never with a traceback."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import CliResult

Edit = Callable[[Path], None]

ZMUMU = "analyses/zmumu"
KINEMATICS = f"{ZMUMU}/wagons/muon-kinematics.yaml"
MASS = f"{ZMUMU}/wagons/dimuon-mass.yaml"
SELECTION = f"{ZMUMU}/wagons/muon-selection.yaml"
DIMUON = "datasets/cms-2010-dimuon.yaml"
HZZ = "datasets/hzz-mc.yaml"
RUNLIST = "runlists/run2010b-dimuon.yaml"
REQUEST = "trains/rerun.yaml"
REQUEST_RUN = """# yaml-language-server: $schema=../../schema/train-request.schema.json
name: rerun
action: run
dataset: cms-2010-dimuon
wagons: [zmumu/dimuon-mass, muon-kinematics]
reason: the new muon calibration
requested_by: octocat
"""
REQUEST_KILL = """# yaml-language-server: $schema=../../schema/train-request.schema.json
name: rerun
action: kill
train: cms-2010-dimuon-20240102-030405-abcdef
reason: it reads the wrong files
"""

BOMB = b"""a: &a [x, x, x, x, x, x, x, x, x, x]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
"""

EXTRA_TASKS = """
from controller.engine.task import Task


class Typo(Task):
    columns = ("pt_1",)

    def process(self, events, out):
        return None


class Shadow(Task):
    columns = ("pt1",)
    produces = ("pt1",)

    def process(self, events, out):
        return {"pt1": events.pt1 * 1.01}


class Twin(Task):
    columns = ("pt1",)
    produces = ("good_pair",)

    def process(self, events, out):
        return {"good_pair": events.pt1 > 0}
"""
SELECTION_USER = """name: selection-user
task: tasks:DimuonMass
depends_on: [muon-selection]
enabled: [{dataset: cms-2010-dimuon}]
"""
TYPO = "name: typo\ntask: extra:Typo\nenabled: [{dataset: cms-2010-dimuon}]\n"
SHADOW = "name: shadow\ntask: extra:Shadow\nenabled: [{dataset: cms-2010-dimuon}]\n"
TWIN = "name: twin\ntask: extra:Twin\nenabled: [{dataset: cms-2010-dimuon}]\n"
TWIN_USER = """name: twin-user
task: tasks:DimuonMass
depends_on: [muon-selection, twin]
enabled: [{dataset: cms-2010-dimuon}]
"""


def replace(rel: str, old: str | bytes, new: str | bytes) -> Edit:
    def edit(catalog: Path) -> None:
        path = catalog / rel
        data = path.read_bytes()
        old_b = old.encode() if isinstance(old, str) else old
        new_b = new.encode() if isinstance(new, str) else new
        assert old_b in data, f"{old_b!r} is not in {rel}"
        path.write_bytes(data.replace(old_b, new_b, 1))

    return edit


def write(rel: str, content: str | bytes) -> Edit:
    def edit(catalog: Path) -> None:
        path = catalog / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)

    return edit


def copy(rel: str, to: str) -> Edit:
    def edit(catalog: Path) -> None:
        (catalog / to).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(catalog / rel, catalog / to)

    return edit


def move(rel: str, to: str) -> Edit:
    def edit(catalog: Path) -> None:
        (catalog / rel).rename(catalog / to)

    return edit


@dataclass(frozen=True)
class Case:
    id: str
    edits: tuple[Edit, ...]
    path: str
    line: int | None
    message: str
    json_path: str = ""
    hint: str = ""


def case(
    id: str,
    edit: Edit | tuple[Edit, ...],
    path: str,
    line: int | None,
    message: str,
    json_path: str = "",
    hint: str = "",
) -> Case:
    edits = edit if isinstance(edit, tuple) else (edit,)
    return Case(id, edits, f"catalog/{path}", line, message, json_path, hint)


CASES = [
    # --- the YAML of one file
    case(
        "file-over-1-MiB",
        write("datasets/huge.yaml", b"# " + b"x" * (1 << 20) + b"\n"),
        "datasets/huge.yaml",
        None,
        "over the limit of 1,048,576 bytes",
    ),
    case("empty-file", write("runlists/empty.yaml", b""), "runlists/empty.yaml", 1, "empty file"),
    case(
        "only-comments",
        write("datasets/later.yaml", "# to do\n\n# really\n"),
        "datasets/later.yaml",
        1,
        "empty file",
    ),
    case(
        "not-utf8",
        replace(HZZ, b"title: Simulated", b"title: Simul\xe9ted"),
        HZZ,
        3,
        "not UTF-8: byte 0xe9",
        hint="save the file as UTF-8",
    ),
    case(
        "tab-in-indentation",
        replace(SELECTION, "  eta_max: 2.1", "\teta_max: 2.1"),
        SELECTION,
        7,
        "tab character in the indentation",
        hint="YAML forbids tabs for indentation; use spaces",
    ),
    case(
        "yaml-syntax-error",
        replace(KINEMATICS, "pt_bins: 50", "pt_bins: [50"),
        KINEMATICS,
        7,
        "YAML syntax error",
    ),
    case(
        "duplicate-key",
        replace(MASS, "  high: 120.0\n", "  high: 120.0\n  bins: 70\n"),
        MASS,
        10,
        "duplicate key 'bins' (first at line 7)",
        json_path="config.bins",
    ),
    case(
        "alias-bomb",
        write("datasets/bomb.yaml", BOMB),
        "datasets/bomb.yaml",
        5,
        "too many aliases expand",
    ),
    case(
        "non-string-key",
        replace(SELECTION, "  opposite_charge: true", "  opposite_charge: true\n  yes: 1"),
        SELECTION,
        9,
        "key 'yes' is read as a boolean, but keys must be strings",
        hint="quote it",
    ),
    case(
        "top-level-not-a-mapping",
        write("runlists/list.yaml", "- run: 1\n- run: 2\n"),
        "runlists/list.yaml",
        1,
        "must be a mapping of fields",
    ),
    case(
        "multiple-documents",
        replace(
            RUNLIST, "    quality: good\n  - run: 148031", "    quality: good\n---\n  - run: 1"
        ),
        RUNLIST,
        8,
        "a second YAML document starts here",
    ),
    case(
        "unknown-alias",
        replace(KINEMATICS, "pt_bins: 50", "pt_bins: *bins"),
        KINEMATICS,
        6,
        "unknown alias '*bins'",
    ),
    # --- files in the wrong place, and each file against its model
    case(
        "wagon-in-datasets",
        copy(SELECTION, "datasets/muon-selection.yaml"),
        "datasets/muon-selection.yaml",
        2,
        "this looks like a wagon file; catalog/datasets/ holds datasets",
        hint="move it to catalog/analyses/<analysis>/wagons/",
    ),
    case(
        "dataset-in-runlists",
        copy(HZZ, "runlists/hzz-mc.yaml"),
        "runlists/hzz-mc.yaml",
        2,
        "this looks like a dataset file; catalog/runlists/ holds run lists",
        hint="move it to catalog/datasets/",
    ),
    case(
        "yml-extension",
        move(RUNLIST, "runlists/run2010b-dimuon.yml"),
        "runlists/run2010b-dimuon.yml",
        None,
        "catalog files end in '.yaml'",
        hint="rename it to run2010b-dimuon.yaml",
    ),
    case(
        "json-extension",
        write(f"{ZMUMU}/wagons/extra.json", '{"name": "extra", "task": "tasks:DimuonMass"}'),
        f"{ZMUMU}/wagons/extra.json",
        None,
        "catalog files end in '.yaml'",
        hint="rename it to extra.yaml",
    ),
    case(
        "analysis-folder-without-analysis-yaml",
        write("analyses/higgs/wagons/.keep", ""),
        "analyses/higgs/",
        None,
        "analysis folder without analysis.yaml",
        hint="add catalog/analyses/higgs/analysis.yaml",
    ),
    case(
        "missing-field",
        replace(
            f"{ZMUMU}/analysis.yaml",
            "title: Z boson to muon pairs in 2010 pp collisions at 7 TeV\n",
            "",
        ),
        f"{ZMUMU}/analysis.yaml",
        2,
        "missing required field 'title'",
        json_path="title",
    ),
    case(
        "unknown-field",
        replace(KINEMATICS, "description:", "descripton:"),
        KINEMATICS,
        4,
        "unknown field 'descripton'",
        json_path="descripton",
        hint="did you mean 'description'?",
    ),
    case(
        "name-pattern",
        replace(KINEMATICS, "  - dataset: cms-2010-dimuon\n", "  - dataset: CMS-2010\n"),
        KINEMATICS,
        9,
        "'CMS-2010' is not a valid name: it must match [a-z0-9][a-z0-9_-]*",
        json_path="enabled[0].dataset",
    ),
    case(
        "name-differs-from-file-name",
        replace(KINEMATICS, "name: muon-kinematics", "name: muon-kinematic"),
        KINEMATICS,
        2,
        "'muon-kinematic' differs from the file name 'muon-kinematics.yaml'",
        json_path="name",
    ),
    case(
        "analysis-name-differs-from-folder",
        replace(f"{ZMUMU}/analysis.yaml", "name: zmumu", "name: z-mumu"),
        f"{ZMUMU}/analysis.yaml",
        2,
        "'z-mumu' differs from the folder name 'zmumu'",
        json_path="name",
    ),
    case(
        "wrong-type",
        replace(DIMUON, "energy_tev: 7.0", "energy_tev: seven"),
        DIMUON,
        6,
        "Input should be a valid number",
        json_path="energy_tev",
    ),
    case(
        "unknown-code-source",
        replace(
            KINEMATICS,
            "  - dataset: cms-2010-dimuon-large",
            "  - dataset: cms-2010-dimuon-large\n    code: {source: branch}",
        ),
        KINEMATICS,
        11,
        "unknown source 'branch': use one of composition, tag, pull-request",
        json_path="enabled[1].code.source",
    ),
    case(
        "data-without-runlist",
        replace(DIMUON, "runlist: run2010b-dimuon\n", ""),
        DIMUON,
        2,
        "a dataset of type 'data' needs a 'runlist'",
    ),
    case(
        "data-by-paths-without-run-branch",
        replace(DIMUON, "run_branch: Run\n", ""),
        DIMUON,
        2,
        "a dataset of type 'data' with 'paths' needs a 'run_branch' (the branch holding each "
        "event's run number), so that its run list can be applied",
    ),
    case(
        "cron-out-of-range",
        replace(DIMUON, "limits:", "schedule:\n  cron: 0 25 * * *\nlimits:"),
        DIMUON,
        22,
        "'0 25 * * *' is not a valid cron expression: its hour '25' is out of range",
        json_path="schedule.cron",
        hint="for example '0 2 * * *': every day at 02:00 UTC",
    ),
    case(
        "cron-with-seconds",
        replace(DIMUON, "limits:", "schedule:\n  cron: 0 0 2 * * *\nlimits:"),
        DIMUON,
        22,
        "'0 0 2 * * *' has 6 fields: seconds are not taken",
        json_path="schedule.cron",
        hint="for example '0 2 * * *'",
    ),
    # --- train requests: each action's own fields
    case(
        "run-request-without-dataset",
        write(REQUEST, REQUEST_RUN.replace("dataset: cms-2010-dimuon\n", "")),
        REQUEST,
        3,
        "a 'run' request needs 'dataset'",
        json_path="dataset",
        hint="add 'dataset: <name>', a dataset of catalog/datasets/",
    ),
    case(
        "kill-request-without-train",
        write(REQUEST, REQUEST_KILL.replace("train: cms-2010-dimuon-20240102-030405-abcdef\n", "")),
        REQUEST,
        3,
        "a 'kill' request needs 'train'",
        json_path="train",
        hint="add 'train: <train id>'",
    ),
    case(
        "run-request-with-train",
        write(REQUEST, REQUEST_RUN.replace("reason:", "train: cms-2010-dimuon-1\nreason:")),
        REQUEST,
        6,
        "a 'run' request takes no 'train': it starts a new train; to run a failed one again, "
        "use action: retry",
        json_path="train",
        hint="remove 'train'",
    ),
    case(
        "kill-request-with-wagons",
        write(REQUEST, REQUEST_KILL.replace("reason:", "wagons: [zmumu/dimuon-mass]\nreason:")),
        REQUEST,
        5,
        "a 'kill' request takes no 'wagons': it acts on the train's own wagons",
        json_path="wagons",
        hint="remove 'wagons'",
    ),
    case(
        "retry-request-with-dataset",
        write(
            REQUEST,
            REQUEST_KILL.replace("kill", "retry").replace("reason:", "dataset: hzz-mc\nreason:"),
        ),
        REQUEST,
        5,
        "a 'retry' request takes no 'dataset': the train names its dataset",
        json_path="dataset",
    ),
    case(
        "request-with-unknown-action",
        write(REQUEST, REQUEST_KILL.replace("action: kill", "action: kil")),
        REQUEST,
        3,
        "Input should be 'run', 'kill' or 'retry', got 'kil'",
        json_path="action",
        hint="did you mean 'kill'?",
    ),
    case(
        "request-with-unknown-field",
        write(REQUEST, REQUEST_RUN.replace("requested_by:", "requested-by:")),
        REQUEST,
        7,
        "unknown field 'requested-by'",
        json_path="requested-by",
        hint="did you mean 'requested_by'?",
    ),
    case(
        "request-without-reason",
        write(REQUEST, REQUEST_RUN.replace("reason: the new muon calibration\n", "")),
        REQUEST,
        2,
        "missing required field 'reason'",
        json_path="reason",
    ),
    case(
        "request-in-datasets",
        write("datasets/rerun.yaml", REQUEST_RUN),
        "datasets/rerun.yaml",
        2,
        "this looks like a train request file; catalog/datasets/ holds datasets",
        hint="move it to catalog/trains/",
    ),
    case(
        "request-name-differs-from-file-name",
        write("trains/rerun-now.yaml", REQUEST_RUN),
        "trains/rerun-now.yaml",
        2,
        "'rerun' differs from the file name 'rerun-now.yaml'",
        json_path="name",
    ),
    # --- across files
    case(
        "same-name-in-two-subfolders",
        copy(HZZ, "datasets/mc/hzz-mc.yaml"),
        "datasets/mc/hzz-mc.yaml",
        2,
        "dataset 'hzz-mc' is also defined in catalog/datasets/hzz-mc.yaml:2",
        json_path="name",
    ),
    case(
        "unknown-dataset",
        replace(KINEMATICS, "  - dataset: cms-2010-dimuon\n", "  - dataset: cms-2010-dimuom\n"),
        KINEMATICS,
        9,
        "unknown dataset 'cms-2010-dimuom'",
        json_path="enabled[0].dataset",
        hint="did you mean 'cms-2010-dimuon'?",
    ),
    case(
        "dataset-enabled-twice",
        replace(KINEMATICS, "dataset: cms-2010-dimuon-large", "dataset: cms-2010-dimuon"),
        KINEMATICS,
        10,
        "dataset 'cms-2010-dimuon' is enabled twice (first at line 9)",
        json_path="enabled[1].dataset",
    ),
    case(
        "unknown-runlist",
        replace(DIMUON, "runlist: run2010b-dimuon", "runlist: run2010b-dimuons"),
        DIMUON,
        8,
        "unknown run list 'run2010b-dimuons'",
        json_path="runlist",
        hint="did you mean 'run2010b-dimuon'?",
    ),
    case(
        "unknown-dependency",
        replace(MASS, "depends_on: [muon-selection]", "depends_on: [muon-selektion]"),
        MASS,
        5,
        "unknown wagon 'muon-selektion'",
        json_path="depends_on[0]",
        hint="did you mean 'muon-selection'?",
    ),
    case(
        "dependency-cycle",
        replace(SELECTION, "config:", "depends_on: [dimuon-mass]\nconfig:"),
        MASS,
        5,
        "dependency cycle: zmumu/dimuon-mass -> zmumu/muon-selection -> zmumu/dimuon-mass",
        json_path="depends_on[0]",
    ),
    case(
        "duplicate-run",
        replace(RUNLIST, "run: 148031", "run: 148029"),
        RUNLIST,
        8,
        "run 148029 is listed twice (first at line 6)",
        json_path="runs[1].run",
    ),
    case(
        "request-for-an-unknown-dataset",
        write(REQUEST, REQUEST_RUN.replace("dataset: cms-2010-dimuon", "dataset: cms-2010-dimuom")),
        REQUEST,
        4,
        "unknown dataset 'cms-2010-dimuom'",
        json_path="dataset",
        hint="did you mean 'cms-2010-dimuon'?",
    ),
    case(
        "request-for-an-unknown-wagon",
        write(REQUEST, REQUEST_RUN.replace("zmumu/dimuon-mass,", "zmumu/dimuon-mas,")),
        REQUEST,
        5,
        "unknown wagon 'zmumu/dimuon-mas'",
        json_path="wagons[0]",
        hint="did you mean 'zmumu/dimuon-mass'?",
    ),
    case(
        "request-for-a-wagon-not-enabled-on-the-dataset",
        write(REQUEST, REQUEST_RUN.replace("muon-kinematics]", "multilepton/jets]")),
        REQUEST,
        5,
        "wagon 'multilepton/jets' is not enabled on dataset 'cms-2010-dimuon'",
        json_path="wagons[1]",
        hint="enable it in catalog/analyses/multilepton/wagons/jets.yaml, or leave it out",
    ),
    case(
        "request-naming-a-wagon-twice",
        write(REQUEST, REQUEST_RUN.replace("muon-kinematics]", "dimuon-mass]")),
        REQUEST,
        5,
        "wagon 'zmumu/dimuon-mass' is named twice (first at line 5)",
        json_path="wagons[1]",
    ),
    case(
        "variant-key-not-in-config",
        replace(MASS, "    low: 0.0", "    lo: 0.0"),
        MASS,
        13,
        "variant 'wide' overrides 'lo', which is not in config",
        json_path="variants.wide.lo",
        hint="did you mean 'low'?",
    ),
    # --- against the task
    case(
        "task-class-missing",
        replace(KINEMATICS, "task: tasks:MuonKinematics", "task: tasks:MuonKinematic"),
        KINEMATICS,
        3,
        "zmumu/tasks.py has no class 'MuonKinematic'",
        json_path="task",
    ),
    case(
        "task-module-does-not-import",
        (
            write(f"{ZMUMU}/broken.py", "def oops(:\n"),
            replace(KINEMATICS, "task: tasks:MuonKinematics", "task: broken:MuonKinematics"),
        ),
        KINEMATICS,
        3,
        "cannot import task 'broken:MuonKinematics' from zmumu/broken.py: SyntaxError",
        json_path="task",
    ),
    case(
        "config-key-not-declared",
        replace(KINEMATICS, "pt_max: 100.0", "pt_maxx: 100.0"),
        KINEMATICS,
        7,
        "task MuonKinematics has no configurable 'pt_maxx'",
        json_path="config.pt_maxx",
        hint="did you mean 'pt_max'?",
    ),
    case(
        "config-value-invalid",
        replace(KINEMATICS, "pt_bins: 50", "pt_bins: many"),
        KINEMATICS,
        6,
        "Input should be a valid integer",
        json_path="config.pt_bins",
    ),
    case(
        "variant-value-invalid",
        replace(MASS, "    bins: 75", "    bins: 0"),
        MASS,
        12,
        "Input should be greater than or equal to 1, got 0",
        json_path="variants.wide.bins",
    ),
    case(
        "installed-task-without-package-pin",
        write(
            f"{ZMUMU}/wagons/plain.yaml",
            "name: plain\ntask: controller.engine.task:Task\nenabled: [{dataset: hzz-mc}]\n",
        ),
        f"{ZMUMU}/wagons/plain.yaml",
        2,
        "comes from the installed module 'controller.engine.task'",
        json_path="task",
        hint="add 'package: ",
    ),
    # --- columns: what each wagon reads must be in the file or produced by a dependency
    case(
        "reads-a-product-without-depending-on-it",
        (
            replace(MASS, "depends_on: [muon-selection]\n", ""),
            write(f"{ZMUMU}/wagons/selection-user.yaml", SELECTION_USER),
        ),
        MASS,
        3,
        "task tasks:DimuonMass reads 'good_pair', which wagon zmumu/muon-selection produces in "
        "its train, but the wagon does not depend on it",
        json_path="task",
        hint="add 'muon-selection' to depends_on",
    ),
    case(
        "reads-a-column-the-tree-lacks",
        (write(f"{ZMUMU}/extra.py", EXTRA_TASKS), write(f"{ZMUMU}/wagons/typo.yaml", TYPO)),
        f"{ZMUMU}/wagons/typo.yaml",
        2,
        "task extra:Typo reads 'pt_1', which is neither a branch of dataset 'cms-2010-dimuon' "
        "(tree 'events') nor produced by a wagon it depends on",
        json_path="task",
        hint="did you mean 'pt1'?",
    ),
    case(
        "a-product-shadows-a-branch",
        (write(f"{ZMUMU}/extra.py", EXTRA_TASKS), write(f"{ZMUMU}/wagons/shadow.yaml", SHADOW)),
        f"{ZMUMU}/wagons/shadow.yaml",
        2,
        "task extra:Shadow produces 'pt1', the name of a branch of dataset 'cms-2010-dimuon' "
        "that wagon zmumu/muon-kinematics reads: the product would shadow the branch",
        json_path="task",
        hint="give the product a name of its own",
    ),
    case(
        "two-services-produce-one-name",
        (
            write(f"{ZMUMU}/extra.py", EXTRA_TASKS),
            write(f"{ZMUMU}/wagons/twin.yaml", TWIN),
            write(f"{ZMUMU}/wagons/twin-user.yaml", TWIN_USER),
        ),
        f"{ZMUMU}/wagons/twin.yaml",
        2,
        "task extra:Twin produces 'good_pair', which wagon zmumu/muon-selection also produces, "
        "and wagon zmumu/twin-user depends on both in the train of dataset 'cms-2010-dimuon'",
        json_path="task",
        hint="rename one of the two columns",
    ),
    case(
        "a-service-wagon-with-variants",
        replace(
            SELECTION,
            "  opposite_charge: true\n",
            "  opposite_charge: true\nvariants:\n  loose: {pt_min: 10.0}\n",
        ),
        SELECTION,
        10,
        "a service wagon (it produces good_pair) cannot have variants",
        json_path="variants.loose",
        hint="make each variant a wagon of its own with its own 'produces' names",
    ),
]


@pytest.mark.parametrize("broken", CASES, ids=[c.id for c in CASES])
def test_a_broken_file_is_reported_where_it_is_broken(
    broken: Case, catalog_copy: Path, wagonyard: Callable[..., CliResult]
) -> None:
    for edit in broken.edits:
        edit(catalog_copy)
    result = wagonyard("validate", str(catalog_copy))
    assert result.code == 1, result.output
    where = f"{broken.path}:{broken.line}:" if broken.line else f"{broken.path}: "
    lines = [line for line in result.out.splitlines() if line.startswith(where)]
    assert lines, f"no problem at {where} in:\n{result.output}"
    line = next((x for x in lines if broken.message in x), None)
    assert line is not None, f"'{broken.message}' not at {where}:\n{result.output}"
    if broken.json_path:
        assert f": {broken.json_path}: " in line, line
    if broken.hint:
        assert f"({broken.hint}" in line, line
    assert "Traceback" not in result.output
    assert result.err.startswith("wagonyard: error: "), result.err
    assert " error" in result.err and "of " in result.err and " files" in result.err


def test_a_cycle_is_reported_once(catalog_copy: Path, wagonyard: Callable[..., CliResult]) -> None:
    replace(SELECTION, "config:", "depends_on: [muon-kinematics]\nconfig:")(catalog_copy)
    replace(KINEMATICS, "config:", "depends_on: [dimuon-mass]\nconfig:")(catalog_copy)
    result = wagonyard("validate", str(catalog_copy))
    assert result.code == 1
    assert result.out.count("dependency cycle") == 1, result.out
    assert (
        "zmumu/dimuon-mass -> zmumu/muon-selection -> zmumu/muon-kinematics -> zmumu/dimuon-mass"
        in result.out
    )


def test_a_file_missing_is_not_also_reported_as_unknown_everywhere(
    catalog_copy: Path, wagonyard: Callable[..., CliResult]
) -> None:
    """A broken dataset is one problem, not also 'unknown dataset' in each wagon using it."""
    replace(HZZ, "type: mc", "type: simulation")(catalog_copy)
    result = wagonyard("validate", str(catalog_copy))
    assert result.code == 1
    assert "unknown dataset" not in result.out
    assert result.out.splitlines() == [
        "catalog/datasets/hzz-mc.yaml:4:7: type: Input should be 'data', 'mc' or 'derived', "
        "got 'simulation'"
    ]


WARNINGS = [
    case(
        "period-differs-from-runlist",
        replace(RUNLIST, "period: run2010b", "period: run2010c"),
        DIMUON,
        7,
        "period 'run2010b' differs from the period 'run2010c' of its run list",
        json_path="period",
    ),
    case(
        "analysis-without-wagons",
        write(
            "analyses/higgs/analysis.yaml", "name: higgs\ntitle: H\ngroup: HIGGS\nmembers: [a]\n"
        ),
        "analyses/higgs/analysis.yaml",
        1,
        "analysis 'higgs' has no wagons",
    ),
    case(
        "request-schema-comment-of-another-kind",
        write(REQUEST, REQUEST_KILL.replace("train-request.schema", "dataset.schema")),
        REQUEST,
        1,
        "the $schema comment points to '../../schema/dataset.schema.json', not to the "
        "train-request schema",
    ),
    case(
        "schema-comment-of-another-kind",
        replace(SELECTION, "schema/wagon.schema.json", "schema/dataset.schema.json"),
        SELECTION,
        1,
        "the $schema comment points to '../../../../schema/dataset.schema.json', not to the "
        "wagon schema",
    ),
]


@pytest.mark.parametrize("odd", WARNINGS, ids=[c.id for c in WARNINGS])
def test_warnings_are_shown_but_do_not_fail(
    odd: Case, catalog_copy: Path, wagonyard: Callable[..., CliResult]
) -> None:
    for edit in odd.edits:
        edit(catalog_copy)
    result = wagonyard("validate", str(catalog_copy))
    assert result.code == 0, result.output
    line = next(x for x in result.out.splitlines() if x.startswith(f"{odd.path}:{odd.line}:"))
    assert ": warning:" in line and odd.message in line, line
    last = result.out.splitlines()[-1]
    assert last.startswith("catalog OK: 1") and re.search(r", \d+ warnings?$", last), last


def _wagonyard_command() -> list[str]:
    found = shutil.which("wagonyard")
    return [found] if found else [sys.executable, "-m", "controller"]


SUBPROCESS_CASES = [c for c in CASES if c.id in ("tab-in-indentation", "alias-bomb", "wrong-type")]


@pytest.mark.parametrize("broken", SUBPROCESS_CASES, ids=[c.id for c in SUBPROCESS_CASES])
def test_the_real_command_fails_without_a_traceback(broken: Case, catalog_copy: Path) -> None:
    for edit in broken.edits:
        edit(catalog_copy)
    done = subprocess.run(
        [*_wagonyard_command(), "validate", "catalog"],
        cwd=catalog_copy.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{broken.path}:{broken.line}:" in done.stdout
    assert broken.message in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    assert done.stderr.startswith("wagonyard: error: 1 error in 1 of ")
