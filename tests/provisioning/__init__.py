"""Tests of the provisioning package and its admin REST API."""
