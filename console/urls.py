from django.contrib.auth import views as auth_views
from django.urls import include, path

from console.forms import LoginForm
from console.views import home, projects, rollouts, services, tokens, traffic, versions, wizard

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(authentication_form=LoginForm), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),  # set_language: the language switch
    path("", home.home, name="home"),
    path("tenant/", home.switch_tenant, name="switch_tenant"),
    path("tokens/", tokens.tokens, name="tokens"),
    path("tokens/<int:pk>/revoke/", tokens.token_revoke, name="token_revoke"),
    path("projects/new/", projects.project_new, name="project_new"),
    path("projects/<int:pk>/", projects.project, name="project"),
    path("projects/<int:pk>/edit/", projects.project_edit, name="project_edit"),
    path("projects/<int:pk>/delete/", projects.project_delete, name="project_delete"),
    path("projects/<int:pk>/applications/new/", projects.application_new, name="application_new"),
    path("applications/<int:pk>/", projects.application, name="application"),
    path("applications/<int:pk>/edit/", projects.application_edit, name="application_edit"),
    path("applications/<int:pk>/delete/", projects.application_delete, name="application_delete"),
    path("applications/<int:pk>/hosting/", services.hosting, name="hosting"),
    path("applications/<int:pk>/services/new/", services.service_new, name="service_new"),
    path("applications/<int:pk>/services/check-name/", services.service_name_check,
         name="service_name_check"),
    path("services/<int:pk>/", services.service, name="service"),
    path("services/<int:pk>/edit/", services.service_edit, name="service_edit"),
    path("services/<int:pk>/delete/", services.service_delete, name="service_delete"),
    path("services/<int:pk>/guide/", services.upload_guide, name="upload_guide"),
    path("services/<int:pk>/traffic/", traffic.traffic, name="traffic"),
    path("services/<int:pk>/rollout/", rollouts.rollout_panel, name="rollout_panel"),
    path("services/<int:pk>/rollout/<slug:action>/", rollouts.rollout_action, name="rollout_action"),
    path("services/<int:pk>/versions/new/", wizard.step1, name="version_new"),
    path("services/<int:pk>/versions/new/hosting/", wizard.step2, name="version_new_hosting"),
    path("versions/<int:pk>/", versions.version, name="version"),
    path("versions/<int:pk>/logs/", versions.logs, name="version_logs"),
    path("versions/<int:pk>/error/", versions.error_log, name="version_error"),
    path("versions/<int:pk>/delete/", versions.version_delete, name="version_delete"),
    path("versions/<int:pk>/redeploy/", versions.version_redeploy, name="version_redeploy"),
]
