"""One person's enquiries, for the registry's contract test (privet/tests/test_registry_contract.py):
an open enquiry with a note (erasable) and a project (kept for claims)."""

from django.utils import timezone

from privet.enquiries import services
from privet.registry import SubjectQuery


def enquiries(subject: SubjectQuery, policy) -> None:
    data = {"name": "Contract Person", "email": subject.email, "phone": subject.phone,
            "project_type": "web_app", "message": f"Please call me on {subject.phone}."}
    open_one = services.log_enquiry(data=data, actor="test")
    services.add_note(enquiry=open_one, body="Prefers mornings.", actor="test")
    project = services.log_enquiry(data=data, actor="test")
    for status in ("offer", "project"):
        services.change_status(enquiry=project, to_status=status, actor="test", at=timezone.now())


SUBJECT_DATA = {"enquiries": enquiries}
