"""Input channels of the Rasa server (configured in bot/credentials.yml)."""
