from django.urls import path

from . import views

app_name = "allocation"
urlpatterns = [
    path("oversikt/", views.overview, name="overview"),
    path("korningar/", views.runs, name="runs"),
    path("korningar/<int:run_id>/avstamning/", views.reconciliation, name="reconciliation"),
    path("korningar/<int:run_id>/excel/", views.run_xlsx, name="xlsx"),
    path("korningar/<int:run_id>/jamforelse/", views.comparison, name="comparison"),
    path("modeller/", views.model_list, name="models"),
    path("scenarier/<int:scenario_id>/", views.scenario_detail, name="scenario"),
    path("svep/", views.sweep, name="sweep"),
    path("skolor/<str:code>/berakning/<int:year>/", views.statement, name="statement"),
    path("skolor/<str:code>/berakning/<int:year>/pdf/", views.statement_pdf, name="statement_pdf"),
]
