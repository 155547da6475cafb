from django.apps import AppConfig


class CommunitiesConfig(AppConfig):
    name = "communities"
    verbose_name = "Communities"

    def ready(self) -> None:
        # Webhooks hear the events services announce (communities.integrations.events).
        from communities.integrations import receivers  # noqa: F401 - connects the receivers

        # Open thread pages learn about new posts through a post-save signal (config/live.py);
        # connected here so posts written by the worker (rituals) count too.
        from config import live

        live.connect()
