"""Writing an export's file: CSV (by PostgreSQL's COPY, or by Python) or XLSX, hashed as it is written.

The file is written to a temporary name in the exports folder and moved into place (`os.replace`) only
once it is complete, so a worker killed halfway leaves no half file under the export's name (the sweep
removes the orphaned `.part` file later). Progress (`rows_written`) is its own short UPDATE.

CSV: UTF-8 with a byte-order mark (so Excel reads accented and Korean names), comma-separated, "\\n"
line ends, a header row, fields quoted only when they hold a comma, a double quote, CR or LF — exactly
what `COPY … TO STDOUT WITH (FORMAT csv)` writes, so the COPY path and the Python path give the same
bytes. XLSX (XlsxWriter in constant_memory mode: one row in memory at a time): the same cells, amounts
and ids as numbers, a new sheet every 1,000,000 rows, and the period's end as the workbook's creation
time, so equal data gives equal bytes there too.
"""

import hashlib
import os
import re
import shutil
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import xlsxwriter
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction

from attribution.exports import columns

BOM = b"\xef\xbb\xbf"
NEEDS_QUOTES = re.compile(r'[,"\r\n]')
WRITE_BLOCK = 1 << 20  # bytes gathered before one write and hash update
# rows_written is checked every PROGRESS_EVERY rows and written at most every PROGRESS_SECONDS.
PROGRESS_EVERY = 10_000
PROGRESS_SECONDS = 1.0
XLSX_ROWS_PER_SHEET = 1_000_000  # Excel's limit is 1,048,576 rows a sheet


def exports_root():
    """Where export files live: EXPORTS_ROOT (under PRIVATE_FILES_ROOT), never under MEDIA_ROOT (served publicly)."""
    root = Path(getattr(settings, "EXPORTS_ROOT", Path(settings.VAR_DIR) / "private" / "exports"))
    media = Path(settings.MEDIA_ROOT).resolve()
    if root.resolve() == media or media in root.resolve().parents:
        raise ImproperlyConfigured(f"EXPORTS_ROOT ({root}) is inside MEDIA_ROOT, which is served publicly: "
                                   "set PRIVATE_FILES_ROOT to a folder outside it.")
    return root


# --- the temporary file, hashed and counted --------------------------------------------------------


class Output:
    """A temporary file in the exports folder; `move_into_place()` gives it the export's name."""

    def __init__(self, directory, final_name):
        directory.mkdir(parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(dir=directory, prefix=f".{final_name}.", suffix=".part")
        self.path = Path(name)
        self.final_path = directory / final_name
        self.handle = os.fdopen(descriptor, "wb")
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data):
        self.digest.update(data)
        self.handle.write(data)
        self.size += len(data)

    def close(self):
        if not self.handle.closed:
            self.handle.flush()
            os.fsync(self.handle.fileno())
            self.handle.close()

    def hash_written_file(self):
        """For XLSX, written by XlsxWriter to self.path: hash and size from the finished file."""
        self.close()
        self.digest, self.size = hashlib.sha256(), 0
        with open(self.path, "rb") as handle:
            while block := handle.read(WRITE_BLOCK):
                self.digest.update(block)
                self.size += len(block)

    def discard(self):
        if not self.handle.closed:
            self.handle.close()
        self.path.unlink(missing_ok=True)

    def move_into_place(self):
        os.replace(self.path, self.final_path)


# --- progress, in its own short UPDATE ---------------------------------------------------------------


class Progress:
    """rows_expected and rows_written of one export, written as they change.

    In a worker, progress goes through a second connection in autocommit, so the page sees it while the
    reads go on: on PostgreSQL they are one REPEATABLE READ transaction, and on SQLite an UPDATE on the
    reading connection would hold the write lock (and wait to commit) until the last row was read.
    """

    def __init__(self, export_id, *, separate_connection):
        from attribution.models import FinanceExport

        self.export_id = export_id
        self.table = connection.ops.quote_name(FinanceExport._meta.db_table)
        self.connection = connections.create_connection(DEFAULT_DB_ALIAS) if separate_connection else connection
        self.separate = separate_connection
        self.last_written_at = 0.0

    def update(self, **values):
        assignments = ", ".join(f"{connection.ops.quote_name(name)} = %s" for name in values)
        with self.connection.cursor() as cursor:
            cursor.execute(f"UPDATE {self.table} SET {assignments} WHERE id = %s",  # noqa: S608
                           [*values.values(), self.export_id])

    def expected(self, rows):
        self.update(rows_expected=rows)

    def written(self, rows):
        """Called every PROGRESS_EVERY rows; writes at most every PROGRESS_SECONDS."""
        now = time.monotonic()
        if now - self.last_written_at >= PROGRESS_SECONDS:
            self.last_written_at = now
            self.update(rows_written=rows)

    def close(self):
        if self.separate:
            self.connection.close()


@contextmanager
def consistent_reads():
    """Count, rows and totals from one snapshot where the database gives one cheaply (PostgreSQL, outside a
    transaction): REPEATABLE READ, READ ONLY. Yields whether it did.

    Elsewhere (SQLite; or already inside a transaction, as in tests) the reads are separate statements: a
    sale recorded during the export may then be in the totals but not the file, or the reverse.
    """
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                # Compiling the export's many expressions just in time cost more than it saved (bench/export.py).
                cursor.execute("SET LOCAL jit = off")
            yield True
    else:
        yield False


# --- CSV ---------------------------------------------------------------------------------------------


def csv_field(cell):
    if cell is None:
        return ""
    if NEEDS_QUOTES.search(cell):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def csv_line(cells):
    return ",".join(map(csv_field, cells)) + "\n"


def write_csv_lines(output, column_spec, lines, progress):
    """Header and rows written by Python; returns the number of rows."""
    output.write(BOM + csv_line(columns.header(column_spec)).encode())
    pending, size, rows = [], 0, 0
    for rows, cells in enumerate(lines, start=1):  # noqa: B007 - rows is the count after the loop
        line = csv_line(cells)
        pending.append(line)
        size += len(line)
        if size >= WRITE_BLOCK:
            output.write("".join(pending).encode())
            pending, size = [], 0
        if rows % PROGRESS_EVERY == 0:
            progress.written(rows)
    if pending:
        output.write("".join(pending).encode())
    return rows


def write_csv_copy(output, column_spec, copy_statement, progress):
    """Header by Python, rows by PostgreSQL's COPY; each COPY message is one row. Returns the number of rows.

    A COPY holds its connection: progress is reported while it runs only through a connection of its own.
    """
    output.write(BOM + csv_line(columns.header(column_spec)).encode())
    sql, params = copy_statement
    rows, pending = 0, bytearray()
    every = PROGRESS_EVERY if progress.separate else 0
    with connection.cursor() as cursor, cursor.cursor.copy(sql, params) as copy:
        for block in copy:
            pending += block
            rows += 1
            if len(pending) >= WRITE_BLOCK:
                output.write(pending)
                pending = bytearray()
            if every and rows % every == 0:
                progress.written(rows)
    if pending:
        output.write(pending)
    return rows


# --- XLSX --------------------------------------------------------------------------------------------


def write_xlsx(output, column_spec, lines, progress, *, created):
    """The cells in a workbook at output.path, one sheet per XLSX_ROWS_PER_SHEET rows; returns the rows."""
    output.close()
    # constant_memory keeps each sheet's rows in temporary files: in a folder of their own, removed whatever happens.
    scratch = Path(tempfile.mkdtemp(dir=output.path.parent, prefix=".scratch-"))
    try:
        return write_workbook(output, column_spec, lines, progress, created=created, scratch=scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def write_workbook(output, column_spec, lines, progress, *, created, scratch):
    workbook = xlsxwriter.Workbook(str(output.path), {
        "constant_memory": True, "tmpdir": str(scratch),
        "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False})
    workbook.set_properties({"created": created, "title": "Chorus finance export"})
    bold = workbook.add_format({"bold": True})
    amounts = {places: workbook.add_format({"num_format": "0" if places == 0 else "0." + "0" * places})
               for places in (0, 1, 2, 3)}
    shares = workbook.add_format({"num_format": "0.00000000"})
    header = columns.header(column_spec)
    kinds = [kind for _name, kind in column_spec]

    def new_sheet(number):
        sheet = workbook.add_worksheet("Rows" if number == 1 else f"Rows {number}")
        sheet.write_row(0, 0, header, bold)
        sheet.freeze_panes(1, 0)
        return sheet

    sheet, sheets, line = new_sheet(1), 1, 0
    rows = 0
    for rows, cells in enumerate(lines, start=1):  # noqa: B007 - rows is the count after the loop
        if line == XLSX_ROWS_PER_SHEET:
            sheets += 1
            sheet, line = new_sheet(sheets), 0
        line += 1
        for column, (cell, kind) in enumerate(zip(cells, kinds, strict=True)):
            if cell is None:
                continue
            if kind == columns.INTEGER:
                sheet.write_number(line, column, int(cell))
            elif kind == columns.AMOUNT:
                places = len(cell) - cell.index(".") - 1 if "." in cell else 0
                sheet.write_number(line, column, float(cell), amounts[places])
            elif kind == columns.SHARE:
                sheet.write_number(line, column, float(cell), shares)
            else:
                sheet.write_string(line, column, cell)
        if rows % PROGRESS_EVERY == 0:
            progress.written(rows)
    workbook.close()
    output.hash_written_file()
    return rows


# --- one export's file ------------------------------------------------------------------------------


@dataclass
class Content:
    """What one kind of export writes: its columns, its rows, how many to expect and its totals."""

    column_spec: tuple
    lines: object  # () -> iterator of cell lists
    count: object  # () -> int
    totals: object  # () -> dict, called after the rows were written
    copy_statement: object = None  # (connection) -> (sql, params), when PostgreSQL can write the CSV itself
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Written:
    output: Output
    expected: int
    rows: int
    totals: dict

    @property
    def sha256(self):
        return self.output.digest.hexdigest()


def write_file(*, export_id, content, file_format, final_name, created):
    """Write the rows of `content` to a temporary file next to `final_name`; the caller moves it into place."""
    output = Output(exports_root(), final_name)
    # Inside a transaction (tests) a second connection would not see the export row: progress goes there too.
    separate = not connection.in_atomic_block
    try:
        with consistent_reads():
            progress = Progress(export_id, separate_connection=separate)
            try:
                expected = content.count()
                progress.expected(expected)
                if file_format == "xlsx":
                    rows = write_xlsx(output, content.column_spec, content.lines(), progress, created=created)
                elif content.copy_statement is not None and connection.vendor == "postgresql":
                    rows = write_csv_copy(output, content.column_spec, content.copy_statement(connection), progress)
                else:
                    rows = write_csv_lines(output, content.column_spec, content.lines(), progress)
                totals = content.totals()
                progress.update(rows_written=rows)
            finally:
                progress.close()
        output.close()
    except BaseException:
        output.discard()
        raise
    return Written(output=output, expected=expected, rows=rows, totals=totals)


def remove_orphans(*, older_than_seconds):
    """Delete `.part` files and XLSX scratch folders left by workers killed mid-export (older than any running
    export could be)."""
    root = exports_root()
    if not root.exists():
        return 0
    removed = 0
    limit = time.time() - older_than_seconds
    for path in [*root.glob(".*.part"), *root.glob(".scratch-*")]:
        if path.stat().st_mtime < limit:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed += 1
    return removed
