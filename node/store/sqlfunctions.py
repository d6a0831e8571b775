"""SQL expressions whose spelling differs between SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class china_day(FunctionElement[str]):  # lower case: it reads as a SQL function
    """The calendar day in China (YYYY-MM-DD) of a stored UTC instant, as `workdays.china_date`
    gives it in Python: so the database can group by the day instead of Python reading each row."""

    type = String()
    name = "china_day"
    inherit_cache = True


@compiles(china_day, "sqlite")
def _china_day_sqlite(element: china_day, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite keeps instants as UTC text; China has kept UTC+8 all year since 1992
    return f"date({compiler.process(element.clauses, **kw)}, '+8 hours')"


@compiles(china_day, "postgresql")
def _china_day_postgresql(element: china_day, compiler: SQLCompiler, **kw: Any) -> str:
    instant = compiler.process(element.clauses, **kw)
    return f"to_char(({instant}) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')"
