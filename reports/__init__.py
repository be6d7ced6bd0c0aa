"""Supervisor reports: the top layer. It reads dispatch, programs and responders; nothing imports it.

`registry.build(name, filters, ...)` is the one entry point for the page, the CSV and the API.
"""
