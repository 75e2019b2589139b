"""Provisioning: companies (tenants), users, profiles, numbers and call centers in the database.

Functional core (profiles, flex, numbers, users, call_centers, schedules, csv_import: pure rules
over plain data) and imperative shell (models, db, the *_store modules and service: SQL, one
transaction per change, the audit log and change notifications). The PBX, the engine runtime,
the admin API and the portal all read one `ProvisioningService` (docs/provisioning.md).
"""
