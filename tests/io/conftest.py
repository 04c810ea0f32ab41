import pytest

from likvard.data.demo import build


@pytest.fixture(scope="session")
def demo():
    return build(seed=1)
