"""Row totals as the solver checks them (``_solve``)."""

from __future__ import annotations

from gdtools.tables._solve import cell_outcome, total_holds


def test_total_holds_blank_total_and_blank_parts():
    assert total_holds([None, None], None, True) and total_holds([0.0, None], None, True)
    assert not total_holds([1.0, None], None, True) and total_holds([1.0, None], None, False)
    assert total_holds([None, None], 5.0, True)
    assert total_holds([2.0, None, 3.0], 5.0, False) and not total_holds([2.0, 3.0], 6.0, False)


def test_cell_outcome_same_value_in_every_reading_or_the_candidates():
    assert cell_outcome([2.0, 2.0, 2.0]) == (2.0, [])
    assert cell_outcome([None, None]) == (None, [])
    assert cell_outcome([1.0, 1.0000000001]) == (1.0, [])  # equal to 6 decimals: one value, the first
    assert cell_outcome([None, 0.0, None]) == (None, [None, 0.0])  # blank is not zero
    assert cell_outcome([1.0, 10.0, 1.0]) == (None, [1.0, 10.0])
