"""A fresh PostgreSQL database for a benchmark, on the local server `make services` starts."""

import subprocess


def fresh_database(name: str) -> str:
    """Drops and creates database `name`; returns its DATABASE_URL."""
    psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc"]
    subprocess.run([*psql, f"DROP DATABASE IF EXISTS {name}"], check=True)
    subprocess.run([*psql, f"CREATE DATABASE {name}"], check=True)
    return f"postgres://postgres@127.0.0.1:5432/{name}"
