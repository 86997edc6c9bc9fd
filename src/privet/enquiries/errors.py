"""Domain errors of the enquiries app (turned into 4xx answers by the API and views)."""

from privet.errors import PrivetError


class InvalidTransition(PrivetError):
    """A status change the lifecycle does not allow (e.g. closed -> offer)."""

    code = "invalid_transition"
    status = 409


class InvalidStatusDate(InvalidTransition):
    """A status change dated in the future or before the enquiry's previous step."""

    code = "invalid_status_date"
    status = 400


class InvalidEnquiry(PrivetError):
    """Data handed to a service that the form would have refused (missing or too long)."""

    code = "invalid_enquiry"
    status = 400


class ProcessingRestricted(PrivetError):
    """The person restricted processing of this enquiry (GDPR Art. 18): it may only be stored."""

    code = "processing_restricted"
    status = 409


class NoUnsentMail(PrivetError):
    """"Send again" for a mail that is not waiting to be sent (e.g. someone else already did)."""

    code = "no_unsent_mail"
    status = 409


class NoOperatorAddress(PrivetError):
    """The notice to operators has nobody to go to: ``PRIVET_OPERATOR_EMAILS`` is empty and no
    operator's account has an email address. The mail fails (it is not "sent" to nobody), so
    the panel shows it until someone adds an address and sends it again."""

    code = "no_operator_address"
    status = 409
