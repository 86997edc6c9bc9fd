"""Domain errors. Each carries a stable ``code`` that the API and views turn into a 4xx answer."""


class PrivetError(Exception):
    """Base for every error a person or client can cause and should be told about."""

    code = "error"
    status = 400
