"""A server error is logged with its traceback and a request id, and the page shows the id
and nothing of the error."""

import logging

from django.test import override_settings


class Records(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)


@override_settings(ROOT_URLCONF="failing_urls")
def test_a_server_error_is_logged_with_its_traceback_and_the_id_the_page_shows(client, db):
    from likvard.web.errors import RequestIdFilter

    handler = Records()
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        client.raise_request_exception = False
        response = client.get("/trasig/")
    finally:
        logger.removeHandler(handler)
    assert response.status_code == 500
    request_id = response["X-Request-ID"]
    page = response.content.decode()
    assert request_id in page and "Något gick fel" in page and "a bug" not in page and "Traceback" not in page
    logged = [r for r in handler.records if r.levelno >= logging.ERROR]
    assert logged and logged[0].exc_info is not None and logged[0].request_id == request_id
    assert "RuntimeError" in logging.Formatter().formatException(logged[0].exc_info)


def test_every_response_carries_a_request_id(client, db):
    first, second = client.get("/healthz"), client.get("/healthz")
    assert len(first["X-Request-ID"]) == 12 and first["X-Request-ID"] != second["X-Request-ID"]
