"""A URL configuration with one view that fails, for the server-error test only."""

from django.urls import include, path


def broken(request):
    raise RuntimeError("a bug, as a test provokes it")


urlpatterns = [path("trasig/", broken), path("", include("likvard.web.urls"))]
handler500 = "likvard.web.errors.server_error"
