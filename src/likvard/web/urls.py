from django.contrib.auth import views as auth_views
from django.urls import include, path

from likvard.web import views
from likvard.web.api.api import api

schools = (
    [
        path("", views.school_list, name="list"),
        path("<str:code>/", views.school_detail, name="detail"),
        path("<str:code>/berakning/<int:year>/", views.statement, name="statement"),
        path("<str:code>/berakning/<int:year>/pdf/", views.statement_pdf, name="statement_pdf"),
    ],
    "schools",
)
allocation = (
    [
        path("korningar/<int:run_id>/avstamning/", views.reconciliation, name="reconciliation"),
        path("korningar/<int:run_id>/excel/", views.run_xlsx, name="xlsx"),
        path("korningar/<int:run_id>/jamforelse/", views.comparison, name="comparison"),
        path("modeller/", views.model_list, name="models"),
        path("scenarier/<int:scenario_id>/", views.scenario_detail, name="scenario"),
        path("logg/", views.audit_log, name="audit"),
    ],
    "allocation",
)

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("konto/logga-in/", auth_views.LoginView.as_view(), name="login"),
    path("konto/logga-ut/", auth_views.LogoutView.as_view(), name="logout"),
    path("konto/losenord/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("konto/losenord/klart/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("skolor/", include(schools)),
    path("fordelning/", include(allocation)),
    path("import/", views.register_import, name="import"),
    path("resultat/", views.results, name="results"),
    path("api/v1/", api.urls),
]
