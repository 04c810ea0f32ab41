"""Personal identity numbers: checksums, dates, centuries, samordningsnummer, pseudonyms.

The numbers below are constructed test numbers (valid checksums computed here), not real people.
"""

import datetime as dt

import pytest

from likvard.data.personal_identity import IdentityError, load_key, parse_identity, pseudonym

TODAY = dt.date(2026, 11, 24)


def with_check(nine: str) -> str:
    """Append the Luhn check digit to a 9-digit YYMMDDNNN."""
    total = 0
    for i, ch in enumerate(nine):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return nine + str((10 - total % 10) % 10)


def test_a_valid_ten_digit_number_gets_the_right_century():
    ten = with_check("120315123")
    parsed = parse_identity(f"{ten[:6]}-{ten[6:]}", today=TODAY)
    assert parsed.birth_date == dt.date(2012, 3, 15)
    assert parsed.canonical == "20" + ten and not parsed.coordination


def test_plus_means_a_hundred_years_or_older():
    ten = with_check("120315123")
    assert parse_identity(f"{ten[:6]}+{ten[6:]}", today=TODAY).birth_date.year == 1912


def test_a_twelve_digit_number_keeps_its_century():
    ten = with_check("991231456")
    assert parse_identity("19" + ten, today=TODAY).birth_date == dt.date(1999, 12, 31)


def test_a_samordningsnummer_has_day_plus_sixty():
    ten = with_check("130375987")  # 15 March 2013 → day 75
    parsed = parse_identity(ten, today=TODAY)
    assert parsed.coordination and parsed.birth_date == dt.date(2013, 3, 15)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("abc", "inte ett personnummer"),
        ("1203151230", "kontrollsiffran"),
    ],
)
def test_invalid_numbers_are_rejected_without_echoing_them(text, reason):
    ten = with_check("120315123")
    if text == "1203151230" and ten.endswith("0"):
        text = "1203151231"
    with pytest.raises(IdentityError) as err:
        parse_identity(text, today=TODAY)
    assert reason in str(err.value)
    assert text not in str(err.value)


def test_impossible_and_future_dates_are_rejected():
    with pytest.raises(IdentityError, match="datumet"):
        parse_identity(with_check("130230123"), today=TODAY)  # 30 February
    with pytest.raises(IdentityError, match="framtiden"):
        parse_identity("2030" + with_check("300101123")[2:], today=TODAY)


def test_pseudonyms_are_keyed_stable_and_do_not_contain_the_number():
    key = b"k" * 32
    ten = with_check("120315123")
    a = pseudonym(parse_identity(ten, today=TODAY), key)
    b = pseudonym(parse_identity(f"20{ten[:6]}-{ten[6:]}", today=TODAY), key)
    assert a == b and a.startswith("ps-")  # the same pupil, written two ways
    assert ten not in a and ten[:6] not in a
    assert pseudonym(parse_identity(ten, today=TODAY), b"x" * 32) != a  # depends on the key


def test_the_key_comes_from_the_environment_or_a_key_file(tmp_path):
    assert load_key({"LIKVARD_PSEUDONYM_KEY": "s" * 40}) == b"s" * 40
    f = tmp_path / "key"
    f.write_text("f" * 40 + "\n")
    assert load_key({"LIKVARD_PSEUDONYM_KEY_FILE": str(f)}) == b"f" * 40
    with pytest.raises(IdentityError, match="saknas"):
        load_key({})
    with pytest.raises(IdentityError, match="för kort"):
        load_key({"LIKVARD_PSEUDONYM_KEY": "short"})
