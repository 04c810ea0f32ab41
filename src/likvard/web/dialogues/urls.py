from django.urls import path

from . import views

app_name = "dialogues"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("<str:code>/", views.dialogue, name="dialogue"),
]
