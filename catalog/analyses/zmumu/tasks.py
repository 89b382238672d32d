"""Tasks of the Z -> mu mu analysis on the real CMS 2010 dimuon events (flat branches)."""

from __future__ import annotations

import awkward as ak
import hist
import numpy as np
from pydantic import Field

from controller.engine.task import Task, TaskConfig


class DimuonSelectionConfig(TaskConfig):
    pt_min: float = Field(20.0, ge=0, description="Minimum transverse momentum of each muon (GeV).")
    eta_max: float = Field(2.1, gt=0, description="Maximum |pseudorapidity| of each muon.")
    opposite_charge: bool = Field(True, description="Require muons of opposite charge.")


class DimuonSelection(Task):
    """Service wagon: marks events whose muon pair passes the selection ('good_pair')."""

    Config = DimuonSelectionConfig
    columns = ("pt1", "pt2", "eta1", "eta2", "Q1", "Q2")
    produces = ("good_pair",)

    def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> dict[str, ak.Array]:
        c = self.config
        good = (
            (events.pt1 > c.pt_min)
            & (events.pt2 > c.pt_min)
            & (abs(events.eta1) < c.eta_max)
            & (abs(events.eta2) < c.eta_max)
        )
        if c.opposite_charge:
            good = good & (events.Q1 != events.Q2)
        return {"good_pair": good}


class DimuonMassConfig(TaskConfig):
    bins: int = Field(60, ge=1, le=10_000, description="Number of mass bins.")
    low: float = Field(60.0, description="Lower edge of the mass axis (GeV).")
    high: float = Field(120.0, description="Upper edge of the mass axis (GeV).")


class DimuonMass(Task):
    """Invariant mass of the selected muon pairs, computed from the four-momenta."""

    Config = DimuonMassConfig
    columns = ("E1", "px1", "py1", "pz1", "E2", "px2", "py2", "pz2", "good_pair")

    def book(self) -> dict[str, hist.Hist]:
        c = self.config
        return {
            "mass": hist.Hist(
                hist.axis.Regular(c.bins, c.low, c.high, name="mass", label="m(μμ) [GeV]")
            )
        }

    def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> None:
        sel = events[events.good_pair]
        e = np.asarray(sel.E1) + np.asarray(sel.E2)
        px = np.asarray(sel.px1) + np.asarray(sel.px2)
        py = np.asarray(sel.py1) + np.asarray(sel.py2)
        pz = np.asarray(sel.pz1) + np.asarray(sel.pz2)
        m2 = e * e - px * px - py * py - pz * pz
        out["mass"].fill(mass=np.sqrt(np.clip(m2, 0, None)))


class MuonKinematicsConfig(TaskConfig):
    pt_bins: int = Field(50, ge=1, description="Number of transverse-momentum bins.")
    pt_max: float = Field(100.0, gt=0, description="Upper edge of the pT axis (GeV).")
    eta_bins: int = Field(40, ge=1, description="Number of pseudorapidity bins.")


class MuonKinematics(Task):
    """Transverse momentum, pseudorapidity and azimuth of both muons of every event."""

    Config = MuonKinematicsConfig
    columns = ("pt1", "pt2", "eta1", "eta2", "phi1", "phi2")

    def book(self) -> dict[str, hist.Hist]:
        c = self.config
        return {
            "pt": hist.Hist(hist.axis.Regular(c.pt_bins, 0, c.pt_max, name="pt", label="pT [GeV]")),
            "eta": hist.Hist(hist.axis.Regular(c.eta_bins, -2.5, 2.5, name="eta", label="η")),
            "phi": hist.Hist(hist.axis.Regular(32, -np.pi, np.pi, name="phi", label="φ")),
        }

    def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> None:
        for i in ("1", "2"):
            out["pt"].fill(pt=np.asarray(events["pt" + i]))
            out["eta"].fill(eta=np.asarray(events["eta" + i]))
            out["phi"].fill(phi=np.asarray(events["phi" + i]))
