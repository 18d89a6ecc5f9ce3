"""The one Gini coefficient: how unequally a total is shared (contributions per member, per place).

The metrics rank their values in Ibis (``rank`` 1 for the smallest, ties broken by id) and
aggregate ``sum(rank * value)``; :func:`gini` turns that sum into the coefficient. For values
:math:`x_1 \\le \\dots \\le x_n` with total :math:`T`:

.. math:: G = \\frac{2 \\sum_i i\\,x_i}{n\\,T} - \\frac{n + 1}{n}

0 when everyone has the same, :math:`(n-1)/n` when one has everything.
"""

from __future__ import annotations

from typing import Any


def gini(weighted: Any, n: int, total: int) -> float | None:
    """The Gini coefficient of ``n`` values summing to ``total``, from ``weighted`` =
    ``sum(rank * value)`` over the values ranked from 1 in ascending order; None when there is
    nothing to share (no value, or a total of 0).

    >>> gini(1*5 + 2*5 + 3*5, 3, 15), round(gini(1*0 + 2*0 + 3*9, 3, 9), 4), gini(0, 0, 0)
    (0.0, 0.6667, None)
    """
    if n == 0 or total == 0:
        return None
    return float(2 * weighted / (n * total) - (n + 1) / n)
