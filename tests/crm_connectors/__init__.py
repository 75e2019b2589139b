"""Tests of crm_connectors."""
