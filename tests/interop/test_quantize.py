"""splade_beir.interop.quantize: the three conventions, as their sources compute them."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from splade_beir.errors import UserError
from splade_beir.interop.quantize import FLOAT32_EXACT, parse_quantization, rounding, score_bound

weights = st.lists(st.floats(min_value=0, max_value=20, exclude_min=True, width=32), min_size=1, max_size=50)


@settings(max_examples=200, deadline=None)
@given(weights)
def test_pyserini_is_python_round_of_w_over_5_times_256(values):
    w = np.array(values, dtype=np.float32)
    expected = [round(float(v) / 5 * 256) for v in w]  # pyserini/encode/_splade.py, weights as Python floats
    assert parse_quantization("pyserini").apply(w).tolist() == expected


@settings(max_examples=200, deadline=None)
@given(weights, st.sampled_from(["100", "10", "1000"]))
def test_a_factor_is_numpy_rint_of_float32_w_times_it(values, factor):
    w = np.array(values, dtype=np.float32)
    expected = np.rint(w * int(factor)).astype(int)  # naver/splade EncodeAnserini: float32 array * int
    assert parse_quantization(factor).apply(w).tolist() == expected.tolist()


def test_halves_round_to_even_and_zeros_are_reported_as_dropped():
    w = np.array([0.025, 0.015, 0.004, 1.0], dtype=np.float32)  # x100 in float32: 2.5, 1.5, 0.4, 100
    q = parse_quantization("100")
    impacts = q.apply(w)
    assert impacts.tolist() == [2, 2, 0, 100]
    r = rounding(w, impacts, q)
    assert r.dropped == 1 and r.n_weights == 4 and r.max_impact == 100
    assert r.max_abs_error == pytest.approx(0.005, abs=1e-6) and r.max_abs_error <= 0.5 / 100 + 1e-7


def test_float_is_lossless_and_has_no_error():
    w = np.array([0.1, 3.3], dtype=np.float32)
    q = parse_quantization("float")
    assert not q.integer and q.apply(w).dtype == np.float32 and rounding(w, q.apply(w), q).max_abs_error == 0


@pytest.mark.parametrize("text", ["0", "-3", "abc", "nan", "inf", ""])
def test_a_bad_quantization_is_a_user_error(text):
    with pytest.raises(UserError, match="quantization must be"):
        parse_quantization(text)


def test_score_bound_is_the_largest_reachable_score():
    D = sp.csr_matrix(np.array([[3, 0, 1], [1, 5, 0]], dtype=np.float32))
    Q = sp.csr_matrix(np.array([[2, 1, 0], [0, 0, 7]], dtype=np.float32))
    assert score_bound(D, Q) == 2 * 3 + 1 * 5 and FLOAT32_EXACT == 16_777_216
    assert score_bound(sp.csr_matrix((0, 3), dtype=np.float32), Q) == 0
