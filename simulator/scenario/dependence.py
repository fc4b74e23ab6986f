"""Correlated inputs: the scenario's rank correlations as a Gaussian copula.

Each correlated input keeps its own distribution exactly: the engine draws its uniforms as
usual, maps them to standard normals, mixes the normals with a square root of a correlation
matrix, and maps them back to uniforms before the inverse CDF. The matrix is the one whose
normals give the *rank* (Spearman) correlations asked for: rho_normal = 2 sin(pi rho_s / 6)
(Pearson's identity for the bivariate normal), so the achieved Spearman correlation of the
inputs is the target whatever their marginals (exactly so for continuous inputs).

A matrix that is not a valid correlation matrix (not positive semi-definite) is repaired to
the nearest valid one (Higham 2002, alternating projections) with a warning that lists the
adjusted values, or refused when asked to be strict.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.distributions.base import FieldError
from simulator.scenario.model import Scenario

PSD_TOLERANCE = 1e-10
"""Smallest eigenvalue (relative to 1) a rank matrix may have and still count as valid."""


@dataclass(frozen=True)
class Dependence:
    """The copula of one scenario, ready for the engine.

    ``names`` (D,) are input paths; ``rank`` (D, D) the rank correlations the run uses (the
    declared ones, or their repair); ``factor`` (D, D) a square root of the normal-space
    matrix; ``repaired`` whether ``rank`` differs from what the scenario declared, and
    ``adjustments`` the changed pairs as (a, b, declared, used).
    """

    names: tuple[str, ...]
    rank: np.ndarray
    factor: np.ndarray
    repaired: bool
    adjustments: tuple[tuple[str, str, float, float], ...]

    def warning(self) -> str | None:
        """What the repair changed, in words; None when nothing was repaired."""
        if not self.repaired:
            return None
        changes = "; ".join(f"{a} / {b}: {want:+.3f} -> {got:+.3f}"
                            for a, b, want, got in self.adjustments)
        return ("correlations: the declared rank correlations are not a valid correlation "
                "matrix (some combinations are impossible), so the run uses the nearest valid "
                f"one: {changes}. Run with --strict to refuse instead.")


def declared_matrix(scenario: Scenario) -> tuple[tuple[str, ...], np.ndarray]:
    """The input paths that take part in a correlation (in the order they appear in the file)
    and the declared rank correlation matrix (pairs not declared are 0).
    """
    pairs = scenario.correlation_pairs()
    names: list[str] = []
    for a, b in pairs:
        for x in (a, b):
            if x not in names:
                names.append(x)
    index = {x: i for i, x in enumerate(names)}
    m = np.eye(len(names))
    for (a, b), rho in pairs.items():
        m[index[a], index[b]] = m[index[b], index[a]] = rho
    return tuple(names), m


def is_valid_correlation(m: np.ndarray, tol: float = PSD_TOLERANCE) -> bool:
    """Symmetric, unit diagonal, entries in [-1, 1], and positive semi-definite."""
    return (np.allclose(m, m.T, rtol=0, atol=1e-12) and np.allclose(np.diag(m), 1.0)
            and bool(np.all(np.abs(m) <= 1.0 + 1e-12))
            and float(np.linalg.eigvalsh(m).min()) >= -tol)


def nearest_correlation(a: np.ndarray, tol: float = 1e-12, max_iter: int = 10_000,
                        min_eigenvalue: float = 1e-8) -> np.ndarray:
    """The correlation matrix nearest to symmetric ``a`` in the Frobenius norm (Higham 2002,
    alternating projections with Dykstra's correction), with every eigenvalue at least
    ``min_eigenvalue`` so that it has a Cholesky factor.
    """
    y = np.array(a, dtype=float)
    ds = np.zeros_like(y)
    for _ in range(max_iter):
        r = y - ds
        w, v = np.linalg.eigh((r + r.T) / 2)
        x = (v * np.maximum(w, min_eigenvalue)) @ v.T
        ds = x - r
        y_new = x.copy()
        np.fill_diagonal(y_new, 1.0)
        if np.linalg.norm(y_new - y, "fro") <= tol * max(1.0, float(np.linalg.norm(y, "fro"))):
            y = y_new
            break
        y = y_new
    # The unit diagonal may have pushed an eigenvalue a hair below the floor: rescale.
    w, v = np.linalg.eigh(y)
    x = (v * np.maximum(w, min_eigenvalue)) @ v.T
    d = np.sqrt(np.diag(x))
    return x / np.outer(d, d)


def rank_to_normal(rank: np.ndarray) -> np.ndarray:
    """Normal-space (Pearson) correlations whose Gaussian copula has these rank correlations."""
    return 2.0 * np.sin(np.pi * np.asarray(rank) / 6.0)


def normal_to_rank(r: np.ndarray) -> np.ndarray:
    """Spearman rank correlation of a bivariate normal with Pearson correlation ``r``."""
    return 6.0 / np.pi * np.arcsin(np.asarray(r) / 2.0)


def build(scenario: Scenario, strict: bool = False) -> Dependence | None:
    """The scenario's copula, or None when it declares no correlations.

    Raises :class:`FieldError` (path ``correlations``) when the declared matrix is not a valid
    correlation matrix, or its Gaussian copula cannot reach it, and ``strict`` is set.
    """
    if not scenario.correlations:
        return None
    names, declared = declared_matrix(scenario)
    rank, normal = achievable(declared)
    changed = [(names[i], names[j], float(declared[i, j]), float(rank[i, j]))
               for i in range(len(names)) for j in range(i + 1, len(names))
               if abs(rank[i, j] - declared[i, j]) > 5e-4]
    if changed and strict:
        w = np.linalg.eigvalsh(declared).min()
        why = (f"smallest eigenvalue {w:.3g} < 0: some of the stated combinations are "
               "impossible together" if w < -PSD_TOLERANCE else "valid as ranks, but no "
               "Gaussian copula reaches them exactly")
        raise FieldError("correlations", "the declared rank correlations are not a valid "
                         f"correlation matrix ({why}); the nearest valid matrix would be "
                         f"{_compact(rank)} for {', '.join(names)}")
    return Dependence(names=names, rank=rank, factor=np.linalg.cholesky(normal),
                      repaired=bool(changed), adjustments=tuple(changed))


def achievable(declared: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rank correlations a Gaussian copula can reach nearest to ``declared``, and its
    normal-space matrix (positive definite). A valid declared matrix usually comes back as it
    is; an invalid one is repaired (:func:`nearest_correlation`); and where the normal-space
    image 2 sin(pi R / 6) of a valid rank matrix is not itself valid (near-singular cases),
    the normal matrix is repaired and the rank correlations it gives are returned, so that
    what is reported is what the run achieves.
    """
    rank = declared if is_valid_correlation(declared) else nearest_correlation(declared)
    normal = rank_to_normal(rank)
    if not is_valid_correlation(normal, tol=0.0) or np.linalg.eigvalsh(normal).min() < 1e-12:
        normal = nearest_correlation(normal)
        rank = normal_to_rank(normal)
        np.fill_diagonal(rank, 1.0)
    return rank, normal


def _compact(m: np.ndarray) -> str:
    return "[" + ", ".join("[" + ", ".join(f"{x:.3f}" for x in row) + "]" for row in m) + "]"
