from django.urls import path

from . import views

app_name = "support"
urlpatterns = [
    path("", views.applications, name="applications"),
    path("ny/", views.new, name="new"),
    path("<int:pk>/", views.detail, name="detail"),
]
