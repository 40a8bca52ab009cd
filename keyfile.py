"""Session keys kept in the instance folder, shared by the shop and the emulator: every worker process signs alike."""
import os
import secrets


def instance_secret(path):
    """The key in the file at path, made on first use. Written whole to a private file, then linked into place:
    racing workers all read one key."""
    if not os.path.exists(path):
        tmp = f"{path}.{os.getpid()}.{secrets.token_hex(4)}"
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
            f.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    with open(path) as f:
        return f.read().strip()
