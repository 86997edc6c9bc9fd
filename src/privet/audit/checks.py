from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.database)
def check_sqlite_immediate(app_configs, **kwargs):
    """The audit chain's append is only race-free on SQLite with IMMEDIATE transactions."""
    errors = []
    for alias, db in settings.DATABASES.items():
        sqlite = db["ENGINE"] == "django.db.backends.sqlite3"
        if sqlite and db.get("OPTIONS", {}).get("transaction_mode") != "IMMEDIATE":
            errors.append(checks.Error(
                f"Database {alias!r} is SQLite without OPTIONS transaction_mode='IMMEDIATE'.",
                hint="Concurrent audit appends could fork the chain; use Privet's settings.",
                id="privet.E101",
            ))
    return errors
