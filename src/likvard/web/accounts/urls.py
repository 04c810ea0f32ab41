from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

# Not namespaced: Django's auth views and LOGIN_URL use these names as they are.
urlpatterns = [
    path("", views.account, name="account"),
    path("nycklar/aterkalla/", views.revoke_token, name="token_revoke"),
    path("logga-in/", auth_views.LoginView.as_view(), name="login"),
    path("logga-ut/", auth_views.LogoutView.as_view(), name="logout"),
    path("losenord/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("losenord/klart/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
]
