from django.apps import AppConfig


class BenchsiteConfig(AppConfig):
    name = "bench.benchsite"
    label = "benchsite"
