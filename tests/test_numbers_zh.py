import re

import pytest

from gdtools.numbers_zh import NUMBER_PATTERN, parse_zh_number


@pytest.mark.parametrize("text, value", [
    ("0", 0), ("7", 7), ("859", 859), ("1,234", 1234), ("１２", 12), ("１，２３４", 1234),
    ("零", 0), ("〇", 0), ("三", 3), ("十", 10), ("十五", 15), ("二十", 20), ("二十三", 23),
    ("一百", 100), ("一百零五", 105), ("一百一十", 110), ("两千零五", 2005), ("三千四百五十六", 3456),
    ("一万", 10_000), ("三万五千", 35_000), ("十二万", 120_000), ("一亿零五万", 100_050_000),
])
def test_parses_numbers_as_reports_write_them(text, value):
    assert parse_zh_number(text) == value


@pytest.mark.parametrize("text", [None, "", "abc", "二三", "12,34", "十十", "百十", "3.5", "约20", "20余"])
def test_rejects_anything_that_is_not_exactly_one_whole_number(text):
    assert parse_zh_number(text) is None


def test_number_pattern_finds_the_figure_in_a_clause():
    found = re.findall(f"申请({NUMBER_PATTERN})件", "收到申请二十三件，答复申请1,024件")
    assert [parse_zh_number(x) for x in found] == [23, 1024]
