"""The policy app's registrations: published versions hold no personal data, and the declared
retention rules that no target enforces because Privet does not hold that data.

The second list follows the default (SoftCode) declaration. With your own declaration,
``manage.py check`` names each rule that nothing enforces (``privet.E007``): register a
target for it in the app that stores the data, or say here why none is needed.
"""

from privet.registry import registry

from .models import PolicyVersion

registry.personal_data(
    PolicyVersion,
    {},
    not_personal={
        "canonical": "the published policy text, about processing in general, not a person",
        "source": "the published policy text, about processing in general, not a person",
    },
)

_ACCOUNTING = ("invoices and the contact details on them are kept in the studio's accounting "
               "system, not in Privet")

for _category, _purpose, _trigger, _reason in (
    ("contact_details", "legal_obligations", "financial_year_end", _ACCOUNTING),
    ("project_data", "legal_obligations", "financial_year_end", _ACCOUNTING),
):
    registry.rule_without_target(category=_category, purpose=_purpose, trigger=_trigger,
                                 reason=_reason)
