from django.urls import path

from hosting.registry import views

app_name = "registry"
urlpatterns = [
    path("token/", views.token, name="token"),
]
