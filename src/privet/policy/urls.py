from django.urls import path
from django.utils.translation import gettext_lazy as _

from . import views

app_name = "policy"
urlpatterns = [
    path(_("privacy/"), views.policy_page, name="page"),
    path(_("privacy/versions/"), views.version_list, name="versions"),
    path(_("privacy/versions/<str:version>/"), views.policy_page, name="version"),
]
