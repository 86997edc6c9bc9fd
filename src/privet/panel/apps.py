from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class PanelConfig(AppConfig):
    name = "privet.panel"
    label = "panel"
    verbose_name = _("Operator panel")

    def ready(self) -> None:
        # django-axes announces a lockout only through its signal; the receiver hands it to the
        # one function that records it (panel.services.record_lockout).
        from axes.signals import user_locked_out

        from .lockout import on_user_locked_out

        user_locked_out.connect(on_user_locked_out, dispatch_uid="privet.panel.lockout")

        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_migrate, post_save

        from .services import on_account_saved

        # Closing an account (deactivating it, anywhere) starts its declared retention period.
        post_save.connect(on_account_saved, sender=get_user_model(),
                          dispatch_uid="privet.panel.account_state")

        from .services import ensure_roles

        post_migrate.connect(ensure_roles, sender=self, dispatch_uid="privet.panel.roles")

        # The audit log words the codes in this app's events' details.
        from privet.audit.actions import register_values

        from .roles import ROLE_LABELS

        for key in ("from", "to"):
            register_values(actions=["panel.role_changed"], key=key, labels=ROLE_LABELS)
        register_values(actions=["panel.sign_in"], key="factors",
                        labels={"password+totp": _("password and authenticator app")})
        register_values(actions=["panel.sign_in_failed"], key="stage",
                        labels={"password": _("password"), "totp": _("authenticator code")})


class PanelAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin whose default site demands a TOTP-verified administrator."""

    default = False  # privet.panel means PanelConfig; this one is named in INSTALLED_APPS
    default_site = "privet.panel.admin_site.PanelAdminSite"

    def ready(self) -> None:
        super().ready()  # registers every app's admin
        from .third_party import translate_admin_booleans, translate_third_party_apps

        translate_third_party_apps()
        translate_admin_booleans()
