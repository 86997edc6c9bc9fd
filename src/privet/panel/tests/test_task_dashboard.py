"""django-rq's dashboard shows Redis queues: it is there only when tasks run on Redis."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from privet.panel.roles import ADMINISTRATOR
from privet.panel.services import assign_role

from .conftest import PASSWORD, sign_in

REGISTERED = ("import django; django.setup(); from django.contrib import admin; "
              "from django_rq.models import Dashboard; print(admin.site.is_registered(Dashboard))")


@pytest.mark.django_db
def test_with_tasks_in_the_database_the_admin_has_no_rq_dashboard():
    assert settings.TASK_BACKEND == "db"
    user = get_user_model().objects.create_superuser("ada", email="", password=PASSWORD)
    assign_role(user=user, role=ADMINISTRATOR, actor="test")
    TOTPDevice.objects.create(user=user, name="Aplikacja", confirmed=True)
    client = sign_in(Client(), user)
    index = client.get("/panel/admin/")
    assert index.status_code == 200
    assert "django_rq" not in index.content.decode() and "Django-RQ" not in index.content.decode()
    for url in ("/panel/admin/django_rq/", "/panel/admin/django_rq/dashboard/",
                "/panel/admin/django_rq/dashboard/stats.json"):
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize(("backend", "shown"), [("db", "False"), ("rq", "True")])
def test_the_dashboard_follows_the_task_backend(backend, shown, tmp_path):
    """Settings are read once at start-up, so each backend starts a Django of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRIVET_", "DJANGO_"))}
    env.update(PRIVET_SECRET_KEY="test-key-" + "y" * 40, PRIVET_DATA_DIR=str(tmp_path),
               PRIVET_TASK_BACKEND=backend, DJANGO_SETTINGS_MODULE="privet.settings")
    done = subprocess.run([sys.executable, "-c", REGISTERED], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == shown
