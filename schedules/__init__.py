"""Shipped yearly-cycle files (package data)."""
