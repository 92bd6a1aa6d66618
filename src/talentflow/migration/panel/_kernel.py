"""The E-step's forward-backward compiled (numba): one pattern at a time, over the model's arcs, every replicate
at once.

The model's transition matrices are sparse (about 6 of 19 successors per state with two search types and two
classes of time abroad), so the sums run over the arcs that can happen, not over every pair of states. The
replicates of a bootstrap group share the patterns and differ in weights and parameters: they are the innermost
axis of every array here, so that each arc's update is one contiguous loop over replicates, which the compiler
vectorises. Blocks of patterns run on every core (``prange``), each summing into arrays of its own, added up
at the end, so that no two threads write the same cell; a small pass runs on one core (`PARALLEL_FROM`). The
NumPy E-step (`_em._chunk`) computes the same sums with dense matrix products.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

BLOCKS = 8  # blocks of patterns run in parallel: a few per core balances blocks of uneven cost
#: Below this many cells (patterns × months × replicates) a pass runs on one core. On a small pass the threads
#: save little on an idle machine and cost up to five times the pass beside another process running parallel
#: work: each thread then waits for a time slice (docs/performance.md, "The E-step on one core or all cores").
PARALLEL_FROM = 200_000


def forward_backward(codes, start, w, tv, src, dst, e, initial, entry, xi, first, seen, loglik, occ):  # type: ignore[no-untyped-def]
    """Add each replicate's expected counts over the patterns into the sums (see `_parallel`): on every core when
    the pass is large enough to pay for starting the threads, else on this one."""
    run = _parallel if codes.shape[0] * codes.shape[1] * w.shape[1] >= PARALLEL_FROM else _serial
    run(codes, start, w, tv, src, dst, e, initial, entry, xi, first, seen, loglik, occ)


@njit(cache=True)
def _serial(codes, start, w, tv, src, dst, e, initial, entry, xi, first, seen, loglik, occ):  # type: ignore[no-untyped-def]
    # `_block` adds into the arrays it is given: with one block, they are the sums themselves.
    _block(codes, start, w, tv, src, dst, e, initial, entry, 0, 1, xi, first, seen, loglik, occ)


@njit(cache=True, parallel=True)
def _parallel(codes, start, w, tv, src, dst, e, initial, entry, xi, first, seen, loglik, occ):  # type: ignore[no-untyped-def]
    """Add each replicate's expected counts over the patterns into ``xi`` (M-1, arcs, R), ``first`` (2, S, R:
    older and newer resumes' first states), ``seen`` (4, S, R), ``loglik`` (R,) and ``occ`` (M, S, R).
    ``w`` is (patterns, R); ``tv`` (M-1, arcs, R) holds each arc's probability, from state ``src[a]`` to
    ``dst[a]``; ``e`` is (4, S, R), ``initial`` and ``entry`` (S, R)."""
    n, m = codes.shape
    r_count = w.shape[1]
    s_count = e.shape[1]
    blocks = max(1, min(BLOCKS, n))
    b_xi = np.zeros((blocks, m - 1, src.shape[0], r_count))
    b_first = np.zeros((blocks, 2, s_count, r_count))
    b_seen = np.zeros((blocks, 4, s_count, r_count))
    b_ll = np.zeros((blocks, r_count))
    b_occ = np.zeros((blocks, m, s_count, r_count))
    for b in prange(blocks):
        _block(
            codes, start, w, tv, src, dst, e, initial, entry, b, blocks,
            b_xi[b], b_first[b], b_seen[b], b_ll[b], b_occ[b],
        )  # fmt: skip
    xi += b_xi.sum(axis=0)
    first += b_first.sum(axis=0)
    seen += b_seen.sum(axis=0)
    loglik += b_ll.sum(axis=0)
    occ += b_occ.sum(axis=0)


@njit(cache=True)
def _block(codes, start, w, tv, src, dst, e, initial, entry, lo, step, xi, first, seen, loglik, occ):  # type: ignore[no-untyped-def]
    """Patterns ``lo``, ``lo + step``, …: their expected counts added into this block's own arrays. (Patterns come
    sorted by start month, and the early ones cost the most: every step-th pattern balances the blocks.)"""
    m = codes.shape[1]
    r_count = w.shape[1]
    s_count = e.shape[1]
    a_count = src.shape[0]
    alpha = np.empty((m, s_count, r_count))
    scale = np.empty((m, r_count))
    beta = np.empty((s_count, r_count))
    eb = np.empty((s_count, r_count))
    nxt = np.empty((s_count, r_count))
    ll = np.empty(r_count)
    for i in range(lo, codes.shape[0], step):
        s0 = start[i]
        ll[:] = 0.0
        for j in range(s0, m):
            code = codes[i, j]
            if j == s0:
                for y in range(s_count):
                    for r in range(r_count):
                        alpha[j, y, r] = initial[y, r] if s0 == 0 else entry[y, r]
            else:
                alpha[j] = 0.0
                if r_count == 1:  # a fit's point estimate: no loop of one replicate inside each arc
                    for a in range(a_count):
                        alpha[j, dst[a], 0] += alpha[j - 1, src[a], 0] * tv[j - 1, a, 0]
                else:
                    for a in range(a_count):
                        x, y = src[a], dst[a]
                        for r in range(r_count):
                            alpha[j, y, r] += alpha[j - 1, x, r] * tv[j - 1, a, r]
            for r in range(r_count):
                c = 0.0
                for y in range(s_count):
                    alpha[j, y, r] *= e[code, y, r]
                    c += alpha[j, y, r]
                for y in range(s_count):
                    alpha[j, y, r] /= c
                scale[j, r] = c
                ll[r] += np.log(c)
        for r in range(r_count):
            loglik[r] += w[i, r] * ll[r]
        beta[:] = 1.0
        for j in range(m - 1, s0 - 1, -1):
            code = codes[i, j]
            for y in range(s_count):
                for r in range(r_count):
                    g = alpha[j, y, r] * beta[y, r] * w[i, r]
                    occ[j, y, r] += g
                    seen[code, y, r] += g
            if j == s0:
                slot = 0 if s0 == 0 else 1
                for y in range(s_count):
                    for r in range(r_count):
                        first[slot, y, r] += alpha[j, y, r] * beta[y, r] * w[i, r]
            else:
                for y in range(s_count):
                    for r in range(r_count):
                        eb[y, r] = e[code, y, r] * beta[y, r] / scale[j, r]
                nxt[:] = 0.0
                if r_count == 1:
                    wi = w[i, 0]
                    for a in range(a_count):
                        x = src[a]
                        v = tv[j - 1, a, 0] * eb[dst[a], 0]
                        xi[j - 1, a, 0] += alpha[j - 1, x, 0] * wi * v
                        nxt[x, 0] += v
                else:
                    for a in range(a_count):
                        x, y = src[a], dst[a]
                        for r in range(r_count):
                            v = tv[j - 1, a, r] * eb[y, r]
                            xi[j - 1, a, r] += alpha[j - 1, x, r] * w[i, r] * v
                            nxt[x, r] += v
                beta[:] = nxt
