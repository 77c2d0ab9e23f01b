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

    links = list(project_links(company.pk, project.pk))

The builder is called once with marker values standing in for the arguments, which must be
scalar values the query passes as SQL parameters (ids, strings), not lists. Its queryset may not
use select_related() or prefetch_related(): raw() loads one model's rows only. Annotations are set
on each instance, as with the ORM.
"""

import functools

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.query import QuerySet, RawQuerySet

# Marker values no real argument takes: negative ids beyond any sequence, strings with a NUL.
_INT_MARKER_BASE = -(2**52)
_BIGINT = range(-(2**63), 2**63)  # what a database's integer column can hold


def _marker(position, value):
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"a prepared query takes ids and strings, not {type(value).__name__}")
    return _INT_MARKER_BASE - position if isinstance(value, int) else f"\x00prepared-{position}\x00"


class PreparedQuery:
    def __init__(self, build):
        self.build = build
        # (database alias, argument types) -> (model, sql, params, where the arguments go)
        self._compiled = {}
        functools.update_wrapper(self, build)

    def __call__(self, *args, using=DEFAULT_DB_ALIAS) -> RawQuerySet | QuerySet:
        if any(isinstance(arg, int) and arg not in _BIGINT for arg in args):
            # An id out of any column's range (a URL's digits): the ORM answers no rows for it
            # without asking the database, which would refuse the parameter.
            return self.build(*args).using(using)
        key = (using, tuple(type(arg) for arg in args))
        if key not in self._compiled:
            self._compiled[key] = self._compile(args, using)
        model, sql, params, slots = self._compiled[key]
        params = list(params)
        for position, argument in slots:
            params[position] = args[argument]
        return model._default_manager.raw(sql, params, using=using)

    def _compile(self, args, using):
        markers = [_marker(position, value) for position, value in enumerate(args)]
        queryset = self.build(*markers)
        if queryset.query.select_related or queryset._prefetch_related_lookups:
            raise TypeError(f"{self.build.__qualname__}: raw() can't load related objects")
        sql, params = queryset.query.get_compiler(using=using, connection=connections[using]).as_sql()
        slots = [
            (position, argument)
            for position, param in enumerate(params)
            for argument, marker in enumerate(markers)
            if type(param) is type(marker) and param == marker
        ]
        missing = set(range(len(markers))) - {argument for _, argument in slots}
        if missing:
            raise ValueError(f"{self.build.__qualname__}: argument {min(missing)} is not an SQL parameter")
        if any(str(marker) in sql for marker in markers if isinstance(marker, int)):
            raise ValueError(f"{self.build.__qualname__}: an argument was written into the SQL itself")
        return queryset.model, sql, tuple(params), slots


def prepared(build):
    """Decorate a function that builds a queryset from scalar arguments (see the module)."""
    return PreparedQuery(build)
