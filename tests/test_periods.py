import pytest

from moatbook.data.periods import PeriodError, parse_period


@pytest.mark.parametrize(
    "text, start, end, gran",
    [
        ("2024", 2024.0, 2025.0, "year"),
        ("2024Q3", 2024.5, 2024.75, "quarter"),
        ("2024H2", 2024.5, 2025.0, "half"),
        ("2024-09", 2024 + 8 / 12, 2024 + 9 / 12, "month"),
        ("2022-04..2023-03", 2022 + 3 / 12, 2023 + 3 / 12, "range"),
        ("2019..2021", 2019.0, 2022.0, "range"),
    ],
)
def test_periods_parse_to_intervals(text, start, end, gran):
    p = parse_period(text)
    assert (p.start, p.end, p.granularity) == (pytest.approx(start), pytest.approx(end), gran)
    assert p.start < p.mid < p.end


@pytest.mark.parametrize("text", ["", "24", "2024Q5", "2024-13", "Q3 2024", "2024-W1", "2023..2022", "2024/09"])
def test_malformed_periods_are_rejected_with_the_formats(text):
    with pytest.raises(PeriodError, match="YYYY|ends before"):
        parse_period(text)
