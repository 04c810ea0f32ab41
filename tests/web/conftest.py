"""The web tests' cast and data: the demo municipality loaded once into the test database."""

import pytest
from django.contrib.auth import get_user_model

from likvard.web.accounts.models import Profile
from likvard.web.schools.models import School
from likvard.web.services import RINKEBYSKOLAN, load_demo

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
        from likvard.web.services import create_scenario, run_scenario, set_model_value

        controller = User.objects.get(username="ekonom")
        scenario = create_scenario(controller, "Högre basbelopp", 2024)
        set_model_value(controller, scenario, "socioeconomic.base_amount", "3000")
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
