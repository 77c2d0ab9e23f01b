"""Pic-Time sandbox: a separate Django process that plays Pic-Time (see contract/pictime-openapi.yaml)."""
