"""Public integration URLs. ``urlpatterns`` are pages (under the language prefix);
``neutral`` are the addresses platforms call (the registered redirect URI, webhooks), the same
in every language."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from . import views, webhooks

app_name = "integrations"

urlpatterns = [
    path(_("authorise/<str:public_id>/"), views.authorise, name="authorise"),
]

neutral = [
    path("integrations/callback/<str:connector_id>/", views.callback, name="callback"),
    path("integrations/webhooks/<str:connector_id>/", webhooks.receive, name="webhook"),
]
