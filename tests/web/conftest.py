"""The web tests' cast and data: the demo municipality loaded once into the test database."""

import pytest
from django.contrib.auth import get_user_model

from likvard.web.accounts.models import Profile
from likvard.web.demo import RINKEBYSKOLAN, load_demo
from likvard.web.schools.models import School

ROLES = ("controller", "analyst", "area_chief", "principal", "committee", "admin")
USERNAMES = {"controller": "ekonom", "analyst": "analytiker", "area_chief": "grundskolechef", "principal": "rektor", "committee": "namnd", "admin": "admin"}


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        load_demo(seed=1)
        User = get_user_model()
        other = User.objects.create_user("rektor2", password="demo-demo-demo")
        own = School.objects.get(school_unit_code=RINKEBYSKOLAN)
        elsewhere = School.objects.exclude(area=own.area).exclude(area="").first()
        Profile.objects.create(user=other, role="principal", school_unit_code=elsewhere.school_unit_code)
        User.objects.create_user("utomstaende", password="demo-demo-demo")  # no role at all
        from likvard.web.allocation.actions import create_scenario, run_scenario, set_model_values

        controller = User.objects.get(username="ekonom")
        scenario = create_scenario(controller, "Högre basbelopp", 2024)
        set_model_values(controller, scenario, {"socioeconomic.base_amount": "3000"})
        run_scenario(controller, scenario)


@pytest.fixture
def schools(db):
    """own = Rinkebyskolan; same_area = another school in its area; other = outside the area."""
    own = School.objects.get(school_unit_code=RINKEBYSKOLAN)
    same = School.objects.filter(area=own.area).exclude(pk=own.pk).order_by("school_unit_code").first()
    other = School.objects.exclude(area=own.area).filter(operator="municipal").order_by("school_unit_code").first()
    return {"own": own.school_unit_code, "same_area": same.school_unit_code, "other": other.school_unit_code}


@pytest.fixture
def login(client):
    def as_role(role):
        if role is None:
            client.logout()
            return client
        user = get_user_model().objects.get(username=USERNAMES.get(role, role))
        client.force_login(user)
        return client

    return as_role


def _strings(value) -> list[str]:
    """The texts of a JSON value, keys included. Numbers are left out on purpose: an amount in
    öre is an integer that can pass the date and check-digit test by chance (a school's total of
    about 18 mnkr in a comparison once did); a number in clear would be text (a pupil id, a
    cell of a file), and every text is scanned."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in (str(k), *_strings(v))]
    if isinstance(value, list | tuple):
        return [t for v in value for t in _strings(v)]
    return []


def _clear_numbers_in_database(since_snapshot: int) -> dict[str, int]:
    """Valid personal identity numbers in clear in any text, JSON or binary column of any
    table (register snapshots: those stored since ``since_snapshot``, decoded), by table."""

    from django.apps import apps

    from likvard.data.personal_identity import count_identity_numbers
    from likvard.web.imports.models import Snapshot

    found = {}
    for model in apps.get_models():
        kinds = ("CharField", "TextField", "JSONField", "BinaryField")
        fields = [f.attname for f in model._meta.concrete_fields if f.get_internal_type() in kinds]
        if not fields:
            continue
        rows = model.objects.all()
        if model is Snapshot:
            rows = rows.filter(pk__gt=since_snapshot)
        parts = []
        for row in rows.values_list(*fields):
            for value in row:
                if isinstance(value, bytes | memoryview):
                    parts.append(Snapshot.decode(value).write_csv())
                elif isinstance(value, str):
                    parts.append(value)
                else:
                    parts.extend(_strings(value))
        n = count_identity_numbers("\n".join(parts).encode("utf-8"))
        if n:
            found[model._meta.label] = n
    return found


def _clear_numbers_in_files(directories, since: float, skip) -> dict[str, int]:
    """Files written since ``since``. Other processes (a test server loading the demo) create
    and remove directories here while we walk: a directory that vanishes is skipped, not an
    error (os.walk ignores it; pathlib's rglob raises)."""
    import os
    from pathlib import Path

    from likvard.data.personal_identity import count_identity_numbers

    found = {}
    paths = (Path(root) / name for directory in directories for root, _, names in os.walk(directory) for name in names)
    for path in paths:
        try:
            if not path.is_file() or path.stat().st_mtime < since or any(path.is_relative_to(s) for s in skip):
                continue
            n = count_identity_numbers(path.read_bytes())
        except OSError:
            continue
        if n:
            found[str(path)] = n
    return found


@pytest.fixture
def nothing_in_clear(db, tmp_path_factory):
    """After the test: no valid personal identity number in clear in the database, in var/ or in
    the temporary directory (files written during the test; pytest's own test files aside)."""
    import tempfile
    import time

    from django.conf import settings

    from likvard.web.imports.models import Snapshot

    start = time.time() - 1
    last = Snapshot.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    yield
    assert _clear_numbers_in_database(last) == {}
    base = tmp_path_factory.getbasetemp().resolve()
    skip = [next((p for p in base.parents if p.name.startswith("pytest-of-")), base)]  # every worker's test files
    assert _clear_numbers_in_files([settings.PROJECT_DIR / "var", tempfile.gettempdir()], start, skip) == {}
