"""Sample a process's memory (RSS, PSS) and CPU over time, like O2's performanceMetrics.json.

A daemon thread reads psutil every ``interval`` seconds until stopped. Adapter: reads /proc
through psutil; the judgement of the figures is elsewhere.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import psutil

MB = 1024.0 * 1024.0


@dataclass
class Sample:
    t: float
    rss_mb: float
    pss_mb: float | None
    cpu_s: float
    events: int = 0


@dataclass
class Sampler:
    """Use as a context manager around the work to measure."""

    interval: float = 0.25
    samples: list[Sample] = field(default_factory=list)
    events: int = 0

    def __post_init__(self) -> None:
        self._proc = psutil.Process()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wagonyard-metrics", daemon=True)
        self._t0 = time.monotonic()

    def sample(self) -> Sample:
        try:
            info = self._proc.memory_full_info()
            pss = getattr(info, "pss", None)
            rss = info.rss
        except (psutil.AccessDenied, OSError):
            rss, pss = self._proc.memory_info().rss, None
        cpu = self._proc.cpu_times()
        s = Sample(
            t=round(time.monotonic() - self._t0, 3),
            rss_mb=round(rss / MB, 2),
            pss_mb=None if pss is None else round(pss / MB, 2),
            cpu_s=round(cpu.user + cpu.system, 3),
            events=self.events,
        )
        self.samples.append(s)
        return s

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> Sampler:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def max_rss_mb(self) -> float:
        return max(s.rss_mb for s in self.samples)

    def max_pss_mb(self) -> float | None:
        values = [s.pss_mb for s in self.samples if s.pss_mb is not None]
        return max(values) if values else None

    def to_json(self) -> dict[str, Any]:
        return {
            "interval_s": self.interval,
            "samples": [s.__dict__ for s in self.samples],
            "max_rss_mb": self.max_rss_mb(),
            "max_pss_mb": self.max_pss_mb(),
        }
