from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("hosting.api.urls")),
    path("registry/", include("hosting.registry.urls")),
    path("", include("console.urls")),
]
