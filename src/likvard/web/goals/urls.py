from django.urls import path

from . import views

app_name = "goals"
urlpatterns = [
    path("", views.plan_view, name="plan"),
    path("indikator/<slug:key>/", views.indicator_view, name="indicator"),
    path("malvarden/", views.targets_view, name="targets"),
    path("ambition/", views.ambition_view, name="ambition"),
    path("rapport/", views.report_view, name="report"),
    path("rapport/pdf/", views.report_download, {"fmt": "pdf"}, name="report_pdf"),
    path("rapport/docx/", views.report_download, {"fmt": "docx"}, name="report_docx"),
]
