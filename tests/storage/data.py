"""Files for the storage tests: the real Zmumu events rewritten in baskets of 500 entries (so
that a file can be corrupt in its middle only), and corrupting one basket of one branch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import uproot

from tests.reference import ZMUMU

BASKET = 500


def zmumu_in_baskets(path: Path) -> Path:
    """The Zmumu events, tree 'events', written ``BASKET`` entries at a time."""
    with uproot.open(ZMUMU) as f:
        arrays = f["events"].arrays(library="np")
    columns = {k: v for k, v in arrays.items() if v.dtype != object}
    with uproot.recreate(path) as out:
        out.mktree("events", {k: v.dtype for k, v in columns.items()})
        for start in range(0, len(next(iter(columns.values()))), BASKET):
            out["events"].extend({k: v[start : start + BASKET] for k, v in columns.items()})
    return path


def corrupt_basket(path: Path, branch: str, index: int) -> None:
    """Overwrite the compressed bytes of basket ``index`` of ``branch`` with noise."""
    with uproot.open(path) as f:
        b = f["events"][branch]
        seek = int(b.member("fBasketSeek")[index])
        nbytes = int(b.member("fBasketBytes")[index])
    data = bytearray(path.read_bytes())
    header = 80  # the basket's key: leave it, so that the file still opens
    noise = np.random.default_rng(7).integers(0, 256, nbytes - header, dtype=np.uint8)
    data[seek + header : seek + nbytes] = noise.tobytes()
    path.write_bytes(bytes(data))
