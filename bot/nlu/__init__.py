"""Custom NLU components of the pipeline in config.yml."""
