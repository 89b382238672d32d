"""Storage elements: copying files to them with verification (``transfer``) and consolidating a
dataset's files onto fewer of them (``consolidate``)."""
