"""Reference implementation of the city's portal API (back office) for the assistant."""
