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
