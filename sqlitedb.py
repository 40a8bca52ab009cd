"""SQLite plumbing shared by the shop's and the emulator's databases (each its own file)."""
import sqlite3
import threading
import time

# path -> the connections this process keeps: idle ones for requests to borrow (a request no
# longer opens a connection and sets its PRAGMAs: that was half the emulator's own time), plus one
# held open for good: while any connection to a WAL database stays open, closing one neither
# checkpoints nor deletes the WAL. A few files at most (tests make many).
_files = {}
_lock = threading.Lock()
KEEP_OPEN = 8     # database files per process
POOL_MAX = 64     # idle connections kept per file (one per thread or greenlet in flight at once)


class _File:
    def __init__(self, keeper):
        self.keeper = keeper
        self.idle = []

    def close(self):
        for conn in [self.keeper, *self.idle]:
            conn.close()
        self.idle = []


class Connection(sqlite3.Connection):
    """A connection that knows its file (for the file's writer lock)."""
    path = None


_writers = {}   # path -> this process's lock for write transactions on that file


def connect(path):
    """A connection tuned for many short writers: WAL, busy timeout, autocommit, Row rows."""
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False, factory=Connection)
    conn.path = path
    conn.row_factory = sqlite3.Row
    for attempt in range(100):
        try:  # a new file's switch to WAL ignores the busy timeout when processes race for it
            conn.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError:
            if attempt == 99:
                raise
            time.sleep(0.02)
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def ensure_schema(path, schema_files):
    """Run the schema files (CREATE ... IF NOT EXISTS) once per process per database file."""
    with _lock:
        if path in _files:
            return
        conn = connect(path)
        for name in schema_files:
            with open(name) as f:
                script = f.read()
            _add_new_columns(conn, script)   # first: the script's new indexes may use new columns
            conn.executescript(script)
        _files[path] = _File(conn)
        while len(_files) > KEEP_OPEN:
            _files.pop(next(iter(_files))).close()


def _add_new_columns(conn, script):
    """Give a database file made by an older schema the columns added since (CREATE TABLE IF NOT EXISTS
    leaves an existing table as it was): each new column is added with its declared type and default."""
    fresh = sqlite3.connect(":memory:")
    fresh.executescript(script)
    for (table,) in fresh.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"):
        have = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        if not have:
            continue                      # a new table: the script creates it
        for _cid, name, kind, notnull, default, _pk in fresh.execute(f"PRAGMA table_info({table})"):
            if name in have:
                continue
            declared = f"{kind}{' NOT NULL' if notnull else ''}{f' DEFAULT {default}' if default is not None else ''}"
            try:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {declared}")
            except sqlite3.OperationalError:   # another process added it meanwhile
                pass
    fresh.close()


def borrow(path, schema_files):
    """A connection to path for one request or task, from this process's idle ones when it has one."""
    ensure_schema(path, schema_files)
    with _lock:
        kept = _files.get(path)
        if kept is not None and kept.idle:
            return kept.idle.pop()
    return connect(path)


def give_back(path, conn):
    """Return a borrowed connection: any transaction left open is rolled back, then it is kept idle."""
    try:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
    except sqlite3.Error:
        conn.close()
        return
    with _lock:
        kept = _files.get(path)
        if kept is not None and len(kept.idle) < POOL_MAX:
            kept.idle.append(conn)
            return
    conn.close()


class transaction:
    """`with transaction(conn) as db:` runs the block in one IMMEDIATE (write-locked) transaction.

    Inside another transaction on the same connection the block is a savepoint instead: its writes
    are committed with the outer transaction, and an exception undoes only the block's own writes.

    Writers of one process queue on a lock of the file before SQLite's own: SQLite waits for a busy
    lock by sleeping in C, which under a gevent worker would block every greenlet of the process,
    the one holding the lock included; a Python lock lets the others wait cooperatively.
    """

    def __init__(self, conn):
        self.conn = conn
        self.nested = False
        self.lock = None

    def __enter__(self):
        self.nested = self.conn.in_transaction
        if self.nested:
            self.conn.execute("SAVEPOINT nested")
            return self.conn
        self.lock = _writer(getattr(self.conn, "path", None))
        self.lock.acquire()
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except BaseException:
            self.lock.release()
            raise
        return self.conn

    def __exit__(self, exc_type, *_):
        if self.nested:
            if exc_type:
                self.conn.execute("ROLLBACK TO nested")
            self.conn.execute("RELEASE nested")
            return False
        try:
            self.conn.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self.lock.release()
        return False


def _writer(path):
    with _lock:
        return _writers.setdefault(path, threading.RLock())
