"""Payroll tests."""
