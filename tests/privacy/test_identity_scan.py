"""Finding and pseudonymising identity numbers in whole columns (issue 7, item 6).

Every number below is a constructed test number (check digit computed here), not a person.
"""

import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from likvard.data.personal_identity import (
    IdentityError,
    _validate,
    count_identity_numbers,
    identity_mask,
    parse_identity,
    pseudonym,
    pseudonymise_pupil_ids,
    pupil_id_kind,
)

TODAY = dt.date(2026, 11, 24)
KEY = b"k" * 32


def with_check(nine: str) -> str:
    """Append the Luhn check digit to a 9-digit YYMMDDNNN."""
    total = 0
    for i, ch in enumerate(nine):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return nine + str((10 - total % 10) % 10)


def wrong_check(ten: str) -> str:
    return ten[:-1] + str((int(ten[-1]) + 1) % 10)


TEN = with_check("121212121")  # 12 December 2012
MARCH = with_check("150312123")  # 12 March 2015
COORDINATION = with_check("130375987")  # 15 March 2013, day + 60


def mask(values: list[str | None]) -> list[bool]:
    return identity_mask(pl.Series("c", values, dtype=pl.String), today=TODAY).to_list()


SPELLINGS = [
    TEN,  # 10 digits
    "20" + TEN,  # 12 digits
    f"{TEN[:6]}-{TEN[6:]}",
    f"20{TEN[:6]}-{TEN[6:]}",
    f"{TEN[:6]}+{TEN[6:]}",  # 100 years or older
    f"19{TEN[:4]} {TEN[4:6]}-{TEN[6:]}",  # a space inside the date
    f"19{TEN[:6]} {TEN[6:]}",  # a space for a separator
    f"{TEN[:6]} - {TEN[6:]}",
    " ".join(TEN[i : i + 2] for i in range(0, 10, 2)),
    f"{TEN[:6]}\u2013{TEN[6:]}",  # en dash, as word processors write it
    f"{TEN[:6]}\u00a0{TEN[6:]}",  # no-break space
    f"elev {TEN[:6]}-{TEN[6:]} flyttad",
    f"pnr:{TEN}, åk 4",
    f"({TEN[:6]}-{TEN[6:]})",
    f"tel 08-123 45 67; {TEN}",
    f"Elev {COORDINATION[:6]}-{COORDINATION[6:]} (samordningsnummer)",
]


@pytest.mark.parametrize("text", SPELLINGS)
def test_every_common_spelling_of_a_number_is_found(text):
    assert mask([text]) == [True]


def test_the_spellings_from_the_issue_are_found():
    assert TEN == "1212121212"  # the number the issue writes in its examples
    issue = [f"19{TEN[:4]} {TEN[4:6]}-{TEN[6:]}", f"19{TEN[:6]} {TEN[6:]}", TEN, f"20{TEN[:6]}-{TEN[6:]}"]
    assert issue == ["191212 12-1212", "19121212 1212", "1212121212", "20121212-1212"]
    assert mask(issue) == [True] * 4


NEAR_MISSES = [
    wrong_check(TEN),
    f"{wrong_check(TEN)[:6]}-{wrong_check(TEN)[6:]}",
    with_check("120231123"),  # 31 February
    "20" + with_check("120231123"),
    with_check("130229123"),  # 29 February in a year that is not a leap year
    "2030" + with_check("300101123")[2:],  # born in the future
    with_check("130392987"),  # day 92: no samordningsnummer either
    TEN[:-1],  # 9 digits
    TEN[:6] + "-" + TEN[6:] + "5",  # 11 digits
    "201" + TEN,  # 13 digits
    "9876" + TEN,  # a 14-digit id ending in the number
    TEN + "1234",  # a 14-digit id starting with it
    f"{TEN[:4]}-{TEN[4:]}",  # the separator in the wrong place
    f"{TEN[:6]}--{TEN[6:]}",
    f"ps-3fa{TEN}c0",  # inside a hexadecimal hash
    f"X{TEN}",  # glued to a letter
    f"{TEN}AB",
    "2012-12-12 12:12",  # a timestamp
    None,
    "",
]


@pytest.mark.parametrize("text", NEAR_MISSES)
def test_a_near_miss_is_not_taken_for_a_number(text):
    assert mask([text]) == [False]


def test_the_mask_keeps_length_and_name_and_reads_non_text_columns():
    values = pl.Series("amount", [int(TEN), 123, None])
    result = identity_mask(values, today=TODAY)
    assert result.name == "amount" and result.dtype == pl.Boolean
    assert result.to_list() == [True, False, False]


def test_a_large_column_flags_exactly_the_rows_with_a_number():
    filler = ["Rinkebyskolan", "2024-08-15", "12 345 kr", "08-123 45 67", None, "ps-0123456789abcdef01234567"]
    values = [filler[i % len(filler)] for i in range(200_000)]
    planted = {7, 99_999, 199_998}
    for i in planted:
        values[i] = f"flyttad {MARCH[:6]}-{MARCH[6:]}"
    result = identity_mask(pl.Series(values), today=TODAY)
    assert set(result.arg_true().to_list()) == planted


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (TEN, "personnummer"),
        (f"20{TEN[:6]}-{TEN[6:]}", "personnummer"),
        (f" 19{TEN[:4]} {TEN[4:6]}-{TEN[6:]} ", "personnummer"),
        (f"{COORDINATION[:6]}-{COORDINATION[6:]}", "samordningsnummer"),
        ("20" + COORDINATION, "samordningsnummer"),
        ("20150312-TF12", "interim"),
        ("150312-T123", "interim"),
        ("20150312TF12", "interim"),
        ("20150312-tf12", "interim"),
        ("20150312 - ABCD", "interim"),
        ("20150230-TF12", ""),  # 30 February
        ("20300312-TF12", ""),  # born in the future
        ("20150312-TF1", ""),
        ("20150312+TF12", ""),
        ("ps-0123456789abcdef01234567", ""),
        ("demo-0000012", ""),
        (wrong_check(TEN), ""),
        (f"elev {TEN}", ""),  # not a whole pupil id: the import refuses it instead
        ("", ""),
        (None, ""),
    ],
)
def test_each_pupil_id_gets_its_kind(value, kind):
    result = pupil_id_kind(pl.Series("pupil_id", [value], dtype=pl.String), today=TODAY)
    assert result.name == "pupil_id"
    assert result.to_list() == [kind]


def test_every_spelling_of_one_number_gets_one_pseudonym_and_other_numbers_others():
    values = [TEN, f"{TEN[:6]}-{TEN[6:]}", "20" + TEN, f"20{TEN[:6]} {TEN[6:]}", MARCH, COORDINATION]
    result = pseudonymise_pupil_ids(pl.Series("pupil_id", values), KEY, today=TODAY).to_list()
    assert len(set(result[:4])) == 1
    assert len(set(result[3:])) == 3
    assert result[0] == pseudonym(parse_identity(TEN, today=TODAY), KEY)  # as the importer has it
    assert all(p.startswith("ps-") and len(p) == 27 for p in result)


def test_interim_ids_are_pseudonymised_apart_from_identity_numbers():
    values = ["20150312-TF12", "20150312tf12", "150312-TF12", "20150312-TF13", "20" + MARCH]
    result = pseudonymise_pupil_ids(pl.Series(values), KEY, today=TODAY).to_list()
    assert result[0] == result[1] == result[2]
    assert len({result[0], result[3], result[4]}) == 3
    assert all(p.startswith("ps-") and "TF" not in p and "150312" not in p for p in result)


def test_other_pupil_ids_pass_unchanged_and_no_number_is_left_in_clear():
    values = ["ps-0123456789abcdef01234567", "demo-0000012", None, "", TEN, "20150312-TF12"]
    result = pseudonymise_pupil_ids(pl.Series("pupil_id", values), KEY, today=TODAY)
    assert result.name == "pupil_id"
    assert result.to_list()[:4] == values[:4]
    assert not identity_mask(result, today=TODAY).any()
    assert pupil_id_kind(result, today=TODAY).to_list() == [""] * 6


def test_pseudonyms_depend_on_the_key():
    one = pseudonymise_pupil_ids(pl.Series([TEN, "20150312-TF12"]), KEY, today=TODAY)
    other = pseudonymise_pupil_ids(pl.Series([TEN, "20150312-TF12"]), b"x" * 32, today=TODAY)
    long_key = pseudonymise_pupil_ids(pl.Series([TEN]), b"y" * 100, today=TODAY)
    assert one[0] != other[0] and one[1] != other[1]
    assert long_key[0] == pseudonym(parse_identity(TEN, today=TODAY), b"y" * 100)


def test_numbers_are_counted_in_a_blob_full_of_noise():
    numbers = [
        f"{TEN[:6]}-{TEN[6:]}",
        "20" + MARCH,
        f"{COORDINATION[:6]} {COORDINATION[6:]}",
        f"19{TEN[:4]} {TEN[4:6]}-{TEN[6:]}",  # one number, though 10 of its digits are one too
    ]
    noise = [
        "Skolenhet 12345678; Rinkebyskolan; Spånga-Tensta; 2024-08-15",
        "belopp 1 234 567 kr; tel 08-123 45 67; ps-0123456789abcdef01234567",
        f"id 9876{TEN}; {wrong_check(TEN)}; {with_check('120231123')}",
        "sha256 " + "3f" + TEN + "ab" * 26,
    ]
    lines = []
    for i in range(2_000):
        lines.append(noise[i % len(noise)])
        if i % 500 == 250:
            lines.append(f"{i}\telev {numbers[i // 500]} flyttad\tåk 4")
    blob = "\n".join(lines).encode("utf-8")
    assert count_identity_numbers(blob, today=TODAY) == 4
    assert count_identity_numbers("\n".join(lines).encode("cp1252"), today=TODAY) == 4
    assert count_identity_numbers(f"{TEN} {MARCH},{TEN}".encode(), today=TODAY) == 3
    assert count_identity_numbers(b"\xff\xfe" + TEN.encode(), today=TODAY) == 1
    assert count_identity_numbers(b"", today=TODAY) == 0


@st.composite
def spelled_numbers(draw: st.DrawFn) -> tuple[str, str]:
    """A valid number in a random spelling, and its 12-digit form."""
    plus = draw(st.booleans())
    if plus:  # 100 years or older: 10 digits with "+", or 12 digits
        born = draw(st.dates(dt.date(1850, 1, 1), dt.date(TODAY.year - 100, 12, 31)))
    else:
        born = draw(st.dates(dt.date(TODAY.year - 99, 1, 1), TODAY))
    coordination = draw(st.booleans())
    day = born.day + 60 if coordination else born.day
    ten = with_check(f"{born:%y%m}{day:02d}{draw(st.integers(0, 999)):03d}")
    twelve = f"{born.year // 100}{ten}"
    long = draw(st.booleans())
    date, serial = (twelve[:8], twelve[8:]) if long else (ten[:6], ten[6:])
    sep = "+" if plus and not long else draw(st.sampled_from(["", "-", " ", " - ", "\u2013"]))
    text = date + sep + serial
    spaced = ""
    for ch in text:  # spaces anywhere inside
        spaced += ch + (" " if ch.isdigit() and draw(st.integers(0, 5)) == 0 else "")
    words = st.text(alphabet="abcåäö ,.:;()", max_size=12)
    return f"{draw(words)} {spaced.strip()} {draw(words)}", twelve


@settings(derandomize=True, max_examples=150, deadline=None)
@given(st.lists(spelled_numbers(), min_size=1, max_size=20))
def test_every_valid_number_in_a_random_spelling_is_found(cases):
    texts = [text for text, _ in cases]
    assert all(mask(texts))
    assert count_identity_numbers("\n".join(texts).encode(), today=TODAY) == len(texts)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["", "", "18", "19", "20", "00", "21"]),
            st.integers(0, 99),
            st.integers(0, 13),
            st.sampled_from([0, 1, 15, 28, 29, 30, 31, 32, 60, 61, 75, 89, 90, 91, 92]),
            st.sampled_from(["", "-", "+"]),
            st.integers(0, 999),
            st.booleans(),
        ),
        min_size=1,
        max_size=50,
    ),
    st.sampled_from([TODAY, dt.date(2000, 2, 29), dt.date(2026, 1, 1)]),
)
def test_the_columnar_check_agrees_with_parse_identity(parts, today):
    texts = []
    for century, yy, mm, dd, sep, serial, valid_check in parts:
        ten = with_check(f"{yy:02d}{mm:02d}{dd:02d}{serial:03d}")
        ten = ten if valid_check else wrong_check(ten)
        texts.append(f"{century}{ten[:6]}{sep}{ten[6:]}")
    table = _validate(pl.Series(texts), today)
    for text, canonical, coordination in table.iter_rows():
        try:
            parsed = parse_identity(text, today=today)
        except IdentityError:
            assert canonical is None, text
        else:
            assert (canonical, coordination) == (parsed.canonical, parsed.coordination), text


def test_a_twelve_digit_run_needs_a_living_century():
    """Decimal fractions in a register (a merit value "149.006508146013") once read as a number
    born in the year 65: a 12-digit number must name the 1800s, 1900s or 2000s."""
    fractions = pl.Series(["149.006508146013", "269.010204076707"])
    assert not identity_mask(fractions, today=TODAY).any()
    assert count_identity_numbers(b"149.006508146013;269.010204076707", today=TODAY) == 0
    ten = with_check("120315123")
    assert identity_mask(pl.Series([f"19{ten}", f"20{ten}"]), today=TODAY).all()


def test_a_ten_digit_number_whose_date_is_later_this_year_is_a_century_older():
    """Skatteverket's rule is on the date, not the year: on 24 November 2026, 261201-NNNN is a
    person born on 1 December 1926, not one not yet born."""
    ten = with_check("261201123")
    assert parse_identity(ten, today=TODAY).birth_date == dt.date(1926, 12, 1)
    assert identity_mask(pl.Series([f"{ten[:6]}-{ten[6:]}"]), today=TODAY).all()
