"""Write a NanoAOD-like dataset by resampling the simulated CMS tutorial events (HZZ).

Each event of ``uproot-HZZ.root`` (jagged muons, electrons, jets, MET) is converted to NanoAOD
names and units (pt, eta, phi, mass per object; MET_pt, MET_phi; genWeight) and drawn with
replacement, with a fixed seed, into ``files`` files. Compression: ZSTD level 5.
"""

from __future__ import annotations

from pathlib import Path

import awkward as ak
import numpy as np
import skhep_testdata
import uproot

COMPRESSION = "ZSTD(5)"


def _objects(a: ak.Array, prefix: str, extra: dict[str, str]) -> ak.Array:
    px, py, pz, e = (a[f"{prefix}_{k}"] for k in ("Px", "Py", "Pz", "E"))
    pt = np.hypot(px, py)
    p = np.sqrt(px * px + py * py + pz * pz)
    eta = np.arctanh(pz / np.maximum(p, 1e-9))
    mass = np.sqrt(np.maximum(e * e - p * p, 0))
    fields = {"pt": pt, "eta": eta, "phi": np.arctan2(py, px), "mass": mass}
    fields.update({new: a[f"{prefix}_{old}"] for new, old in extra.items()})
    return ak.zip({k: ak.values_astype(v, np.float32) for k, v in fields.items()})


def source_events() -> dict[str, ak.Array]:
    with uproot.open(skhep_testdata.data_path("uproot-HZZ.root")) as f:
        a = f["events"].arrays()
    return {
        "Muon": _objects(a, "Muon", {"charge": "Charge", "pfRelIso": "Iso"}),
        "Electron": _objects(a, "Electron", {"charge": "Charge", "pfRelIso": "Iso"}),
        "Jet": _objects(a, "Jet", {"btag": "btag"}),
        "MET_pt": ak.values_astype(np.hypot(a.MET_px, a.MET_py), np.float32),
        "MET_phi": ak.values_astype(np.arctan2(a.MET_py, a.MET_px), np.float32),
        "genWeight": ak.values_astype(a.EventWeight, np.float32),
    }


def write(out_dir: Path, events: int, files: int, seed: int = 2012) -> list[Path]:
    """The dataset's files, written once (a file already there is kept)."""
    src = source_events()
    n_src = len(src["MET_pt"])
    rng = np.random.default_rng(seed)
    per_file = events // files
    paths = []
    out_dir.mkdir(parents=True, exist_ok=True)
    for k in range(files):
        path = out_dir / f"nano-{k:02d}.root"
        paths.append(path)
        pick = rng.integers(0, n_src, per_file)  # drawn even for files kept: same seed, same data
        if path.exists():
            continue
        tmp = path.with_suffix(".tmp")
        with uproot.recreate(tmp, compression=uproot.ZSTD(5)) as f:
            types = {
                "run": np.int32,
                "event": np.int64,
                "Muon": src["Muon"].type.content,
                "Electron": src["Electron"].type.content,
                "Jet": src["Jet"].type.content,
                "MET_pt": np.float32,
                "MET_phi": np.float32,
                "genWeight": np.float32,
            }
            f.mktree("Events", types)
            for start in range(0, per_file, 100_000):
                idx = pick[start : start + 100_000]
                chunk = {name: src[name][idx] for name in types if name in src}
                chunk["run"] = np.full(len(idx), 1, dtype=np.int32)
                chunk["event"] = np.arange(k * per_file + start, k * per_file + start + len(idx))
                f["Events"].extend(chunk)
        tmp.replace(path)
    return paths
