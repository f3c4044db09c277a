"""What every step of `seed_demo` is handed: the requested size and seed, random streams, a logger, shared state."""

import random


class DemoContext:
    """The requested size and seed, named random streams, a logger and shared state.

    `rng(name)` gives every step (and any part of one) its own stream, so adding a step never changes the
    data another makes. `state` carries objects from one step to the next (e.g. the street and its grids).
    """

    def __init__(self, *, households, seed, log):
        self.households = households
        self.seed = seed
        self.log = log
        self.state = {}

    def rng(self, name):
        return random.Random(f"{self.seed}:{name}")
