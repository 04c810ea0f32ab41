"""Swedish by default, English when chosen."""

from django.urls import reverse


def test_swedish_is_the_default_whatever_the_browser_says(client, db):
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
    assert "Logga in" in page and 'lang="sv"' in page


def test_english_can_be_chosen(client, db):
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    assert response.status_code == 302
    page = client.get(reverse("login")).content.decode()
    assert "Log in" in page and "Username" in page and 'lang="en"' in page


def test_the_statement_explains_itself_in_english_when_english_is_chosen(login, db):
    from django.conf import settings

    from likvard.web.demo import RINKEBYSKOLAN

    client = login("principal")
    url = reverse("allocation:statement", kwargs={"code": RINKEBYSKOLAN, "year": 2024})
    swedish = client.get(url).content.decode()
    assert "basbelopp" in swedish and "elever" in swedish
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(url).content.decode()
    assert 'lang="en"' in english and "base amount" in english and "index-weighted pupils" in english
    import re

    explanations = re.findall(r"<td[^>]*>([^<]*×[^<]*)</td>", english)  # the lines' explanations
    assert explanations and not any("elever" in e or "basbelopp" in e for e in explanations)
