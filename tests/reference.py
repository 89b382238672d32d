"""Independent reference computations of the example wagons, straight from uproot and numpy.

They share no code with the tasks in catalog/analyses: plain numpy on the real events, loops
where the data are jagged, so that a bin-for-bin match means the engine is right.
"""

from __future__ import annotations

import math

import numpy as np
import skhep_testdata
import uproot

ZMUMU = skhep_testdata.data_path("uproot-Zmumu.root")
HZZ = skhep_testdata.data_path("uproot-HZZ.root")


def _hist(
    values: np.ndarray, bins: int, low: float, high: float, weights: np.ndarray | None = None
) -> np.ndarray:
    """Counts per bin with boost-histogram's rule: [low, high) per bin, overflow dropped."""
    values = np.asarray(values, dtype=np.float64)
    idx = np.floor((values - low) / (high - low) * bins).astype(np.int64)
    inside = (values >= low) & (values < high) & (idx >= 0) & (idx < bins)
    w = np.ones_like(values) if weights is None else np.asarray(weights, dtype=np.float64)
    return np.bincount(idx[inside], weights=w[inside], minlength=bins).astype(np.float64)


def zmumu_reference(
    entry_start: int = 0, entry_stop: int | None = None, runs: list[int] | None = None
) -> dict[str, dict[str, np.ndarray]]:
    """The example zmumu train's histograms; ``runs``: only the events of these runs."""
    with uproot.open(ZMUMU) as f:
        a = f["events"].arrays(library="np", entry_start=entry_start, entry_stop=entry_stop)
    if runs is not None:
        keep = np.isin(a["Run"], runs)
        a = {k: v[keep] for k, v in a.items()}
    good = (
        (a["pt1"] > 20.0) & (a["pt2"] > 20.0)
        & (np.abs(a["eta1"]) < 2.1) & (np.abs(a["eta2"]) < 2.1)
        & (a["Q1"] != a["Q2"])
    )  # fmt: skip
    e = a["E1"][good] + a["E2"][good]
    px = a["px1"][good] + a["px2"][good]
    py = a["py1"][good] + a["py2"][good]
    pz = a["pz1"][good] + a["pz2"][good]
    mass = np.sqrt(np.clip(e**2 - px**2 - py**2 - pz**2, 0, None))
    pt = np.concatenate([a["pt1"], a["pt2"]])
    eta = np.concatenate([a["eta1"], a["eta2"]])
    phi = np.concatenate([a["phi1"], a["phi2"]])
    return {
        "zmumu/dimuon-mass": {"mass": _hist(mass, 60, 60.0, 120.0)},
        "zmumu/dimuon-mass_wide": {"mass": _hist(mass, 75, 0.0, 150.0)},
        "zmumu/muon-kinematics": {
            "pt": _hist(pt, 50, 0.0, 100.0),
            "eta": _hist(eta, 40, -2.5, 2.5),
            "phi": _hist(phi, 32, -math.pi, math.pi),
        },
    }


def hzz_reference() -> dict[str, dict[str, np.ndarray]]:
    with uproot.open(HZZ) as f:
        a = f["events"].arrays(library="np")
    n = len(a["MET_px"])
    met = np.hypot(a["MET_px"], a["MET_py"])
    njet, lead, njet_b, lead_b, nlep, m4l = [], [], [], [], [], []
    nlep_loose, m4l_loose = [], []
    for i in range(n):
        pt = np.hypot(a["Jet_Px"][i], a["Jet_Py"][i])
        sel = pt > 30.0
        njet.append(int(sel.sum()))
        if sel.any():
            lead.append(float(pt[sel].max()))
        selb = sel & (a["Jet_btag"][i] > 0.5)
        njet_b.append(int(selb.sum()))
        if selb.any():
            lead_b.append(float(pt[selb].max()))
        for iso, counts, masses in ((10.0, nlep, m4l), (50.0, nlep_loose, m4l_loose)):
            leptons = [
                (
                    a[f"{k}_E"][i][j],
                    a[f"{k}_Px"][i][j],
                    a[f"{k}_Py"][i][j],
                    a[f"{k}_Pz"][i][j],
                    a[f"{k}_Charge"][i][j],
                )
                for k in ("Muon", "Electron")
                for j in range(len(a[f"{k}_E"][i]))
                if a[f"{k}_Iso"][i][j] < iso
            ]
            counts.append(len(leptons))
            if len(leptons) >= 4 and sum(lep[4] for lep in leptons[:4]) == 0:
                e, px, py, pz = (sum(float(lep[c]) for lep in leptons[:4]) for c in range(4))
                masses.append(math.sqrt(max(e * e - px * px - py * py - pz * pz, 0.0)))
    return {
        "multilepton/met": {"met": _hist(met, 50, 0.0, 250.0, weights=a["EventWeight"])},
        "multilepton/jets": {
            "njet": _hist(np.array(njet), 10, 0, 10),
            "lead_pt": _hist(np.array(lead), 40, 0, 400),
        },
        "multilepton/jets_btag": {
            "njet": _hist(np.array(njet_b), 10, 0, 10),
            "lead_pt": _hist(np.array(lead_b), 40, 0, 400),
        },
        "multilepton/four-lepton": {
            "m4l": _hist(np.array(m4l), 50, 0, 500),
            "nlep": _hist(np.array(nlep), 8, 0, 8),
        },
        "multilepton/four-lepton_loose-iso": {
            "m4l": _hist(np.array(m4l_loose), 50, 0, 500),
            "nlep": _hist(np.array(nlep_loose), 8, 0, 8),
        },
    }


def assert_matches(
    histograms: dict[str, dict[str, object]], reference: dict[str, dict[str, np.ndarray]]
) -> int:
    """Assert every reference histogram equals the engine's, bin for bin; return bins compared."""
    compared = 0
    for directory, hists in reference.items():
        assert directory in histograms, f"missing wagon directory {directory}"
        for name, expected in hists.items():
            got = histograms[directory][name].values()  # type: ignore[attr-defined]
            np.testing.assert_allclose(
                got, expected, rtol=1e-9, atol=1e-9, err_msg=f"{directory}/{name}"
            )
            compared += len(expected)
    return compared
