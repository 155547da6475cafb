from django.apps import AppConfig


class CommunitiesConfig(AppConfig):
    name = "communities"
    verbose_name = "Communities"

    def ready(self) -> None:
        # Webhooks hear the events services announce (communities.integrations.events).
        from communities.integrations import receivers  # noqa: F401 - connects the receivers
