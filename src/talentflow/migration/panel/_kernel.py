"""The E-step's forward-backward compiled (numba): one pattern and one replicate at a time, 7 states in registers.

The NumPy E-step (`_em._chunk`) runs at about 0.1 CPU seconds per replicate for 18,000 patterns, most of it in
(patterns × 7) @ (7 × 7) products and their temporaries; this loop does the same sums in 0.04 s, skips the
patterns a bootstrap replicate draws zero times (a third of them under Poisson(1)), and runs blocks of patterns on
every core (bench/scale_panel.py, docs/performance.md). Each block sums into its own arrays, added up at the end,
so no two threads write the same cell.
"""

from __future__ import annotations

import numpy as np
from numba import njit

S = 7  # the model's states (_model.S); a constant here so that the loops over states are unrolled
BLOCKS = 8  # blocks of patterns run in parallel; a few per core balances uneven blocks


@njit(cache=True)
def forward_backward(codes, start, w, t, e, initial, entry, xi, first, seen, loglik, occ):  # type: ignore[no-untyped-def]
    """Add each replicate's expected counts over the patterns into ``xi`` (R, M-1, S, S), ``first`` (R, 2, S:
    older and newer resumes' first states), ``seen`` (R, 3, S), ``loglik`` (R,) and ``occ`` (R, M, S)."""
    n, m = codes.shape
    r_count = w.shape[0]
    size = (n + BLOCKS - 1) // BLOCKS
    b_xi = np.zeros((BLOCKS, r_count, m - 1, S, S))
    b_first = np.zeros((BLOCKS, r_count, 2, S))
    b_seen = np.zeros((BLOCKS, r_count, 3, S))
    b_ll = np.zeros((BLOCKS, r_count))
    b_occ = np.zeros((BLOCKS, r_count, m, S))
    for b in range(BLOCKS):
        alpha = np.empty((m, S))
        scale = np.empty(m)
        beta = np.empty(S)
        eb = np.empty(S)
        nxt = np.empty(S)
        for r in range(r_count):
            for i in range(b * size, min(n, (b + 1) * size)):
                wi = w[r, i]
                if wi == 0.0:
                    continue
                s0 = start[i]
                ll = 0.0
                for j in range(s0, m):
                    code = codes[i, j]
                    c = 0.0
                    for y in range(S):
                        if j == s0:
                            v = initial[r, y] if s0 == 0 else entry[r, y]
                        else:
                            v = 0.0
                            for x in range(S):
                                v += alpha[j - 1, x] * t[r, j - 1, x, y]
                        v *= e[r, code, y]
                        alpha[j, y] = v
                        c += v
                    for y in range(S):
                        alpha[j, y] /= c
                    scale[j] = c
                    ll += np.log(c)
                b_ll[b, r] += wi * ll
                beta[:] = 1.0
                for j in range(m - 1, s0 - 1, -1):
                    code = codes[i, j]
                    for y in range(S):
                        g = alpha[j, y] * beta[y] * wi
                        b_occ[b, r, j, y] += g
                        b_seen[b, r, code, y] += g
                        if j == s0:
                            b_first[b, r, 0 if s0 == 0 else 1, y] += g
                    if j > s0:
                        for y in range(S):
                            eb[y] = e[r, code, y] * beta[y] / scale[j]
                        for x in range(S):
                            ax = alpha[j - 1, x] * wi
                            acc = 0.0
                            for y in range(S):
                                b_xi[b, r, j - 1, x, y] += ax * eb[y] * t[r, j - 1, x, y]
                                acc += t[r, j - 1, x, y] * eb[y]
                            nxt[x] = acc
                        beta[:] = nxt
    xi += b_xi.sum(axis=0)
    first += b_first.sum(axis=0)
    seen += b_seen.sum(axis=0)
    loglik += b_ll.sum(axis=0)
    occ += b_occ.sum(axis=0)
