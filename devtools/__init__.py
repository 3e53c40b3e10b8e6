"""Development and measurement tools: the mail sink, isolated process stacks, the benchmark.

Never part of the production image (see deploy/Dockerfile); their extra dependencies are in
the `bench` dependency group of pyproject.toml.
"""
