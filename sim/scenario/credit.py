"""Credit grades (F9): each customer's payment behaviour, the grades A–D, and the firm's credit terms by grade.

The source documents grade customers by their collection rate over 24 months (90–100 / 75–90 / 60–75 /
30–60 %) and their longest payment term (45 / 75 / 105 / 255 days) (F9). The digest states no rule for a
customer whose two measures fall in different bands, so the model takes the worse of the two (an
**assumption**); below 30 % collection or beyond 255 days a customer is grade D (the documents' bands stop
there; the worst grade covers the rest). Off by default: ``credit.enabled: false`` draws nothing, books
nothing and leaves every result as it was.

``grade_of`` is plain numpy so that the customer floor (the population's columns), the output floor and
the tests share one definition of the bands.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import Field

from sim.scenario.fields import Prob, Strict, param

__all__ = [
    "GRADES",
    "COLLECTION_BANDS",
    "TERM_BANDS",
    "NO_LIMIT_DAYS",
    "Credit",
    "CreditTerms",
    "grade_of",
]

GRADES = ("A", "B", "C", "D")
# F9: the lower edge of each grade's 24-month collection rate (share of invoiced revenue collected), A..C;
# D is 30-60 % in the documents and also takes everything below 30 % here
COLLECTION_BANDS = (0.90, 0.75, 0.60)
# F9: the longest payment term of each grade, days, A..C; D is up to 255 days and also takes anything longer
TERM_BANDS = (45, 75, 105)
TERM_BAND_D = 255
BAND_TERMS = (*TERM_BANDS, TERM_BAND_D)  # each grade's longest term (F9), days: what a shortened term is cut from
NO_LIMIT_DAYS = 1e9  # a credit term the firm does not limit (the customer's own term applies)

_A = "assumption"
_NONE = "assumption (no published magnitude used)"


def grade_of(collection: np.ndarray, term_days: np.ndarray) -> np.ndarray:
    """F9: the grade index (0 = A … 3 = D) of each customer, the worse of its collection grade and its
    payment-term grade. Edges belong to the better grade: exactly 90 % is A, exactly 45 days is A (collection
    rates are compared at the float32 precision of the customer column)."""
    c = np.asarray(collection, dtype=np.float32)  # at the column's precision: a stored 0.9 is exactly the edge
    bands = np.asarray(COLLECTION_BANDS, dtype=np.float32)
    d = np.asarray(term_days, dtype=np.float64)
    by_collection = (c < bands[0]).astype(np.int8) + (c < bands[1]) + (c < bands[2])
    by_term = (d > TERM_BANDS[0]).astype(np.int8) + (d > TERM_BANDS[1]) + (d > TERM_BANDS[2])
    return np.maximum(by_collection, by_term).astype(np.int8)


Days = Annotated[float, Field(ge=0.0, le=3650.0, allow_inf_nan=False)]


class Credit(Strict):
    """Each customer's payment behaviour, drawn once when the population is built (F9), and how a cut in
    the credit terms acts on the customers it reaches. The interest on receivables is the financial
    institution's lending rate (``stakeholders.interest_rate`` with its image premium)."""

    enabled: bool = param(
        False,
        "switch",
        "F9; setting",
        "give customers a payment behaviour and credit grade; book bad debt and the financing of receivables",
    )
    collection_mean: Annotated[float, Field(gt=0.0, lt=1.0, allow_inf_nan=False)] = param(
        0.9375,
        "share of invoiced revenue",
        f"F9; {_A}",
        "mean share of invoiced revenue a customer pays within 24 months; each customer's share ~ Beta(mean x k,"
        " (1 - mean) x k), k = collection_concentration (the defaults: Beta(15, 1), about 79% of customers at"
        " 90% or more, grade A by collection)",
        (0.85, 0.97),
    )
    collection_concentration: Annotated[float, Field(gt=0.0, le=1000.0, allow_inf_nan=False)] = param(
        16.0,
        "a + b of the Beta",
        f"F9; {_A}",
        "how alike customers' collection rates are: larger, closer to the mean",
        (5.0, 50.0),
    )
    term_median_days: Annotated[float, Field(gt=0.0, le=365.0, allow_inf_nan=False)] = param(
        30.0,
        "days",
        f"F9; {_A}",
        "median of the days a customer takes to pay (lognormal, rounded, 1 to 365 days)",
        (15.0, 60.0),
    )
    term_sigma: Annotated[float, Field(ge=0.0, le=3.0, allow_inf_nan=False)] = param(
        0.5, "log-sd", f"F9; {_A}", "dispersion of the days a customer takes to pay (lognormal)", (0.2, 1.0)
    )
    purchase_penalty: Prob = param(
        0.3,
        "share of purchase probability",
        f"F9; {_NONE}",
        "purchase probability lost by a grade's customers when its credit term is cut to cash only; a shorter cut"
        " loses this x (1 - term / the grade's longest term in F9)",
        (0.1, 0.6),
    )


class CreditTerms(Strict):
    """A firm's credit terms by grade (F9): the most days it lets a customer of the grade take to pay; 0 = cash
    only (no credit); none = not limited (each customer takes its own term). Shorter terms cut bad debt and the
    financing of receivables but cost purchases (``credit.purchase_penalty``)."""

    A: Days | None = param(None, "days", "F9; setting", "credit term for grade A customers (none: not limited)")
    B: Days | None = param(None, "days", "F9; setting", "credit term for grade B customers (none: not limited)")
    C: Days | None = param(None, "days", "F9; setting", "credit term for grade C customers (none: not limited)")
    D: Days | None = param(None, "days", "F9; setting", "credit term for grade D customers (none: not limited)")

    def days(self) -> tuple[float, ...]:
        """Each grade's term in days, A..D; a term not limited is ``NO_LIMIT_DAYS``."""
        return tuple(NO_LIMIT_DAYS if v is None else float(v) for v in (self.A, self.B, self.C, self.D))

    def purchase_factors(self, penalty: float) -> tuple[float, ...]:
        """Each grade's purchase-probability factor, A..D: 1 - penalty x the share of the grade's longest
        term (F9) taken away; exactly 1.0 for a term not cut."""
        out = []
        for term, band in zip(self.days(), BAND_TERMS, strict=True):
            cut = max(0.0, 1.0 - term / band)
            out.append(1.0 - penalty * cut if cut > 0.0 else 1.0)
        return tuple(out)
