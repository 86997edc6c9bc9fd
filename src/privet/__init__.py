"""Privet: a privacy policy that software keeps."""

__version__ = "0.1.0"
