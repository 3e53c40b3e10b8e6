"""The assistant's definition and runtime: domain, channels, tracker store, launcher."""
