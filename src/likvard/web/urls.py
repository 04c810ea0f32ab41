from django.urls import include, path

from likvard.web.accounts import views as accounts
from likvard.web.api.api import api

urlpatterns = [
    path("", accounts.home, name="home"),
    path("healthz", accounts.healthz, name="healthz"),
    path("konto/", include("likvard.web.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("skolor/", include("likvard.web.schools.urls")),
    path("fordelning/", include("likvard.web.allocation.urls")),
    path("import/", include("likvard.web.imports.urls")),
    path("resultat/", include("likvard.web.results.urls")),
    path("mal/", include("likvard.web.goals.urls")),
    path("insatser/", include("likvard.web.interventions.urls")),
    path("dialoger/", include("likvard.web.dialogues.urls")),
    path("ansokningar/", include("likvard.web.support.urls")),
    path("logg/", include("likvard.web.audit.urls")),
    path("api/v1/", api.urls),
]

handler500 = "likvard.web.errors.server_error"
