"""Write a NanoAOD-like dataset by resampling the simulated CMS tutorial events (HZZ).

Each event of ``uproot-HZZ.root`` (jagged muons, electrons, photons, jets; MET) is converted to
NanoAOD names and units (``nMuon``, ``Muon_pt/eta/phi/mass/charge/pfRelIso``, ``Jet_btag``,
``MET_pt``, ``genWeight``, ``run``/``luminosityBlock``/``event``...) and drawn with replacement,
with a fixed seed, into a few files written with uproot's ``mktree``/``extend``. The files are
cached in a folder named after the size, the compression and the seed, each written under a
temporary name and renamed when complete. Benchmark data only: nothing here is physics.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import awkward as ak
import numpy as np
import skhep_testdata
import uproot

TREE = "Events"
BASKET = 100_000  # entries per extend() call, hence per basket
COMPRESSIONS: dict[str, Callable[[], object]] = {
    "ZSTD(5)": lambda: uproot.ZSTD(5),
    "LZ4(1)": lambda: uproot.LZ4(1),
    "ZLIB(1)": lambda: uproot.ZLIB(1),
}


def _f32(x: ak.Array) -> ak.Array:
    return ak.values_astype(x, np.float32)


def _objects(a: ak.Array, prefix: str, extra: dict[str, ak.Array]) -> ak.Array:
    px, py, pz, e = (a[f"{prefix}_{k}"] for k in ("Px", "Py", "Pz", "E"))
    pt = np.hypot(px, py)
    p = np.sqrt(px * px + py * py + pz * pz)
    fields = {
        "pt": _f32(pt),
        "eta": _f32(np.arctanh(pz / np.maximum(p, 1e-9))),
        "phi": _f32(np.arctan2(py, px)),
        "mass": _f32(np.sqrt(np.maximum(e * e - p * p, 0))),
    }
    return ak.zip({**fields, **extra})


def source_events() -> dict[str, ak.Array]:
    """The 2,421 HZZ events as NanoAOD collections and flat branches, by branch name."""
    with uproot.open(skhep_testdata.data_path("uproot-HZZ.root")) as f:
        a = f["events"].arrays()

    def lepton(prefix: str) -> ak.Array:
        pt = np.hypot(a[f"{prefix}_Px"], a[f"{prefix}_Py"])
        return _objects(
            a,
            prefix,
            {
                "charge": a[f"{prefix}_Charge"],
                "pfRelIso": _f32(a[f"{prefix}_Iso"] / np.maximum(pt, 1e-3)),
            },
        )

    photon_pt = np.hypot(a.Photon_Px, a.Photon_Py)
    return {
        "Muon": lepton("Muon"),
        "Electron": lepton("Electron"),
        "Photon": _objects(a, "Photon", {"pfRelIso": _f32(a.Photon_Iso / photon_pt)}),
        "Jet": _objects(
            a, "Jet", {"btag": a.Jet_btag, "jetId": ak.values_astype(a.Jet_ID, np.int32) * 6}
        ),
        "MET_pt": _f32(np.hypot(a.MET_px, a.MET_py)),
        "MET_phi": _f32(np.arctan2(a.MET_py, a.MET_px)),
        "PV_npvs": a.NPrimaryVertices,
        "HLT_IsoMu24": a.triggerIsoMu24,
        "genWeight": a.EventWeight,
    }


def folder(out: Path, events: int, files: int, compression: str, seed: int) -> Path:
    """Where a dataset of these parameters is cached."""
    tag = compression.lower().replace("(", "").replace(")", "")
    return out / f"nano-{events}ev-{files}f-{tag}-seed{seed}"


def write(
    out: Path, events: int, files: int, compression: str = "ZSTD(5)", seed: int = 2012
) -> list[Path]:
    """The dataset's files, written once: a complete file already there is kept."""
    where = folder(out, events, files, compression, seed)
    where.mkdir(parents=True, exist_ok=True)
    sizes = [events // files + (k < events % files) for k in range(files)]
    src = source_events()
    n_src = len(src["MET_pt"])
    rng = np.random.default_rng(seed)
    paths, first = [], 0
    for k, size in enumerate(sizes):
        path = where / f"nano-{k:02d}.root"
        paths.append(path)
        pick = rng.integers(0, n_src, size)  # drawn even for kept files: same seed, same data
        if not path.exists():
            _write_file(path, src, pick, first, COMPRESSIONS[compression]())
        first += size
    return paths


def _write_file(
    path: Path, src: dict[str, ak.Array], pick: np.ndarray, first: int, compression: object
) -> None:
    branches: dict[str, object] = {"run": np.int32, "luminosityBlock": np.int32, "event": np.int64}
    branches.update({name: a.type.content for name, a in src.items()})
    tmp = path.with_name(f".{path.name}.tmp")
    with uproot.recreate(tmp, compression=compression) as f:
        tree = f.mktree(TREE, branches)
        for start in range(0, len(pick), BASKET):
            idx = pick[start : start + BASKET]
            number = np.arange(first + start, first + start + len(idx), dtype=np.int64)
            chunk: dict[str, object] = {name: a[idx] for name, a in src.items()}
            chunk["run"] = np.full(len(idx), 1, dtype=np.int32)
            chunk["luminosityBlock"] = (number // 1000 + 1).astype(np.int32)
            chunk["event"] = number
            tree.extend(chunk)
    tmp.replace(path)
