"""Domain errors of the rights app (turned into 4xx answers by the API and views)."""

from privet.errors import PrivetError


class InvalidRequest(PrivetError):
    """Data handed to a service that the portal's form would have refused."""

    code = "invalid_request"
    status = 400


class InvalidTransition(PrivetError):
    """A change the request's lifecycle does not allow (e.g. extending a completed request)."""

    code = "invalid_transition"
    status = 409


class ExtensionNotAllowed(InvalidTransition):
    """An extension after the first month, beyond two months, or without a reason."""

    code = "extension_not_allowed"


class InvalidLink(PrivetError):
    """A verification or download link that is forged, already used, replaced or expired.

    One message for all of them, so that a link tells nobody whether a request exists."""

    code = "invalid_link"
    status = 400


class ProcessingPaused(PrivetError):
    """Operators paused processing (after an error): no new step is taken until resumed."""

    code = "processing_paused"
    status = 409


class NoOperatorAddress(PrivetError):
    """A reminder with nobody to go to: no operator has an email address."""

    code = "no_operator_address"
    status = 503
