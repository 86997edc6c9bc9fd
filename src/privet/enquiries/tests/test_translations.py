"""The admin and the panel name the enquiries and panel apps' models in the reader's language."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.utils import translation


@pytest.mark.parametrize("label", ["enquiries", "panel"])
def test_every_model_and_app_has_a_polish_name(label):
    config = apps.get_app_config(label)
    models = list(config.get_models(include_auto_created=False))
    assert models
    with translation.override("en"):
        english = [(str(m._meta.verbose_name), str(m._meta.verbose_name_plural)) for m in models]
        app_en = str(config.verbose_name)
    with translation.override("pl"):
        polish = [(str(m._meta.verbose_name), str(m._meta.verbose_name_plural)) for m in models]
        app_pl = str(config.verbose_name)
    assert app_pl != app_en
    for model, en, pl in zip(models, english, polish, strict=True):
        assert pl[0] != en[0] and pl[1] != en[1], f"{model.__name__} has no Polish name: {pl}"


def test_plural_names_are_plural_in_polish():
    from privet.enquiries.models import EnquiryStatusChange, OutgoingMail

    with translation.override("pl"):
        assert str(OutgoingMail._meta.verbose_name) == "wiadomość wychodząca"
        assert str(OutgoingMail._meta.verbose_name_plural) == "wiadomości wychodzące"
        assert str(EnquiryStatusChange._meta.verbose_name_plural) == "zmiany statusu"
