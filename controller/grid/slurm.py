"""The Slurm backend: jobs go through Slurm's own command-line tools.

``sbatch --parsable`` submits (a job array where many jobs share one submission), ``scontrol``
and ``squeue`` report live and recent jobs, ``sacct -c`` reads the job-completion log for older
ones, ``scancel`` cancels. Job names are deterministic, so a submitter that restarts finds
its jobs by name instead of submitting twice. Adapter: only subprocess calls and parsing.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from datetime import datetime
from pathlib import Path

from controller.errors import GridError, TransientError
from controller.grid.base import GridState, JobRequest, JobStatus
from controller.records import SITE_ENV

STATES: dict[str, GridState] = {
    "PENDING": "pending",
    "CONFIGURING": "running",
    "RUNNING": "running",
    "COMPLETING": "running",
    "SUSPENDED": "running",
    "REQUEUED": "pending",
    "REQUEUE_HOLD": "pending",
    "RESIZING": "running",
    "COMPLETED": "done",
    "FAILED": "failed",
    "TIMEOUT": "failed",
    "NODE_FAIL": "failed",
    "OUT_OF_MEMORY": "failed",
    "BOOT_FAIL": "failed",
    "DEADLINE": "failed",
    "PREEMPTED": "failed",
    "CANCELLED": "cancelled",
}
_FIELD = re.compile(r"(\w[\w/:]*)=(\S*)")


def _time(value: str | None) -> datetime | None:
    if not value or value in ("Unknown", "None", "N/A"):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _task_ids(spec: str) -> list[int]:
    """Slurm's array task list ('7', '0-999', '3,5-7', '4-9%2') as task numbers."""
    ids: list[int] = []
    for part in spec.split("%", 1)[0].split(","):
        low, _, high = part.partition("-")
        if low.isdigit():
            ids.extend(range(int(low), int(high if high.isdigit() else low) + 1))
    return ids


def _exit_code(value: str | None) -> int | None:
    """Slurm's 'code:signal' as one number: the code, or minus the signal."""
    if not value or ":" not in value:
        return None
    code, sig = value.split(":", 1)
    return -int(sig) if int(sig) else int(code)


class SlurmBackend:
    name = "slurm"

    def __init__(
        self, state_dir: Path, partition: str | None = None, site_features: bool = False
    ) -> None:
        self.state_dir = state_dir
        # sites are node features: a job asking for sites gets --constraint=a|b
        self.site_features = site_features
        self._known_features: set[str] | None = None
        self.logs = state_dir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.partition = partition or os.environ.get("WAGONYARD_SLURM_PARTITION")
        # what slurmctld knew at our first submission, plus what we submitted since: one
        # lookup per process, not one per job (a submitter that restarts looks again)
        self._known: dict[str, str] | None = None
        # job arrays this backend submitted: array job id -> the names of its tasks, in order
        self.arrays_dir = state_dir / "arrays"
        self.arrays_dir.mkdir(parents=True, exist_ok=True)
        self._arrays: dict[str, list[str]] = {}
        for table in self.arrays_dir.glob("*.json"):
            data = json.loads(table.read_text())
            self._arrays[str(data["array_id"])] = list(data["names"])

    # ------------------------------------------------------------------ commands

    def _run(self, *args: str, check: bool = True) -> str:
        try:
            done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
        except FileNotFoundError as exc:
            raise GridError(
                f"'{args[0]}' not found: install Slurm's client tools (Debian: slurm-client) "
                "or choose the local backend"
            ) from exc
        except subprocess.TimeoutExpired as exc:
            raise TransientError(f"'{args[0]}' did not answer in 120 s; is slurmctld up?") from exc
        if check and done.returncode != 0:
            message = done.stderr.strip() or done.stdout.strip()
            if "Unable to contact slurm controller" in message or "Socket timed out" in message:
                raise TransientError(f"{args[0]}: {message}", retry_after=10)
            raise GridError(f"{' '.join(args[:2])} failed: {message}")
        return done.stdout

    def _jobs(self) -> dict[str, dict[str, str]]:
        """Every job slurmctld still knows (running or ended within MinJobAge), by name."""
        out = self._run("scontrol", "-o", "show", "job", check=False)
        jobs: dict[str, dict[str, str]] = {}
        for line in out.splitlines():
            fields = dict(_FIELD.findall(line))
            array = self._arrays.get(fields.get("ArrayJobId", ""))
            if array is not None:  # a task, or a pending range of tasks, of one of our arrays
                for task in _task_ids(fields.get("ArrayTaskId", "")):
                    if task < len(array):
                        jobs[array[task]] = {**fields, "JobId": f"{fields['ArrayJobId']}_{task}"}
                continue
            name = fields.get("JobName")
            if not name:
                continue
            # the newest job of a name wins (a resubmission under the same name is a new id)
            old = jobs.get(name)
            if old is None or int(fields.get("JobId", "0")) > int(old.get("JobId", "0")):
                jobs[name] = fields
        return jobs

    def _accounted(self, names: list[str]) -> dict[str, dict[str, str]]:
        """Older jobs from the job-completion log (no slurmdbd needed)."""
        out = self._run(
            "sacct", "-c", "-n", "-P", "-o", "jobid,jobname,state,exitcode,start,end,nodelist",
            check=False,
        )  # fmt: skip
        wanted, found = set(names), {}
        for line in out.splitlines():
            parts = line.split("|")
            if len(parts) < 7 or parts[1] not in wanted:
                continue
            found[parts[1]] = {
                "JobId": parts[0],
                "JobState": parts[2].split()[0],
                "ExitCode": parts[3],
                "StartTime": parts[4],
                "EndTime": parts[5],
                "NodeList": parts[6],
            }
        return found

    # ------------------------------------------------------------------ protocol

    def _ensure_known(self) -> None:
        if self._known is None:
            self._known = {
                name: fields["JobId"]
                for name, fields in self._jobs().items()
                if STATES.get(fields.get("JobState", ""), "") != "cancelled"
            }

    def submit(self, request: JobRequest) -> str:
        self._ensure_known()
        assert self._known is not None
        if request.name in self._known:
            return self._known[request.name]
        args = [
            "sbatch",
            "--parsable",
            f"--job-name={request.name}",
            f"--output={self.log_path(request.name)}",
            f"--chdir={request.workdir}",
            f"--cpus-per-task={request.cpus}",
            f"--mem={request.memory_mb}M",
            f"--time={max(1, (request.time_limit_s + 59) // 60)}",
            *self._placement(request),
        ]
        if self.partition:
            args.append(f"--partition={self.partition}")
        args.append("--wrap=exec " + shlex.join(request.command))
        job_id = self._run(*args).strip().split(";")[0]
        if not job_id.isdigit():
            raise GridError(f"sbatch answered '{job_id}' instead of a job id")
        self._known[request.name] = job_id
        return job_id

    def submit_many(self, requests: list[JobRequest]) -> list[str]:
        """Submit many jobs; those sharing their resources go as one job array."""
        self._ensure_known()
        assert self._known is not None
        todo = [r for r in requests if r.name not in self._known]
        groups: dict[tuple[int, int, int, tuple[str, ...]], list[JobRequest]] = {}
        for r in todo:
            sites = tuple(r.sites) if self.site_features else ()
            groups.setdefault((r.cpus, r.memory_mb, r.time_limit_s, sites), []).append(r)
        for group in groups.values():
            if len(group) == 1:
                self.submit(group[0])
            else:
                self._submit_array(group)
        return [self._known[r.name] for r in requests]

    def _submit_array(self, group: list[JobRequest]) -> None:
        assert self._known is not None
        first = group[0]
        array_name = f"{first.name}+{len(group) - 1}"
        table = self.arrays_dir / f"{array_name}.tsv"
        table.write_text(
            "".join(f"{r.name}\t{r.workdir}\t{shlex.join(r.command)}\n" for r in group)
        )
        script = self.arrays_dir / f"{array_name}.sh"
        script.write_text(
            "#!/bin/bash\n"
            "# one task of a wagonyard job array: its line of the table says what to run\n"
            f"IFS=$'\\t' read -r name workdir command < <(sed -n \"$((SLURM_ARRAY_TASK_ID + 1))p\" "
            f"{shlex.quote(str(table))})\n"
            f'exec >>{shlex.quote(str(self.logs))}/"$name".log 2>&1\n'
            'cd "$workdir" || exit 97\n'
            'eval "exec $command"\n'
        )
        args = [
            "sbatch",
            "--parsable",
            f"--array=0-{len(group) - 1}",
            f"--job-name={array_name}",
            "--output=/dev/null",
            f"--cpus-per-task={first.cpus}",
            f"--mem={first.memory_mb}M",
            f"--time={max(1, (first.time_limit_s + 59) // 60)}",
            *self._placement(first),
        ]
        if self.partition:
            args.append(f"--partition={self.partition}")
        array_id = self._run(*args, str(script)).strip().split(";")[0]
        if not array_id.isdigit():
            raise GridError(f"sbatch answered '{array_id}' instead of a job id")
        names = [r.name for r in group]
        (self.arrays_dir / f"{array_name}.json").write_text(
            json.dumps({"array_id": array_id, "names": names}) + "\n"
        )
        self._arrays[array_id] = names
        for i, name in enumerate(names):
            self._known[name] = f"{array_id}_{i}"

    def _placement(self, request: JobRequest) -> list[str]:
        """--export (with WAGONYARD_SITE where one site is asked for) and --constraint.

        Slurm refuses a constraint naming a feature no node has, so only sites that are node
        features go in it; a job whose sites no node is waits held (as it would wait for its
        site on the local grid) until locality is relaxed and it is submitted anywhere."""
        if not (self.site_features and request.sites):
            return ["--export=ALL"]
        sites = [s for s in request.sites if s in self._features()]
        if not sites:
            return ["--export=ALL", "--hold"]
        export = "--export=ALL" + (f",{SITE_ENV}={sites[0]}" if len(sites) == 1 else "")
        return [export, "--constraint=" + "|".join(sites)]

    def _features(self) -> set[str]:
        """The features of the cluster's nodes (slurm.conf's Features=), asked once."""
        if self._known_features is None:
            out = self._run("sinfo", "--noheader", "--format=%f")
            self._known_features = {
                f.strip() for line in out.splitlines() for f in line.split(",") if f.strip()
            } - {"(null)"}
        return self._known_features

    def query(self, names: list[str]) -> dict[str, JobStatus]:
        jobs = self._jobs()
        missing = [n for n in names if n not in jobs]
        if missing:
            jobs.update(self._accounted(missing))
        result = {}
        for name in names:
            fields = jobs.get(name)
            if fields is None:
                result[name] = JobStatus(name=name, state="unknown")
                continue
            state = STATES.get(fields.get("JobState", ""), "unknown")
            final = state in ("done", "failed", "cancelled")
            host = fields.get("BatchHost") or fields.get("NodeList")
            result[name] = JobStatus(
                name=name,
                state=state,
                exit_code=_exit_code(fields.get("ExitCode")) if final else None,
                host=None if host in (None, "", "(null)", "None assigned") else host,
                backend_id=fields.get("JobId"),
                started=_time(fields.get("StartTime")),
                finished=_time(fields.get("EndTime")) if final else None,
            )
        return result

    def cancel(self, names: list[str]) -> None:
        jobs = self._jobs()
        ids = [jobs[n]["JobId"] for n in names if n in jobs]
        if ids:
            self._run("scancel", *ids)

    def log_path(self, name: str) -> Path:
        return self.logs / f"{name}.log"
