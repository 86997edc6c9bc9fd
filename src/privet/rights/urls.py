from django.urls import path
from django.utils.translation import gettext_lazy as _

from . import views

app_name = "rights"
urlpatterns = [
    path(_("privacy/requests/verify/"), views.verify, name="verify"),
    path(_("privacy/requests/download/"), views.download, name="download"),
]
