from privet.registry import registry

from .models import AuditEvent

registry.personal_data(
    AuditEvent,
    {"subject_ref": "contact_details"},
    not_personal={
        "details": "append_event refuses emails, IP addresses and personal keys in details",
    },
)
