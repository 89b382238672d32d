"""A train run: composed from the catalog, advanced one resumable step at a time, finished.

- ``compose``: the wagons, the jobs' file slices and the job template, as a ``TrainRecord``;
- ``advance``: one step from the record alone (``step`` decides, ``act`` does it on the grid);
- ``finish``: verified outputs, the merged file and the totals;
- ``policies``: express and locality decisions, pure;
- ``loop``: a blocking loop over ``advance`` for the demo and the tests.
"""

from controller.trainrun.advance import act, advance, kill, retry, step
from controller.trainrun.compose import compose, spec_of, specs_of
from controller.trainrun.loop import run

__all__ = ["act", "advance", "compose", "kill", "retry", "run", "spec_of", "specs_of", "step"]
