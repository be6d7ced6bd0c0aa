"""Input checks shared by API views, pages and forms."""

# What a bigint column holds on PostgreSQL and an INTEGER on SQLite. A larger id or number
# in a query string would make the database driver raise (a 500) instead of matching nothing.
MIN_DB_INT = -(2**63)
MAX_DB_INT = 2**63 - 1


def parse_db_int(value: str) -> int:
    """A whole number from a query parameter that the database can compare; ValueError otherwise."""
    number = int(value)
    if not MIN_DB_INT <= number <= MAX_DB_INT:
        raise ValueError(f"{value!r} is out of range.")
    return number
