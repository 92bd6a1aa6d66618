"""The hidden Markov model: month-end states, the monthly decisions that move people between them, and what
each state shows.

A person's month-end state is (search type, place, search status, time abroad) or gone from the board:

- **search type** (latent, fixed per person): types differ in how often they start and stop looking for a job
  (a finite mixture: some people search five times less often than others, issue 18);
- **place**: home or abroad; **time abroad**: "recent" (the first months after a move) or "settled", with a
  return rate of its own each, so that returns may be likelier soon after leaving;
- **search status**: searching (seen), quiet (not seen), or stale: searching with a resume that still shows the
  country left (it keeps the old city after a move until the next search spell rewrites it).

Each month a person takes a chain of yes/no decisions, each with a probability of its own (a *slot* of
``Params.rates``): leave the board; else move (emigrate, at a rate that may differ between searchers and quiet
people; or return, by time abroad); after a move, search right away and, if so, with a stale resume; else, abroad,
settle (fixed rate: 1/3 a month, a mean of three months "recent"); then stop or start searching. A transition is
the product of its decisions' probabilities, and the M-step of every slot is the expected number of "yes" over
the expected number of decisions (a product of Bernoulli trials). With one type, one duration class and one
emigration rate this is the model of talentflow 0.1 (docs/migration.md).
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

HOME, ABROAD = 0, 1
SEEK, QUIET, STALE = 0, 1, 2
#: Observation codes: not seen, seen at home, seen abroad, and a month the board was not crawled.
UNSEEN, SHOWS_HOME, SHOWS_ABROAD, NO_CRAWL = range(4)
CODES = 4


@dataclass(frozen=True)
class Structure:
    """The model's size: search types, classes of time abroad, and whether searchers emigrate at a rate of their
    own. ``Structure(1, 1, False)`` is the model without any of issue 18's behaviours."""

    types: int = 2
    durations: int = 2
    intent: bool = True
    settle: float = 1 / 3  # per month, "recent" abroad -> "settled"

    @cached_property
    def states(self) -> list[tuple[int, int, int, int]]:
        """(type, place, search, duration) of each live state; GONE is the last state, after them."""
        out = []
        for k in range(self.types):
            out += [(k, HOME, q, 0) for q in (SEEK, QUIET, STALE)]
            out += [(k, ABROAD, q, d) for d in range(self.durations) for q in (SEEK, QUIET, STALE)]
        return out

    @property
    def live(self) -> int:
        return len(self.states)

    @property
    def size(self) -> int:
        return self.live + 1

    @property
    def gone(self) -> int:
        return self.live

    def index(self, k: int, place: int, search: int, d: int = 0) -> int:
        return self.states.index((k, place, search, d))

    def where(self, place: int) -> np.ndarray:
        return np.array([s[1] == place for s in self.states] + [False])

    @cached_property
    def slots(self) -> list[tuple[tuple, bool]]:
        """Each decision's key and whether it has one rate per month (else one for the whole panel)."""
        out: list[tuple[tuple, bool]] = [(("gone",), False)]
        out += [(("emigrate", c), True) for c in range(2 if self.intent else 1)]
        out += [(("return", d), True) for d in range(self.durations)]
        for k in range(self.types):
            for what in ("stop", "start"):
                out += [((what, k, HOME), True), ((what, k, ABROAD), False)]
        out += [(("after", direction, c), False) for direction in (HOME, ABROAD) for c in (0, 1)]
        out += [(("stale",), False)]
        return out

    def slot(self, *key: object) -> int:
        return [s[0] for s in self.slots].index(tuple(key))

    @cached_property
    def arcs(self) -> Arcs:
        return _arcs(self)

    @cached_property
    def incidence(self) -> tuple[np.ndarray, np.ndarray]:
        """(arcs, slots) counts of each decision's "yes" and "no" on each arc (the M-step's products)."""
        return self.arcs.incidence(len(self.slots))


#: The model of talentflow 0.1, before issue 18: one type, one class of time abroad, one emigration rate.
SIMPLE = Structure(1, 1, False)
#: The models a user picks by name (``talentflow migration panel --model``; docs/migration.md, "The model").
MODELS = {"simple": SIMPLE, "durations": Structure(1, 2, False), "full": Structure(2, 2, True)}

_FACTORS = 5  # decisions on the longest path: stay, move, search after, stale; or stay, move, settle, search


@dataclass(frozen=True)
class Arcs:
    """The transitions that can happen: ``src``, ``dst``, a constant factor, and up to five decisions each
    (slot index, or -1; taken or not)."""

    src: np.ndarray
    dst: np.ndarray
    const: np.ndarray
    slot: np.ndarray  # (arcs, _FACTORS)
    yes: np.ndarray  # (arcs, _FACTORS) bool

    def incidence(self, slots: int) -> tuple[np.ndarray, np.ndarray]:
        """(arcs, slots) counts of each slot's "yes" and "no" decisions on each arc."""
        yes, no = np.zeros((len(self.src), slots)), np.zeros((len(self.src), slots))
        for a in range(len(self.src)):
            for f in range(_FACTORS):
                if self.slot[a, f] >= 0:
                    (yes if self.yes[a, f] else no)[a, self.slot[a, f]] += 1
        return yes, no


def _arcs(st: Structure) -> Arcs:
    rows: list[tuple[int, int, float, list[tuple[int, bool]]]] = []
    gone = st.slot("gone")
    for src, (k, place, q, d) in enumerate(st.states):
        c = 0 if q in (SEEK, STALE) else 1
        rows.append((src, st.gone, 1.0, [(gone, True)]))
        stay = [(gone, False)]
        move = st.slot("emigrate", c if st.intent else 0) if place == HOME else st.slot("return", d)
        there = 1 - place
        after = st.slot("after", place, c)
        stale = st.slot("stale")
        moved = [*stay, (move, True)]
        rows.append((src, st.index(k, there, SEEK), 1.0, [*moved, (after, True), (stale, False)]))
        rows.append((src, st.index(k, there, STALE), 1.0, [*moved, (after, True), (stale, True)]))
        rows.append((src, st.index(k, there, QUIET), 1.0, [*moved, (after, False)]))
        kept = [*stay, (move, False)]
        durations = [(d, 1.0)]
        if place == ABROAD and d < st.durations - 1:
            durations = [(d, 1 - st.settle), (d + 1, st.settle)]
        for d2, weight in durations:
            if c == 0:
                stop = st.slot("stop", k, place)
                rows.append((src, st.index(k, place, q, d2), weight, [*kept, (stop, False)]))
                rows.append((src, st.index(k, place, QUIET, d2), weight, [*kept, (stop, True)]))
            else:
                begin = st.slot("start", k, place)
                rows.append((src, st.index(k, place, SEEK, d2), weight, [*kept, (begin, True)]))
                rows.append((src, st.index(k, place, QUIET, d2), weight, [*kept, (begin, False)]))
    rows.append((st.gone, st.gone, 1.0, []))
    slot = np.full((len(rows), _FACTORS), -1, np.int64)
    yes = np.zeros((len(rows), _FACTORS), bool)
    for a, (_, _, _, factors) in enumerate(rows):
        for f, (s, y) in enumerate(factors):
            slot[a, f], yes[a, f] = s, y
    return Arcs(
        np.array([r[0] for r in rows], np.int64),
        np.array([r[1] for r in rows], np.int64),
        np.array([r[2] for r in rows]),
        slot,
        yes,
    )


@dataclass
class Params:
    """The model's probabilities: each decision's rate by month (``rates``, (M-1, slots): from month m to m + 1),
    the chance a searcher is not seen in a month, and the first state of resumes older than the first month
    (``initial``) and of those created later (``entry``)."""

    structure: Structure
    rates: np.ndarray
    miss: float
    initial: np.ndarray  # (live states,)
    entry: np.ndarray
    extra: dict = field(default_factory=dict)

    @classmethod
    def first_guess(cls, months: int, structure: Structure = SIMPLE) -> Params:
        st = structure
        guess = {"gone": 0.005, "emigrate": 0.005, "return": 0.02, "stop": 0.3, "start": 0.05, "stale": 0.2}
        after = {(HOME, 0): 0.5, (HOME, 1): 0.2, (ABROAD, 0): 0.6, (ABROAD, 1): 0.3}
        rates = np.empty((months - 1, len(st.slots)))
        for j, (key, _) in enumerate(st.slots):
            value = after[key[1:]] if key[0] == "after" else guess[key[0]]
            if key[0] == "emigrate" and st.intent:
                value *= (1.5, 0.75)[key[1]]
            if key[0] == "return" and st.durations > 1:
                value *= 2.0 if key[1] == 0 else 1.0
            if key[0] == "start" and st.types > 1:
                value *= 0.3 + 1.2 * key[1] / (st.types - 1)  # types start apart so that EM tells them apart
            rates[:, j] = value
        first = {(HOME, SEEK): 0.4, (HOME, QUIET): 0.55, (ABROAD, SEEK): 0.02, (ABROAD, QUIET): 0.03}
        newer = {(HOME, SEEK): 0.8, (HOME, QUIET): 0.15, (ABROAD, SEEK): 0.02, (ABROAD, QUIET): 0.03}

        def spread(table: dict) -> np.ndarray:
            v = np.array([table.get((p, q), 0.0) if d == 0 else 0.0 for (_, p, q, d) in st.states]) / st.types
            return v / v.sum()

        return cls(st, rates, 0.05, spread(first), spread(newer))

    def copy(self) -> Params:
        return deepcopy(self)

    def rate(self, *key: object) -> np.ndarray:
        """One decision's rate by month (a slot of ``rates``)."""
        return self.rates[:, self.structure.slot(*key)]

    def arc_values(self) -> np.ndarray:
        """(M-1, arcs): each transition's probability by month."""
        arcs = self.structure.arcs
        r = self.rates[:, np.maximum(arcs.slot, 0)]
        factors = np.where(arcs.slot >= 0, np.where(arcs.yes, r, 1 - r), 1.0)
        return arcs.const * factors.prod(axis=2)

    def transitions(self) -> np.ndarray:
        """(M-1, S, S) transition matrices."""
        st = self.structure
        t = np.zeros((len(self.rates), st.size, st.size))
        t[:, st.arcs.src, st.arcs.dst] = self.arc_values()
        return t

    def emissions(self) -> np.ndarray:
        """(4, S): probability of each observation code in each state."""
        st = self.structure
        e = np.zeros((CODES, st.size))
        e[UNSEEN] = 1.0
        e[NO_CRAWL] = 1.0
        for s, (_, place, q, _) in enumerate(st.states):
            if q == QUIET:
                continue
            shows_home = (place == HOME) == (q == SEEK)
            e[UNSEEN, s] = self.miss
            e[SHOWS_HOME if shows_home else SHOWS_ABROAD, s] = 1 - self.miss
        return e

    def start_vectors(self) -> np.ndarray:
        """(2, S): the first state of resumes older than the first month, and of those created later."""
        first = np.zeros((2, self.structure.size))
        first[0, :-1], first[1, :-1] = self.initial, self.entry
        return first
