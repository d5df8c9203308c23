"""Tests of arxiv."""
