"""Storage: tables, the async engine, migrations and small data-access functions."""
