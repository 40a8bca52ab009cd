"""SQLite plumbing shared by the shop's and the emulator's databases (each its own file)."""
import sqlite3
import threading
import time

# path -> a connection this process keeps open. While any connection to a WAL database stays
# open, closing a request's connection neither checkpoints nor deletes the WAL, which otherwise
# costs each request 1-4 ms (and the next one a fresh WAL). A few files at most (tests make many).
_ready = {}
_ready_lock = threading.Lock()
KEEP_OPEN = 8


def connect(path):
    """A connection tuned for many short writers: WAL, busy timeout, autocommit, Row rows."""
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
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
    with _ready_lock:
        if path in _ready:
            return
        conn = connect(path)
        for name in schema_files:
            with open(name) as f:
                conn.executescript(f.read())
        _ready[path] = conn
        while len(_ready) > KEEP_OPEN:
            _ready.pop(next(iter(_ready))).close()


class transaction:
    """`with transaction(conn) as db:` runs the block in one IMMEDIATE (write-locked) transaction.

    Inside another transaction on the same connection the block is a savepoint instead: its writes
    are committed with the outer transaction, and an exception undoes only the block's own writes.
    """

    def __init__(self, conn):
        self.conn = conn
        self.nested = False

    def __enter__(self):
        self.nested = self.conn.in_transaction
        self.conn.execute("SAVEPOINT nested" if self.nested else "BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, *_):
        if self.nested:
            if exc_type:
                self.conn.execute("ROLLBACK TO nested")
            self.conn.execute("RELEASE nested")
        else:
            self.conn.execute("ROLLBACK" if exc_type else "COMMIT")
        return False
