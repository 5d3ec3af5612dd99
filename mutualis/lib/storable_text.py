"""Text a database can hold and compare.

PostgreSQL refuses a NUL character in text and JSON values (psycopg raises a DataError before
the query runs), and neither PostgreSQL nor SQLite encodes a lone UTF-16 surrogate (Python's
`json` reads "\\ud800" into one). A request naming such text, in a filter, an id or a value,
ended in a server error: it is refused where it comes in, as no value of the product holds it.
"""

from __future__ import annotations


def is_storable(text: str) -> bool:
    """Whether `text` holds neither a NUL character nor a lone surrogate."""
    if "\x00" in text:
        return False
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True
