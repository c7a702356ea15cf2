from django.db import models


class BareClick(models.Model):
    """The baseline's one INSERT per click."""

    code = models.CharField(max_length=16)
    occurred_at = models.DateTimeField()

    class Meta:
        app_label = "benchsite"

    def __str__(self):
        return self.code


class BarePage(models.Model):
    """The baseline landing page's one row."""

    headline = models.CharField(max_length=140)
    body = models.TextField()

    class Meta:
        app_label = "benchsite"

    def __str__(self):
        return self.headline
