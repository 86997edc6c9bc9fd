from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PolicyConfig(AppConfig):
    name = "privet.policy"
    label = "policy"
    verbose_name = _("Privacy policy")

    def ready(self) -> None:
        from privet.audit.services import set_policy_hash_provider
        from privet.registry import autodiscover

        from . import checks  # noqa: F401  (registers the drift check, privet.E001...)
        from .selectors import current_hash

        autodiscover()
        # Audit events record the policy in force; the audit app cannot import policy (it is the
        # lower layer), so the policy app hands it the selector.
        set_policy_hash_provider(current_hash)
