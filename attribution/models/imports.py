"""A CSV import of sales: its file, its progress and its row-level report."""

from django.conf import settings
from django.db import models

from attribution.models.sales import SalesSource


class SalesImport(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Reading"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    source = models.ForeignKey(SalesSource, on_delete=models.PROTECT, related_name="imports")
    file_name = models.CharField(max_length=200, help_text="Under the imports folder; the uploaded name is kept apart.")
    original_name = models.CharField(max_length=200)
    dry_run = models.BooleanField(default=True, help_text="Check every row and report, storing nothing.")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    rows_done = models.PositiveIntegerField(default=0)
    stored = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    problems = models.JSONField(default=list, blank=True, help_text="[line, field, message], the first 500.")
    problem_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self):
        return f"{'Dry run' if self.dry_run else 'Import'} of {self.original_name} into {self.source.key}"
