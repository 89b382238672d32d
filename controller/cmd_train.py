"""CLI commands that run trains: demo, demo-data, merge, and job (what the grid runs)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from controller.errors import WagonyardError
from controller.options import catalog_option, data_dir_option


@click.command("demo")
@click.option(
    "--workdir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("wagonyard-demo"),
    show_default=True,
    help="Where the demo's git repository, grid state, outputs and site go.",
)
@catalog_option
@data_dir_option
@click.option(
    "--dataset",
    "datasets",
    multiple=True,
    help="Run a train over this dataset (repeatable; default: cms-2010-dimuon and hzz-mc).",
)
@click.option(
    "--backend",
    type=click.Choice(["local", "slurm"]),
    default=None,
    help="The grid backend (default: wagonyard.yaml's grid.backend, or $WAGONYARD_GRID).",
)
@click.option(
    "--storage",
    type=click.Choice(["local", "xrootd"]),
    default="local",
    show_default=True,
    help="Where the input files and merged outputs are: local files, or two XRootD servers "
    "started for the demo (Debian's xrootd-server) as storage elements at two sites.",
)
def demo_command(
    workdir: Path,
    catalog_dir: Path | None,
    data_dir: Path | None,
    datasets: tuple[str, ...],
    backend: str | None,
    storage: str,
) -> None:
    """Run the whole loop once on the local grid: validate, train, merge, record, site."""
    from controller.demo import DEFAULT_DATASETS, run_demo
    from controller.engine.files import data_dir as default_data_dir
    from controller.workspace import find_catalog

    result = run_demo(
        workdir,
        catalog_dir or find_catalog(),
        default_data_dir(data_dir).resolve(),
        datasets or DEFAULT_DATASETS,
        say=click.echo,
        backend_name=backend,
        storage=storage,
    )
    click.echo("")
    for r in result.records:
        out = result.outputs_root / r.output.path if r.output else None
        click.echo(f"train {r.train_id}: {r.state}, {r.events_processed:,} events")
        if out:
            click.echo(f"  merged output: {out}")
            if r.output and r.output.url:
                click.echo(f"  on storage:    {r.output.url} (checksum verified)")
            elif r.message:
                click.echo(f"  {r.message}")
        elif r.message:
            click.echo(f"  {r.message}")
            failed = next((j for j in r.jobs if j.state != "done" and j.attempts), None)
            if failed is not None:
                tail = [ln for ln in failed.attempts[-1].log_tail.splitlines() if ln.strip()]
                click.echo(f"  last log line of {failed.name}: {tail[-1] if tail else '(empty)'}")
    click.echo(f"history: branch wagonyard/history in {result.repo}")
    click.echo(f"site:    {result.site_index.resolve()}")
    if any(r.state != "done" for r in result.records):
        raise WagonyardError("a demo train failed; see its record above and on the site")


@click.command("run")
@click.option("--dataset", required=True, help="The dataset to run over.")
@click.option(
    "--wagon",
    "wagons",
    multiple=True,
    help="Run only this wagon, as analysis/wagon (repeatable; default: all enabled).",
)
@catalog_option
@data_dir_option
@click.option(
    "--max-files", type=click.IntRange(min=1), default=None, help="Only the first N files."
)
@click.option(
    "-o",
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where AnalysisResults.root, report.json and metrics.json go "
    "(default: ./wagonyard-run/<dataset>).",
)
def run_command(
    dataset: str,
    wagons: tuple[str, ...],
    catalog_dir: Path | None,
    data_dir: Path | None,
    max_files: int | None,
    output_dir: Path | None,
) -> None:
    """Run a train over a dataset in this process, with a progress bar."""
    from controller.catalog.loader import load_valid_catalog
    from controller.config import load_config
    from controller.engine.chunk import Chunk
    from controller.engine.files import data_dir as default_data_dir
    from controller.localrun import run_local
    from controller.workspace import find_catalog

    folder = catalog_dir or find_catalog()
    catalog = load_valid_catalog(folder)
    storage = load_config(folder.resolve().parent).storage  # the repository's storage elements
    bar: list[Any] = []

    def start(total: int) -> None:
        bar.append(click.progressbar(length=total, label=f"{dataset}", show_pos=True, width=30))
        bar[0].__enter__()

    def advance(chunk: Chunk) -> None:
        bar[0].update(chunk.entries)

    try:
        report = run_local(
            catalog,
            dataset,
            list(wagons) or None,
            default_data_dir(data_dir),
            output_dir or Path("wagonyard-run") / dataset,
            max_files,
            on_start=start,
            on_chunk=advance,
            storage=storage,
        )
    finally:
        if bar:
            bar[0].__exit__(None, None, None)
    rate = report.events / report.wall_s if report.wall_s else 0.0
    click.echo(
        f"{report.events:,} events in {report.wall_s:.1f} s ({rate:,.0f} events/s), "
        f"max RSS {report.max_rss_mb:.0f} MB"
    )
    for w in report.wagons:
        click.echo(f"  {w.directory:40s} cpu {w.cpu_s:8.3f} s")
    click.echo(f"output: {report.output}")


@click.command("demo-data")
@data_dir_option
@click.option("--events", type=click.IntRange(min=1000), default=1_000_000, show_default=True)
@click.option("--files", type=click.IntRange(min=2), default=20, show_default=True)
@click.option("--seed", type=int, default=20101, show_default=True)
@click.option(
    "--compression",
    type=click.Choice(["zlib", "lz4", "zstd", "none"]),
    default="zstd",
    show_default=True,
)
def demo_data_command(
    data_dir: Path | None, events: int, files: int, seed: int, compression: str
) -> None:
    """Write the large dataset 'cms-2010-dimuon-large' by resampling the real events."""
    from controller.demodata import write_demo_data
    from controller.engine.files import data_dir as default_data_dir

    root = default_data_dir(data_dir)
    written = write_demo_data(root, events, files, seed, compression)
    size = sum(p.stat().st_size for p in written)
    click.echo(
        f"wrote {len(written)} files, {events:,} events, {size / 1e6:.1f} MB "
        f"({compression}) under {root / 'zmumu-large'}"
    )


@click.command("merge")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option(
    "--fan-in",
    type=click.IntRange(min=2),
    default=16,
    show_default=True,
    help="Merge in stages of at most this many files each (bounded memory for thousands).",
)
@click.argument("inputs", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
def merge_command(output: Path, fan_in: int, inputs: tuple[Path, ...]) -> None:
    """Add the histograms of job outputs (AnalysisResults.root files) into OUTPUT."""
    from controller.engine.mergefiles import merge_staged

    merged = merge_staged(list(inputs), output, fan_in=fan_in)
    click.echo(
        f"merged {len(inputs)} files in {merged['stages']} stage(s), "
        f"{merged['events']:,} events, into {output}"
    )


@click.command("job", hidden=True)
@click.argument("spec_path", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option(
    "--sandbox", is_flag=True, help="Run the job inside the sandbox (what grid backends ask for)."
)
def job_command(spec_path: Path, sandbox: bool) -> None:
    """Run one grid job from its JSON spec (what grid backends execute)."""
    from controller.job import JobSpec, run_job

    try:
        spec = JobSpec.model_validate_json(spec_path.read_text())
    except ValidationError as exc:
        raise WagonyardError(f"{spec_path}: not a valid job spec: {exc}") from exc
    if sandbox:
        from controller.sandbox import run_sandboxed

        sys.exit(run_sandboxed(spec_path.resolve(), spec))
    report = run_job(spec)
    click.echo(
        f"job {spec.name}: {report.events} events in {report.wall_s:.2f} s, "
        f"max RSS {report.max_rss_mb:.0f} MB -> {report.output}"
    )
    sys.stdout.flush()
