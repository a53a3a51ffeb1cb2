"""API Engagement (beta.gouv.fr): the association's public open missions, published once and
diffused to the national volunteering platforms (JeVeuxAider.gouv.fr and others)."""

from bot.connectors.api_engagement.connector import ApiEngagementConnector

__all__ = ["ApiEngagementConnector"]
