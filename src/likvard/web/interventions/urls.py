from django.urls import path

from . import views

app_name = "interventions"
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("<int:intervention_id>/", views.detail, name="detail"),
    path("stod/", views.report, name="report"),
    path("stod/pdf/", views.report_download, {"fmt": "pdf"}, name="report_pdf"),
    path("stod/docx/", views.report_download, {"fmt": "docx"}, name="report_docx"),
]
