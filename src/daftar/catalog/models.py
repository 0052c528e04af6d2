"""The service catalogue. This first part holds the service families (categories) that every
service type belongs to; versioned service types arrive with the case engine."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from daftar.core.i18n import is_english, pick


class ServiceCategory(models.Model):
    code = models.SlugField(_("code"), max_length=48, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    name_fa = models.CharField(_("name (Persian)"), max_length=150)
    name_en = models.CharField(_("name (English)"), max_length=150)
    description_fa = models.TextField(_("description (Persian)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    icon = models.CharField(_("icon"), max_length=32, blank=True)
    examples_fa = models.JSONField(_("example services (Persian)"), default=list, blank=True)
    examples_en = models.JSONField(_("example services (English)"), default=list, blank=True)

    class Meta:
        verbose_name = _("service category")
        verbose_name_plural = _("service categories")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name_fa

    @property
    def name(self) -> str:
        return pick(self.name_fa, self.name_en)

    @property
    def description(self) -> str:
        return pick(self.description_fa, self.description_en)

    @property
    def examples(self) -> list[str]:
        chosen = self.examples_en if is_english() and self.examples_en else self.examples_fa
        return list(chosen)
