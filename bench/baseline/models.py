from django.db import models


class BenchRow(models.Model):
    """One small row, about the width of a case's hot columns."""

    name = models.CharField(max_length=100)
    number = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "bench_baseline_row"

    def __str__(self) -> str:
        return self.name
