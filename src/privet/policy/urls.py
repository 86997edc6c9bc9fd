from django.urls import path
from django.utils.translation import gettext_lazy as _

from . import views

app_name = "policy"
urlpatterns = [
    path(_("privacy/"), views.policy_page, name="page"),
    path(_("privacy/versions/"), views.version_list, name="versions"),
    # Not under versions/: "changes" would be a valid version id there.
    path(_("privacy/changes/"), views.version_changes, name="changes"),
    path(_("privacy/versions/<str:version>/"), views.policy_page, name="version"),
]
