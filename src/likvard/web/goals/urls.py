from django.urls import path

from . import views

app_name = "goals"
urlpatterns = [
    path("", views.plan_view, name="plan"),
    path("indikator/<slug:key>/", views.indicator_view, name="indicator"),
    path("malvarden/", views.targets_view, name="targets"),
    path("ambition/", views.ambition_view, name="ambition"),
]
