"""A wagonyard repository for the controller's tests: a bare origin, an analyst's clone that
pushes changes to main, and the controller's clone where ``wagonyard reconcile`` runs.

The catalog is the example one cut to the real CMS dimuon data (``cms-2010-dimuon``) and the
``zmumu`` analysis, with no wagon enabled at first. Every pass is the real command in a process
of its own, so that a test can kill it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from controller.records import TrainRecord
from tests.gitrepo import REPO_CATALOG, git

DATASET = "cms-2010-dimuon"
NOW = "2026-11-28T04:00:00"


class Yard:
    def __init__(
        self,
        root: Path,
        backend: str = "local",
        cron: str | None = "0 2 * * *",
        settings: dict[str, Any] | None = None,
        clones: int = 1,
    ) -> None:
        self.root = root
        self.origin = root / "origin.git"
        self.analyst = root / "analyst"
        root.mkdir(parents=True, exist_ok=True)
        self.home = root / "home"  # the controllers' shared storage: grid state, outputs
        git(root, "init", "-q", "--bare", "--initial-branch=main", str(self.origin))
        git(root, "clone", "-q", str(self.origin), str(self.analyst))
        catalog = self.analyst / "catalog"
        shutil.copytree(REPO_CATALOG, catalog, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.rmtree(catalog / "analyses" / "multilepton")
        for name in ("hzz-mc", "cms-2010-dimuon-large"):
            (catalog / "datasets" / f"{name}.yaml").unlink()
        for wagon in (catalog / "analyses" / "zmumu" / "wagons").glob("*.yaml"):
            self._edit(wagon, lambda w: w.update(enabled=[]))
        self._edit(
            catalog / "datasets" / f"{DATASET}.yaml",
            lambda d: d.update(schedule={"cron": cron} if cron else {}),
        )
        config: dict[str, Any] = {
            "grid": {"backend": backend, "merge_fan_in": 2},
            "controller": {"home": str(self.home), "lease_s": 120},
        }
        for key, value in (settings or {}).items():
            config.setdefault(key, {}).update(value)
        (self.analyst / "wagonyard.yaml").write_text(yaml.safe_dump(config))
        git(self.analyst, "add", "--all")
        git(self.analyst, "commit", "-q", "-m", "The example catalog, no wagon enabled")
        git(self.analyst, "push", "-q", "origin", "main")
        self.controllers = []
        for i in range(clones):
            clone = root / f"controller{i}"
            git(root, "clone", "-q", str(self.origin), str(clone))
            self.controllers.append(clone)
        self.controller = self.controllers[0]

    @staticmethod
    def _edit(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
        text = path.read_text()
        head = text.splitlines()[0] + "\n" if text.startswith("#") else ""
        data = yaml.safe_load(text)
        change(data)
        path.write_text(head + yaml.safe_dump(data, sort_keys=False))

    def change(self, path: str, change: Callable[[dict[str, Any]], None], message: str) -> str:
        """Edit a YAML file of the catalog as an analyst would, commit it and push it to main."""
        self._edit(self.analyst / path, change)
        return self.commit(message)

    def write(self, path: str, text: str, message: str) -> str:
        (self.analyst / path).parent.mkdir(parents=True, exist_ok=True)
        (self.analyst / path).write_text(text)
        return self.commit(message)

    def commit(self, message: str) -> str:
        git(self.analyst, "add", "--all")
        git(self.analyst, "commit", "-q", "-m", message)
        git(self.analyst, "push", "-q", "origin", "main")
        return git(self.analyst, "rev-parse", "HEAD")

    def enable(self, wagon: str, **extra: Any) -> str:
        return self.change(
            f"catalog/analyses/zmumu/wagons/{wagon}.yaml",
            lambda w: w.update(enabled=[{"dataset": DATASET, **extra}]),
            f"Enable zmumu/{wagon} on {DATASET}",
        )

    # ------------------------------------------------------------------ the controller

    def reconcile(
        self,
        *args: str,
        now: str = NOW,
        env: dict[str, str] | None = None,
        clone: Path | None = None,
        timeout: float = 600,
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "controller", "reconcile", "--repo", str(clone or self.controller),
             "--now", now, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
        )  # fmt: skip

    def settle(self, now: str = NOW, passes: int = 40, pause: float = 0.5) -> list[str]:
        """Reconcile until a pass has nothing to do; each pass's output."""
        outputs = []
        for _ in range(passes):
            done = self.reconcile(now=now)
            outputs.append(done.stdout + done.stderr)
            assert done.returncode == 0, "\n".join(outputs)
            if "nothing to do" in done.stdout:
                return outputs
            if (
                "waiting:" in done.stdout
                and "advance" not in done.stdout
                and "- " not in done.stdout
            ):
                return outputs
            subprocess.run(["sleep", str(pause)], check=True)
        raise AssertionError("the controller never settled:\n" + "\n".join(outputs[-5:]))

    # ------------------------------------------------------------------ the history branch

    def subjects(self) -> list[str]:
        """The history branch's commit subjects on the origin, oldest first."""
        out = git(self.origin, "log", "--reverse", "--format=%s", "wagonyard/history")
        return out.splitlines()

    def has_history(self) -> bool:
        """Is there a history branch on the origin yet?"""
        found = subprocess.run(
            ["git", "-C", str(self.origin), "rev-parse", "--verify", "-q", "wagonyard/history"],
            capture_output=True,
        )
        return found.returncode == 0

    def history_tip(self) -> str:
        return git(self.origin, "rev-parse", "wagonyard/history")

    def records(self) -> dict[str, TrainRecord]:
        names = git(self.origin, "ls-tree", "-r", "--name-only", "wagonyard/history", "trains")
        records = {}
        for path in names.splitlines():
            if path.endswith("/record.json"):
                r = TrainRecord.model_validate_json(
                    git(self.origin, "show", f"wagonyard/history:{path}")
                )
                records[r.train_id] = r
        return records

    def read(self, path: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(git(self.origin, "show", f"wagonyard/history:{path}"))
        return data

    def output(self, record: TrainRecord) -> Path:
        assert record.output is not None
        return self.home / "outputs" / record.output.path
