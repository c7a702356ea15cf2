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


class BareEntry(models.Model):
    """The baseline's one INSERT per mission completion of a signed-in user."""

    # A plain column, not a foreign key: benchsite has no migrations, and --run-syncdb creates its tables
    # before the migrated apps' (a constraint on accounts_user would fail). One fewer check for the baseline.
    user_id = models.BigIntegerField()
    mission = models.PositiveIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        app_label = "benchsite"

    def __str__(self):
        return f"{self.user_id}: {self.mission}"


class BareCounter(models.Model):
    """The join baseline's counter row (one per group)."""

    count = models.PositiveIntegerField(default=0)

    class Meta:
        app_label = "benchsite"

    def __str__(self):
        return str(self.count)


class BareJoin(models.Model):
    """The join baseline's one INSERT per purchase (a plain column for the counter, like BareEntry.user_id)."""

    counter_id = models.BigIntegerField()
    order_reference = models.CharField(max_length=64)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    occurred_at = models.DateTimeField()

    class Meta:
        app_label = "benchsite"

    def __str__(self):
        return self.order_reference


class BareEvent(models.Model):
    """The baseline's one INSERT per sales event: the raw body, as received."""

    body = models.TextField()
    received_at = models.DateTimeField()

    class Meta:
        app_label = "benchsite"

    def __str__(self):
        return f"event {self.pk}"
