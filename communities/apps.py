from django.apps import AppConfig


class CommunitiesConfig(AppConfig):
    name = "communities"
    verbose_name = "Communities"

    def ready(self) -> None:
        # Open thread pages learn about new posts through a post-save signal (config/live.py);
        # connected here so posts written by the worker (rituals) count too.
        from config import live

        live.connect()
