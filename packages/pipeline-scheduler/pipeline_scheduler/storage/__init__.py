"""The database: tables, queries and schema migrations."""
