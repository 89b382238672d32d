"""The train-engine benchmark: read once for ten wagons, against the physical minimum."""
