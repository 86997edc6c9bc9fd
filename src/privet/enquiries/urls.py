from django.urls import path
from django.utils.translation import gettext_lazy as _

from . import views

app_name = "enquiries"
urlpatterns = [
    path(_("contact/"), views.contact, name="contact"),
    path(_("contact/thanks/"), views.thanks, name="thanks"),
]
