"""Small-sample inference for regression with REML AR(p) errors: Kenward-Roger and Satterthwaite.

With covariance parameters theta = (log sigma^2, phi_1..phi_p) estimated by REML, the plug-in
covariance of the GLS estimate, Phi = (X' Sigma^-1 X)^-1, ignores the uncertainty in theta and
t on n - k df ignores that Phi itself is estimated; in short autocorrelated series both make
intervals too narrow (issue 9: 0.83-0.94 coverage at n = 24-48).

- "satterthwaite": SE from Phi; for each contrast l the df
      nu(l) = 2 (l' Phi l)^2 / (g' W g),  g_i = l' (dPhi/dtheta_i) l,
  W the inverse of the observed REML information of theta (Satterthwaite 1946; Giesbrecht &
  Burns 1985; what R `emmeans` does for `nlme::gls` with mode = "satterthwaite", from nlme's
  numerical `apVar`).
- "kenward-roger" (first order; Kenward & Roger 1997, SAS `DDFM=KR(FIRSTORDER)`): the
  covariance inflated for the estimation of theta,
      Phi_A = Phi + 2 Phi Lambda Phi,  Lambda = sum_ij W_ij (Q_ij - P_i Phi P_j),
      P_i = X' (dSigma^-1/dtheta_i) X,  Q_ij = X' Sigma^-1 Sigma_i Sigma^-1 Sigma_j Sigma^-1 X,
  without the second-derivative term R_ij, and for a single contrast (where the KR scale
  factor lambda is exactly 1 and Theta = l (l' Phi l)^-1 l' is built from the unadjusted Phi,
  as in the paper, SAS, pbkrtest and mmrm) the df m(l) = 2 (l' Phi l)^2 / (g' W g): the
  Satterthwaite df, with the wider covariance Phi_A. W is the inverse observed information, as
  SAS without SCORING and R mmrm (pbkrtest uses the expected one; on 300 series of n = 24 the
  two differ in coverage by <= 0.005).
- "none": Phi and t on n - k.

With theta = sigma^2 alone (uncorrelated errors, or phi held at a bound of its range) both
reduce to the exact t on n - k with Phi_A = Phi. No library computes these for GLS with AR
errors in Python (statsmodels' MixedLM has neither), so they are written here, in O(n) through
the whitening transform of `reml.py` (Sigma^-1 v = L'L v / sigma^2, Sigma v by banded solves;
the information and P_i from the lagged cross products of `reml.Gram`),
derivatives in phi by central differences. For AR(1) (the default) `fit_its` uses the
analytic information and derivatives of `reml_ar1.py` instead, exact to rounding, which
`fit_its_many` batches; this module serves AR(p >= 2).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import linalg, sparse

from slp_eval.its.reml import Gram, central_hessian, reml_loglik, whitener

METHODS: tuple[str, ...] = ("kenward-roger", "satterthwaite", "none")
#: Citation of each method for the methods text.
CITATIONS: dict[str, str] = {
    "kenward-roger": "first-order Kenward-Roger (Kenward & Roger 1997)",
    "satterthwaite": "Satterthwaite degrees of freedom (Satterthwaite 1946)",
    "none": "t on n - k degrees of freedom",
}
#: Step of the central differences in phi (and in log sigma^2 for the information).
STEP = 1e-5


@dataclass(frozen=True)
class SmallSample:
    """Covariance of the fixed effects and per-contrast df for one method."""

    method: str
    cov: np.ndarray  # Phi (satterthwaite, none) or Phi_A (kenward-roger)
    phi: np.ndarray  # the plug-in covariance Phi
    dphi: list[np.ndarray]  # dPhi/dtheta_i
    w: np.ndarray  # inverse observed REML information of theta
    df_resid: float  # n - k
    phi_fixed: bool  # the AR parameters were held fixed (at a bound, or information singular)

    def df(self, weights: np.ndarray) -> np.ndarray:
        """df of each contrast (a row of `weights`, or one vector)."""
        rows = np.atleast_2d(np.asarray(weights, float))
        if self.method == "none":
            return np.full(len(rows), self.df_resid)
        g = np.column_stack([np.einsum("ij,jk,ik->i", rows, d, rows) for d in self.dphi])
        var = np.einsum("ij,jk,ik->i", rows, self.phi, rows)
        denominator = np.einsum("ij,jk,ik->i", g, self.w, g)
        with np.errstate(divide="ignore", invalid="ignore"):
            df = np.where(denominator > 0, 2.0 * var**2 / denominator, np.inf)
        return df


def _banded(matrix: sparse.csr_matrix, upper: bool) -> tuple[tuple[int, int], np.ndarray]:
    """LAPACK band storage of a lower-triangular `matrix` (or of its transpose)."""
    coo = matrix.tocoo()
    width = int(np.max(coo.row - coo.col)) if coo.nnz else 0
    n = matrix.shape[0]
    band = np.zeros((width + 1, n))
    if upper:  # a[i, j] = L[j, i], u = width, l = 0: ab[width + i - j, j]
        band[width + coo.col - coo.row, coo.row] = coo.data
        return (0, width), band
    band[coo.row - coo.col, coo.col] = coo.data
    return (width, 0), band


def _correlation_times(ar: np.ndarray, t: np.ndarray, blocks: list[np.ndarray]
                       ) -> Callable[[np.ndarray], np.ndarray]:
    """v -> R(phi) v = L^-1 L^-T v."""
    w = whitener(ar, t, blocks)
    lower, upper = _banded(w, upper=False), _banded(w, upper=True)

    def apply(v: np.ndarray) -> np.ndarray:
        return linalg.solve_banded(lower[0], lower[1], linalg.solve_banded(upper[0], upper[1], v))

    return apply


def _information(gram: Gram, theta: np.ndarray, ar: np.ndarray) -> np.ndarray:
    """Observed REML information in theta = (log sigma^2, the first len(theta) - 1 AR
    parameters; the rest held at `ar`): minus the Hessian of l_R, central differences."""
    m = len(theta)

    def f(th: np.ndarray) -> float:
        return reml_loglik(float(th[0]), np.r_[th[1:], ar[m - 1:]], gram)

    return -central_hessian(f, theta, np.full(m, 1e-4))


def small_sample(method: str, gram: Gram, x: np.ndarray, t: np.ndarray,
                 blocks: list[np.ndarray], ar: np.ndarray, sigma2: float,
                 hold_ar: bool) -> SmallSample:
    """Kenward-Roger, Satterthwaite or plain inference at the REML estimate (`ar`, `sigma2`).
    `hold_ar`: treat the AR parameters as known (their estimate is on a bound)."""
    n, k = x.shape
    w_ar = whitener(ar, t, blocks)
    xs = w_ar @ x
    phi = sigma2 * np.linalg.inv(xs.T @ xs)
    phi_inv = np.linalg.inv(phi)
    p = 0 if hold_ar else len(ar)
    information = _information(gram, np.r_[np.log(sigma2), ar[:p]], ar)
    # exact at the REML estimate, where r'R^-1r / sigma^2 = n - k
    information[0, 0] = (n - k) / 2.0
    eigen = np.linalg.eigvalsh(information)
    if p and not np.all(eigen > 1e-8 * np.max(np.abs(eigen))):
        p, information = 0, information[:1, :1]
    w = np.linalg.inv(information)
    # Sigma_i A with A = Sigma^-1 X: X itself for log sigma^2; sigma^2 dR/dphi_j A otherwise.
    a = w_ar.T @ xs / sigma2
    sigma_a = [x]
    p_mats = [-phi_inv]
    for j in range(p):
        step = np.zeros(len(ar))
        step[j] = STEP
        plus, minus = ar + step, ar - step
        d_r_a = (_correlation_times(plus, t, blocks)(a) - _correlation_times(minus, t, blocks)(a)
                 ) / (2 * STEP)
        sigma_a.append(sigma2 * d_r_a)
        p_mats.append((gram.at(plus)[0][1:, 1:] - gram.at(minus)[0][1:, 1:]) / (2 * STEP)
                      / sigma2)
    whitened = [w_ar @ s for s in sigma_a]  # L Sigma_i A, so Q_ij = (L Sigma_i A)'(L Sigma_j A)/s2
    m = 1 + p
    lam = np.zeros((k, k))
    for i in range(m):
        for j in range(m):
            q = whitened[i].T @ whitened[j] / sigma2
            lam += w[i, j] * (q - p_mats[i] @ phi @ p_mats[j])
    phi_a = phi + 2 * phi @ lam @ phi
    phi_a = (phi_a + phi_a.T) / 2
    dphi = [-phi @ pm @ phi for pm in p_mats]
    cov = phi_a if method == "kenward-roger" else phi
    return SmallSample(method, cov, phi, dphi, w, float(n - k), p < len(ar))
