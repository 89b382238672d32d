"""What each wagon of a train may see of a chunk: its own read-only view, nothing else.

Hundreds of analysts share one read, so no wagon may change what another sees. Every buffer of
a chunk (and of every column a service wagon adds) is made read-only, so an in-place write
raises at once; each wagon gets a fresh record array holding only the columns it declared,
taken from the file or from the products of the wagons it depends on, so setting or deleting a
field changes its own view only. Building a view copies no data. Pure: awkward only, no I/O.

What this does not stop: code that deliberately makes a buffer writeable again or rewrites the
internals of awkward's layouts. The wagon tests' interaction check (a wagon's output in the full
train against its output alone) catches the effect of that.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import awkward as ak
import numpy as np

# the numpy buffers hanging off a layout node, by attribute
_INDEXES = ("offsets", "starts", "stops", "index", "tags", "mask")


def freeze(layout: ak.contents.Content) -> None:
    """Make every numpy buffer of ``layout`` read-only, in place (the arrays are not copied)."""
    if isinstance(layout, ak.contents.NumpyArray):
        _readonly(layout.data)
        return
    for attr in _INDEXES:
        index = getattr(layout, attr, None)
        if isinstance(index, ak.index.Index):
            _readonly(index.data)
    if isinstance(layout, ak.contents.RecordArray | ak.contents.UnionArray):
        for content in layout.contents:
            freeze(content)
    else:
        content = getattr(layout, "content", None)
        if isinstance(content, ak.contents.Content):
            freeze(content)


def _readonly(data: object) -> None:
    if isinstance(data, np.ndarray):
        data.flags.writeable = False


@dataclass(frozen=True)
class Columns:
    """One chunk's columns by name: read from the file, or produced by a wagon."""

    length: int
    read: Mapping[str, ak.contents.Content]

    @staticmethod
    def of(events: ak.Array) -> Columns:
        """The fields of a chunk as read, frozen."""
        layout = events.layout
        freeze(layout)
        if isinstance(layout, ak.contents.RecordArray):  # as read: no copy, no projection
            return Columns(len(events), {name: layout.content(name) for name in layout.fields})
        # cut by a run list: an indexed record array; each field is projected through the index
        read = {name: events[name].layout for name in events.fields}
        for content in read.values():
            freeze(content)
        return Columns(len(events), read)


def view(
    columns: Columns,
    from_file: tuple[str, ...],
    from_products: Mapping[str, ak.contents.Content],
) -> ak.Array:
    """A new record array of the named columns; ``from_products`` wins over the file."""
    names = [*from_file, *from_products]
    contents = [columns.read[c] for c in from_file] + list(from_products.values())
    return ak.Array(ak.contents.RecordArray(contents, names, length=columns.length))


def as_column(value: object, length: int) -> ak.contents.Content | str:
    """A produced column as a frozen layout, or why it is not one (for the error message)."""
    try:
        layout = ak.to_layout(value, allow_record=False, allow_unknown=False)
    except Exception as exc:  # anything a wagon may return
        return f"is not an array ({type(value).__name__}: {type(exc).__name__})"
    if layout.length != length:
        return f"has {layout.length} entries for a chunk of {length} events"
    freeze(layout)
    return layout
