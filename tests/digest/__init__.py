"""Tests of digest."""
