"""Exact order statistics without a sort: the very values np.sort and np.quantile give."""
import numpy as np
import pytest

from simulator.results.select import GATHER_MAX, order_statistics, quantiles

LEVELS = np.array([0.0, 0.05, 0.25, 0.5, 0.95, 1.0, 1e-9, 1 - 1e-9])


def _cases():
    rng = np.random.default_rng(7)
    n = 3 * GATHER_MAX  # enough for bins too full to gather, so the search narrows
    return {
        "normal": rng.normal(size=n + 1),
        "mostly zeros (a loss row)": np.where(rng.random(n) < 0.97, 0.0,
                                              rng.lognormal(10.0, 2.0, n)),
        "heavy tail": rng.lognormal(8.0, 3.0, n),
        "all equal": np.full(1000, 3.5),
        "few values, many ties": rng.integers(0, 5, n).astype(float),
        "one value": np.array([2.0]),
        "two values": np.array([5.0, -1.0]),
        "range past the largest float": np.array([-1e308, 1e308, 0.0, 1.0, -1.0]),
        "subnormal range": np.array([0.0, 5e-324, 1e-323, 0.0]),
        "crowded between outliers": np.concatenate([rng.normal(size=n) * 1e-9, [1e12, -1e12]]),
        "ties at the top": np.concatenate([rng.normal(size=n), np.full(n, 9.0)]),
    }


@pytest.mark.parametrize("name", list(_cases()))
def test_order_statistics_are_the_sorted_values(name):
    x = _cases()[name]
    n = x.size
    rng = np.random.default_rng(1)
    ranks = np.unique(np.concatenate([rng.integers(0, n, 30), [0, n - 1, n // 2, n // 20,
                                                                n // 20 + 1]]) % n)
    got, found = order_statistics(x, ranks.astype(np.int64))
    assert found
    np.testing.assert_array_equal(got, np.sort(x)[ranks])


@pytest.mark.parametrize("name", list(_cases()))
def test_quantiles_equal_numpys_bit_for_bit(name):
    x = _cases()[name]
    assert np.array_equal(quantiles(x, LEVELS), np.quantile(x, LEVELS))


def test_values_over_600_orders_of_magnitude_give_up_and_fall_back_to_numpy():
    """Equal bins would narrow such values a few orders of magnitude at a time: the search
    says it gave up, and quantiles() asks np.quantile instead."""
    x = 10.0 ** np.random.default_rng(8).uniform(-300.0, 300.0, 3 * GATHER_MAX)
    _, found = order_statistics(x, np.array([x.size // 20]))
    assert not found
    assert np.array_equal(quantiles(x, LEVELS), np.quantile(x, LEVELS))


def test_a_rank_out_of_range_is_an_error():
    with pytest.raises(ValueError, match="ranks"):
        order_statistics(np.arange(5.0), np.array([0, 5]))


def test_no_ranks_no_values():
    values, found = order_statistics(np.arange(5.0), np.empty(0, np.int64))
    assert found and values.size == 0


def test_the_array_is_left_as_it_was():
    x = np.random.default_rng(3).normal(size=10_000)
    before = x.copy()
    quantiles(x, LEVELS)
    np.testing.assert_array_equal(x, before)
