from django.urls import path
from django.utils.translation import gettext_lazy as _

from . import views

app_name = "rights"
urlpatterns = [
    path(_("privacy/requests/"), views.portal, name="portal"),
    path(_("privacy/requests/sent/"), views.sent, name="sent"),
    path(_("privacy/requests/verify/"), views.verify, name="verify"),
    path(_("privacy/requests/download/"), views.download, name="download"),
    path(_("privacy/requests/new-link/"), views.new_link, name="new-link"),
    path(_("privacy/requests/status/"), views.status, name="status"),
]
