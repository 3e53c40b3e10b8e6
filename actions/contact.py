"""How citizens reach the city's staff: the values the responses naming phone and hours need."""

from __future__ import annotations

from actions.city import City


def contact_details(city: City, language: str) -> dict[str, str]:
    """Template values for the responses that name the city's phone and hours."""
    return {
        "phone": city.switchboard_phone,
        "hours": city.contact_hours(language),
        "service_number": city.service_number,
    }
