"""The hidden Markov model: month-end states, monthly transition probabilities and what each state shows."""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass

import numpy as np

# Month-end states. A stale searcher shows the country they left: the resume kept its old city after the move,
# and keeps it until the next search spell begins (a new spell rewrites the resume).
H_SEEK, H_QUIET, A_SEEK, A_QUIET, H_STALE, A_STALE, GONE = range(7)
S = 7
LIVE = 6
HOME_STATES = [H_SEEK, H_QUIET, H_STALE]
ABROAD_STATES = [A_SEEK, A_QUIET, A_STALE]
SEEKING = {H_SEEK, A_SEEK, H_STALE, A_STALE}


@dataclass
class Params:
    """Monthly transition and observation probabilities of the model (index m: from month m to m + 1)."""

    emigrate: np.ndarray  # (M-1,)
    ret: np.ndarray  # (M-1,)
    start_home: np.ndarray  # (M-1,) quiet -> searching, at home
    stop_home: np.ndarray  # (M-1,) searching -> quiet, at home
    start_abroad: float
    stop_abroad: float
    seek_after_leaving: np.ndarray  # (2,) by whether one was searching before the move
    seek_after_return: np.ndarray  # (2,)
    stale: float  # a searcher's resume keeps the old country after a move
    gone: float
    miss: float  # a searcher not seen in a month
    initial: np.ndarray  # (6,) state of resumes older than the first month
    entry: np.ndarray  # (6,) state of resumes created later

    @classmethod
    def first_guess(cls, months: int) -> Params:
        k = months - 1
        return cls(
            emigrate=np.full(k, 0.005),
            ret=np.full(k, 0.02),
            start_home=np.full(k, 0.05),
            stop_home=np.full(k, 0.3),
            start_abroad=0.05,
            stop_abroad=0.3,
            seek_after_leaving=np.array([0.5, 0.2]),
            seek_after_return=np.array([0.6, 0.3]),
            stale=0.2,
            gone=0.005,
            miss=0.05,
            initial=np.array([0.4, 0.55, 0.02, 0.03, 0.0, 0.0]),
            entry=np.array([0.8, 0.15, 0.02, 0.03, 0.0, 0.0]),
        )

    def copy(self) -> Params:
        return deepcopy(self)

    def transitions(self) -> np.ndarray:
        """(M-1, 7, 7) transition matrices."""
        t = np.zeros((len(self.emigrate), S, S))
        stay = 1 - self.gone
        sides = (
            # seekers and quiet state here, move rate, stop and start rates, searching after a move, states there
            (
                (H_SEEK, H_STALE),
                H_QUIET,
                self.emigrate,
                self.stop_home,
                self.start_home,
                self.seek_after_leaving,
                (A_SEEK, A_STALE, A_QUIET),
            ),
            (
                (A_SEEK, A_STALE),
                A_QUIET,
                self.ret,
                self.stop_abroad,
                self.start_abroad,
                self.seek_after_return,
                (H_SEEK, H_STALE, H_QUIET),
            ),
        )
        for seekers, quiet, move, stop, begin, seek_after, (fresh, stale, there_quiet) in sides:
            for src in (*seekers, quiet):
                k = 0 if src in seekers else 1
                keep = (1 - stop) if k == 0 else begin
                # Searching on: a stale resume stays stale; a new spell rewrites it.
                t[:, src, src if k == 0 else seekers[0]] = stay * (1 - move) * keep
                t[:, src, quiet] = stay * (1 - move) * (1 - keep)
                t[:, src, fresh] = stay * move * seek_after[k] * (1 - self.stale)
                t[:, src, stale] = stay * move * seek_after[k] * self.stale
                t[:, src, there_quiet] = stay * move * (1 - seek_after[k])
        t[:, :LIVE, GONE] = self.gone
        t[:, GONE, GONE] = 1.0
        return t

    def emissions(self) -> np.ndarray:
        """(3, 7): probability of each observation code (-1, 0, 1 stored at 0, 1, 2) in each state."""
        e = np.zeros((3, S))
        e[0] = 1.0
        seen = 1 - self.miss
        for state, shows in ((H_SEEK, 1), (A_STALE, 1), (A_SEEK, 2), (H_STALE, 2)):
            e[0, state] = self.miss
            e[shows, state] = seen
        return e


def _start_vectors(p: Params, start: np.ndarray) -> np.ndarray:
    first = np.zeros((len(start), S))
    first[:, :LIVE] = np.where((start == 0)[:, None], p.initial, p.entry)
    return first
