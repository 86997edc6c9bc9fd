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
