"""Querysets compiled to SQL once, for the page where building SQL is most of its cost.

Django builds and compiles a queryset's SQL anew on every evaluation: 0.2-0.7 ms a query on this
project's machine, several times what SQLite or PostgreSQL take to answer a small indexed one.
The project workspace runs up to eight such queries on every view (bench/workspace_bench.py), so
they are declared with `@prepared`: the ORM still writes the SQL (no hand-written SQL, renames
stay safe) and says how to read its rows, once per database and thread; each call only binds its
arguments, runs the SQL and loads the rows as the ORM does (its own converters, `Model.from_db`,
annotations set on each instance). Measured in-process on SQLite: the panel's 10 links
753 -> ~290 us, the project 463 -> ~110 us, the activity feed 310 -> ~50 us.

    @prepared
    def project_links(company_id, project_id):
        return GalleryLink.objects.filter(company_id=company_id, project_id=project_id)

    links = project_links(company.pk, project.pk)  # a list of GalleryLink

The builder is called once with marker values standing in for the arguments, which must be
scalar values the query passes as SQL parameters (ids, strings), not lists. Its queryset may not
use select_related() or prefetch_related() (annotate the few related values a page needs).
"""

import functools
import threading
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
    fields: slice  # where the model's columns are in a row
    field_names: list  # and their attribute names, for Model.from_db()
    annotations: list  # (name, position in a row)
    converters: list  # (position in a row, converter functions, expression): the ORM's own


class PreparedQuery:
    def __init__(self, build):
        self.build = build
        # Per thread: converters are bound to the thread's connection.
        self._local = threading.local()
        functools.update_wrapper(self, build)

    def __call__(self, *args, using=DEFAULT_DB_ALIAS) -> list:
        """The rows, as model instances, for these arguments."""
        if any(isinstance(arg, int) and arg not in _BIGINT for arg in args):
            # An id out of any column's range (a URL's digits): the ORM answers no rows for it
            # without asking the database, which would refuse the parameter.
            return list(self.build(*args).using(using))
        compiled = self._compiled(using, args)
        params = list(compiled.params)
        for position, argument in compiled.slots:
            params[position] = args[argument]
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        instances = []
        for row in rows:
            if compiled.converters:
                row = list(row)
                for position, converters, expression in compiled.converters:
                    value = row[position]
                    for convert in converters:
                        value = convert(value, expression, connection)
                    row[position] = value
            instance = compiled.model.from_db(using, compiled.field_names, row[compiled.fields])
            for name, position in compiled.annotations:
                setattr(instance, name, row[position])
            instances.append(instance)
        return instances

    def _compiled(self, using, args) -> _Compiled:
        cache = self._local.__dict__.setdefault("compiled", {})
        key = (using, tuple(type(arg) for arg in args))
        if key not in cache:
            cache[key] = self._compile(using, args)
        return cache[key]

    def _compile(self, using, args) -> _Compiled:
        name = self.build.__qualname__
        markers = [_marker(position, value) for position, value in enumerate(args)]
        queryset = self.build(*markers)
        if queryset.query.select_related or queryset._prefetch_related_lookups:
            raise TypeError(f"{name}: a prepared query loads one model's rows, not related objects")
        compiler = queryset.query.get_compiler(using=using, connection=connections[using])
        sql, params = compiler.as_sql()  # also works out the columns, as for any queryset
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
        # What Django's ModelIterable reads from the compiler to load rows.
        select_fields = compiler.klass_info["select_fields"]
        fields = slice(select_fields[0], select_fields[-1] + 1)
        converters = compiler.get_converters([column[0] for column in compiler.select])
        return _Compiled(
            model=compiler.klass_info["model"],
            sql=sql,
            params=tuple(params),
            slots=slots,
            fields=fields,
            field_names=[column[0].target.attname for column in compiler.select[fields]],
            annotations=list(compiler.annotation_col_map.items()),
            converters=[(position, funcs, expr) for position, (funcs, expr) in converters.items()],
        )


def prepared(build):
    """Decorate a function that builds a queryset from scalar arguments (see the module)."""
    return PreparedQuery(build)
