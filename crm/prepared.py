"""Querysets compiled to SQL once, for the page where building SQL is most of its cost.

Django builds and compiles a queryset's SQL anew on every evaluation, and loads rows through its
general machinery: 0.25-0.75 ms a query on this project's machine, several times what SQLite or
PostgreSQL take to answer a small indexed one. The project workspace runs five such queries on
every view (bench/workspace_bench.py), so they are declared with `@prepared`: the ORM still writes
the SQL (no hand-written SQL, renames stay safe), once per database, and each call only binds its
arguments and runs it through `Manager.raw()`, which loads model instances with the same field
conversions. Measured in-process on SQLite: the panel's 10 links 753 -> 293 us, the project with
its client 463 -> 128 us, the activity feed 310 -> 62 us.

    @prepared
    def project_links(company_id, project_id):
        return GalleryLink.objects.filter(company_id=company_id, project_id=project_id)

    links = project_links(company.pk, project.pk)

A call answers a list of model instances. The builder is called once with marker values standing
in for the arguments, which must be scalar values the query passes as SQL parameters (ids,
strings), not lists. Its queryset may not use select_related() or prefetch_related(): raw() loads
one model's rows only. Annotations are set on each instance and converted as the ORM does.
"""

import functools
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connections

# Marker values no real argument takes: negative ids beyond any sequence, strings with a NUL.
_INT_MARKER_BASE = -(2**52)
_BIGINT = range(-(2**63), 2**63)  # what a database's integer column can hold


def _marker(position, value):
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"a prepared query takes ids and strings, not {type(value).__name__}")
    return _INT_MARKER_BASE - position if isinstance(value, int) else f"\x00prepared-{position}\x00"


@dataclass(frozen=True)
class _Compiled:
    model: type
    sql: str
    params: tuple
    slots: list  # (position in params, index of the argument that goes there)
    conversions: list  # (annotation name, its expression, the database's converters for it)


class PreparedQuery:
    def __init__(self, build):
        self.build = build
        self._compiled = {}  # (database alias, argument types) -> _Compiled
        functools.update_wrapper(self, build)

    def __call__(self, *args, using=DEFAULT_DB_ALIAS) -> list:
        """The rows, as model instances, for these arguments."""
        if any(isinstance(arg, int) and arg not in _BIGINT for arg in args):
            # An id out of any column's range (a URL's digits): the ORM answers no rows for it
            # without asking the database, which would refuse the parameter.
            return list(self.build(*args).using(using))
        key = (using, tuple(type(arg) for arg in args))
        if key not in self._compiled:
            self._compiled[key] = self._compile(args, using)
        compiled = self._compiled[key]
        params = list(compiled.params)
        for position, argument in compiled.slots:
            params[position] = args[argument]
        rows = list(compiled.model._default_manager.raw(compiled.sql, params, using=using))
        # raw() converts the model's fields; annotations get the ORM's conversions here (a sum
        # to a Decimal, EXISTS to a bool: SQLite answers a float and an int).
        connection = connections[using]
        for row in rows:
            for name, expression, converters in compiled.conversions:
                value = getattr(row, name)
                for convert in converters:
                    value = convert(value, expression, connection)
                setattr(row, name, value)
        return rows

    def _compile(self, args, using):
        name = self.build.__qualname__
        markers = [_marker(position, value) for position, value in enumerate(args)]
        queryset = self.build(*markers)
        if queryset.query.select_related or queryset._prefetch_related_lookups:
            raise TypeError(f"{name}: raw() can't load related objects")
        connection = connections[using]
        sql, params = queryset.query.get_compiler(using=using, connection=connection).as_sql()
        slots = [
            (position, argument)
            for position, param in enumerate(params)
            for argument, marker in enumerate(markers)
            if type(param) is type(marker) and param == marker
        ]
        missing = set(range(len(markers))) - {argument for _, argument in slots}
        if missing:
            raise ValueError(f"{name}: argument {min(missing)} is not an SQL parameter")
        if any(str(marker) in sql for marker in markers if isinstance(marker, int)):
            raise ValueError(f"{name}: an argument was written into the SQL itself")
        conversions = []
        for annotation, expression in queryset.query.annotation_select.items():
            converters = [
                *connection.ops.get_db_converters(expression),
                *expression.get_db_converters(connection),
            ]
            if converters:
                conversions.append((annotation, expression, converters))
        return _Compiled(queryset.model, sql, tuple(params), slots, conversions)


def prepared(build):
    """Decorate a function that builds a queryset from scalar arguments (see the module)."""
    return PreparedQuery(build)
