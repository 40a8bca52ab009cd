"""Reading what the emulator did on its own (webhook deliveries), and waiting for it."""
import re
import time


def deliveries(site, payment_ref):
    """The emulator's kept webhook deliveries for one payment, oldest first, as dicts."""
    from emulator import webhooks
    with site.emulator.app_context():
        return [dict(d) for d in webhooks.for_payment(payment_ref)]


def console_token(page_html):
    """The CSRF token a console page carries (its forms send it as csrf_token)."""
    return re.search(r'name="csrf-token" content="([^"]+)"', page_html).group(1)


def until(predicate, timeout=15.0):
    """Wait for something the emulator does in the background; True once predicate() holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()
