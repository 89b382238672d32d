"""Ten benchmark wagons of realistic, mixed weight on NanoAOD-like events.

Mounted by the benchmark as the analysis ``bench`` of a generated catalog; ``WAGONS`` names
each wagon and its class. They fill histograms only: no file or network I/O.
"""

from __future__ import annotations

import awkward as ak
import hist
import numpy as np

from controller.engine.task import Task


def _h(bins: int, low: float, high: float, name: str) -> hist.Hist:
    return hist.Hist(hist.axis.Regular(bins, low, high, name=name))


def _np(x: ak.Array) -> np.ndarray:
    return np.asarray(ak.flatten(x, axis=None))


class MuonKinematics(Task):
    columns = ("Muon_pt", "Muon_eta")

    def book(self) -> dict[str, hist.Hist]:
        return {"pt": _h(50, 0, 200, "pt"), "eta": _h(50, -2.5, 2.5, "eta")}

    def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> None:
        out["pt"].fill(pt=_np(events.Muon_pt))
        out["eta"].fill(eta=_np(events.Muon_eta))


class Dimuon(Task):
    columns = ("Muon_pt", "Muon_eta", "Muon_phi", "Muon_mass", "Muon_charge")

    def book(self) -> dict[str, hist.Hist]:
        return {"mass": _h(120, 0, 240, "mass")}

    def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> None:
        two = events[ak.num(events.Muon_pt) == 2]
        pt, eta, phi, m = two.Muon_pt, two.Muon_eta, two.Muon_phi, two.Muon_mass
        os_ = (two.Muon_charge[:, 0] * two.Muon_charge[:, 1]) < 0
        px, py = ak.sum(pt * np.cos(phi), axis=1), ak.sum(pt * np.sin(phi), axis=1)
        pz = ak.sum(pt * np.sinh(eta), axis=1)
        e = ak.sum(np.sqrt((pt * np.cosh(eta)) ** 2 + m**2), axis=1)
        mass = np.sqrt(np.maximum(e**2 - px**2 - py**2 - pz**2, 0))
        out["mass"].fill(mass=np.asarray(mass[os_]))


class ElectronKinematics(Task):
    columns = ("Electron_pt", "Electron_eta", "Electron_pfRelIso")

    def book(self) -> dict[str, hist.Hist]:
        return {"pt": _h(50, 0, 200, "pt"), "iso": _h(40, 0, 2, "iso")}

    def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> None:
        central = abs(events.Electron_eta) < 2.5
        out["pt"].fill(pt=_np(events.Electron_pt[central]))
        out["iso"].fill(iso=_np(events.Electron_pfRelIso[central]))


class FourLepton(Task):
    columns = (
        "Muon_pt", "Muon_eta", "Muon_phi", "Muon_mass",
        "Electron_pt", "Electron_eta", "Electron_phi", "Electron_mass",
    )  # fmt: skip

    def book(self) -> dict[str, hist.Hist]:
        return {"m4l": _h(60, 0, 600, "m4l")}

    def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> None:
        parts = {}
        for k in ("pt", "eta", "phi", "mass"):
            parts[k] = ak.concatenate([events[f"Muon_{k}"], events[f"Electron_{k}"]], axis=1)
        four = ak.num(parts["pt"]) >= 4
        pt, eta, phi, m = (parts[k][four][:, :4] for k in ("pt", "eta", "phi", "mass"))
        px, py = ak.sum(pt * np.cos(phi), axis=1), ak.sum(pt * np.sin(phi), axis=1)
        pz = ak.sum(pt * np.sinh(eta), axis=1)
        e = ak.sum(np.sqrt((pt * np.cosh(eta)) ** 2 + m**2), axis=1)
        out["m4l"].fill(m4l=np.asarray(np.sqrt(np.maximum(e**2 - px**2 - py**2 - pz**2, 0))))


class JetMultiplicity(Task):
    columns = ("Jet_pt", "Jet_eta")

    def book(self) -> dict[str, hist.Hist]:
        return {"njet": _h(12, 0, 12, "njet"), "ht": _h(50, 0, 1000, "ht")}

    def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> None:
        good = (events.Jet_pt > 30) & (abs(events.Jet_eta) < 2.4)
        jets = events.Jet_pt[good]
        out["njet"].fill(njet=np.asarray(ak.num(jets)))
        out["ht"].fill(ht=np.asarray(ak.sum(jets, axis=1)))


class LeadingBJet(Task):
    columns = ("Jet_pt", "Jet_btag")

    def book(self) -> dict[str, hist.Hist]:
        return {"pt": _h(40, 0, 400, "pt")}

    def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> None:
        b = events.Jet_pt[events.Jet_btag > 0.5]
        lead = ak.max(b, axis=1)
        out["pt"].fill(pt=np.asarray(ak.drop_none(lead)))


class MissingEt(Task):
    columns = ("MET_pt", "MET_phi")

    def book(self) -> dict[str, hist.Hist]:
        return {"met": _h(50, 0, 250, "met"), "phi": _h(32, -np.pi, np.pi, "phi")}

    def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> None:
        out["met"].fill(met=np.asarray(events.MET_pt))
        out["phi"].fill(phi=np.asarray(events.MET_phi))


class JetPtEta(Task):
    columns = ("Jet_pt", "Jet_eta")

    def book(self) -> dict[str, hist.Hist]:
        return {
            "pt_eta": hist.Hist(
                hist.axis.Regular(40, 0, 400, name="pt"), hist.axis.Regular(30, -3, 3, name="eta")
            )
        }

    def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> None:
        out["pt_eta"].fill(pt=_np(events.Jet_pt), eta=_np(events.Jet_eta))


class ZPlusJets(Task):
    """Selection-heavy: two isolated opposite-charge muons, pair combinatorics, jet cuts."""

    columns = (
        "Muon_pt", "Muon_eta", "Muon_phi", "Muon_charge", "Muon_pfRelIso", "Jet_pt", "Jet_eta",
    )  # fmt: skip

    def book(self) -> dict[str, hist.Hist]:
        return {"mass": _h(60, 60, 120, "mass"), "njet": _h(8, 0, 8, "njet")}

    def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> None:
        good = (events.Muon_pt > 10) & (abs(events.Muon_eta) < 2.4) & (events.Muon_pfRelIso < 0.15)
        mu = ak.zip(
            {
                "pt": events.Muon_pt[good],
                "eta": events.Muon_eta[good],
                "phi": events.Muon_phi[good],
                "q": events.Muon_charge[good],
            }
        )
        pairs = ak.combinations(mu, 2)
        a, b = pairs["0"], pairs["1"]
        m = np.sqrt(
            np.maximum(2 * a.pt * b.pt * (np.cosh(a.eta - b.eta) - np.cos(a.phi - b.phi)), 0)
        )
        m = m[a.q != b.q]
        best = ak.firsts(m[ak.argmin(abs(m - 91.19), axis=1, keepdims=True)])
        has_z = ~ak.is_none(best)
        out["mass"].fill(mass=np.asarray(best[has_z]))
        jets = (events.Jet_pt > 30) & (abs(events.Jet_eta) < 2.4)
        out["njet"].fill(njet=np.asarray(ak.sum(jets[has_z], axis=1)))


class WeightedMuonPt(Task):
    columns = ("Muon_pt", "genWeight")

    def book(self) -> dict[str, hist.Hist]:
        return {
            "pt": hist.Hist(hist.axis.Regular(50, 0, 200, name="pt"), storage=hist.storage.Weight())
        }

    def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> None:
        w = ak.broadcast_arrays(events.genWeight, events.Muon_pt)[0]
        out["pt"].fill(pt=_np(events.Muon_pt), weight=_np(w))


WAGONS = [
    ("muon-kinematics", "MuonKinematics"),
    ("dimuon", "Dimuon"),
    ("electron-kinematics", "ElectronKinematics"),
    ("four-lepton", "FourLepton"),
    ("jet-multiplicity", "JetMultiplicity"),
    ("leading-bjet", "LeadingBJet"),
    ("missing-et", "MissingEt"),
    ("jet-pt-eta", "JetPtEta"),
    ("z-plus-jets", "ZPlusJets"),
    ("weighted-muon-pt", "WeightedMuonPt"),
]
