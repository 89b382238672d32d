"""Tasks of the multi-lepton and jet analysis on the simulated CMS tutorial sample (jagged)."""

from __future__ import annotations

import awkward as ak
import hist
import numpy as np
from pydantic import Field

from controller.engine.task import Task, TaskConfig


def _mass(e: ak.Array, px: ak.Array, py: ak.Array, pz: ak.Array) -> np.ndarray:
    m2 = np.asarray(e) ** 2 - np.asarray(px) ** 2 - np.asarray(py) ** 2 - np.asarray(pz) ** 2
    return np.sqrt(np.clip(m2, 0, None))


class FourLeptonConfig(TaskConfig):
    bins: int = Field(50, ge=1, description="Number of mass bins.")
    high: float = Field(500.0, gt=0, description="Upper edge of the mass axis (GeV).")
    iso_max: float = Field(10.0, gt=0, description="Maximum isolation of each lepton.")


class FourLeptonMass(Task):
    """Mass of the four leading isolated leptons (muons and electrons) with zero total charge."""

    Config = FourLeptonConfig
    columns = (
        "Muon_Px", "Muon_Py", "Muon_Pz", "Muon_E", "Muon_Charge", "Muon_Iso",
        "Electron_Px", "Electron_Py", "Electron_Pz", "Electron_E", "Electron_Charge",
        "Electron_Iso",
    )  # fmt: skip

    def book(self) -> dict[str, hist.Hist]:
        c = self.config
        return {
            "m4l": hist.Hist(hist.axis.Regular(c.bins, 0, c.high, name="m4l", label="m(4ℓ) [GeV]")),
            "nlep": hist.Hist(hist.axis.Integer(0, 8, name="nlep", label="isolated leptons")),
        }

    def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> None:
        iso = self.config.iso_max
        parts = {}
        for k in ("Px", "Py", "Pz", "E", "Charge"):
            mu = events["Muon_" + k][events.Muon_Iso < iso]
            el = events["Electron_" + k][events.Electron_Iso < iso]
            parts[k] = ak.concatenate([mu, el], axis=1)
        nlep = ak.num(parts["E"], axis=1)
        out["nlep"].fill(nlep=np.asarray(nlep))
        four = nlep >= 4
        lead = {k: v[four][:, :4] for k, v in parts.items()}
        neutral = ak.sum(lead["Charge"], axis=1) == 0
        s = {k: ak.sum(lead[k][neutral], axis=1) for k in ("E", "Px", "Py", "Pz")}
        out["m4l"].fill(m4l=_mass(s["E"], s["Px"], s["Py"], s["Pz"]))


class JetActivityConfig(TaskConfig):
    pt_min: float = Field(30.0, ge=0, description="Minimum jet transverse momentum (GeV).")
    btag_min: float | None = Field(
        None, description="If set, count only jets with a b-tag discriminant above this."
    )


class JetActivity(Task):
    """Jet multiplicity and the leading jet's transverse momentum."""

    Config = JetActivityConfig
    columns = ("Jet_Px", "Jet_Py", "Jet_btag")

    def book(self) -> dict[str, hist.Hist]:
        return {
            "njet": hist.Hist(hist.axis.Integer(0, 10, name="njet", label="jets")),
            "lead_pt": hist.Hist(
                hist.axis.Regular(40, 0, 400, name="pt", label="leading jet pT [GeV]")
            ),
        }

    def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> None:
        c = self.config
        pt = np.hypot(events.Jet_Px, events.Jet_Py)
        keep = pt > c.pt_min
        if c.btag_min is not None:
            keep = keep & (events.Jet_btag > c.btag_min)
        pt = pt[keep]
        out["njet"].fill(njet=np.asarray(ak.num(pt, axis=1)))
        lead = ak.max(pt, axis=1)
        out["lead_pt"].fill(pt=np.asarray(ak.drop_none(lead)))


class MissingEtConfig(TaskConfig):
    weighted: bool = Field(True, description="Weight each event by its generator EventWeight.")


class MissingEt(Task):
    """Missing transverse energy, optionally weighted by the event weight."""

    Config = MissingEtConfig
    columns = ("MET_px", "MET_py", "EventWeight")

    def book(self) -> dict[str, hist.Hist]:
        return {
            "met": hist.Hist(
                hist.axis.Regular(50, 0, 250, name="met", label="MET [GeV]"),
                storage=hist.storage.Weight(),
            )
        }

    def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> None:
        met = np.hypot(np.asarray(events.MET_px), np.asarray(events.MET_py))
        w = np.asarray(events.EventWeight) if self.config.weighted else None
        out["met"].fill(met=met, weight=w)
