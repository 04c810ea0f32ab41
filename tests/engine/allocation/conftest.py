"""Shared fixtures: the Stockholm 2024 model and small synthetic registers."""

from pathlib import Path

import pytest

from likvard.data.synthetic_register import make_register
from likvard.engine.allocation import load_model

ROOT = Path(__file__).resolve().parents[3]
MODEL_DIR = ROOT / "models" / "stockholm-2024"
#: Schools named by the model's fixed grants must exist in any register the model runs on.
NAMED_SCHOOLS = ("52863414", "99000001", "63321041", "99648792", "99000002", "99000003", "99000004")


def small_register(seed: int = 1, n_pupils: int = 6_000, n_schools: int = 50):
    return make_register(n_pupils, n_schools, seed=seed, extra_codes=NAMED_SCHOOLS)


@pytest.fixture(scope="session")
def model():
    return load_model(MODEL_DIR)


@pytest.fixture(scope="session")
def register():
    return small_register()
