"""Builders of hostile submissions: every fixture is made from code at test time, never a binary blob."""
