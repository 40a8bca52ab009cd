"""The shop's Toss Payments integration (widget SDK v1 and v2 over one REST API): client (HTTP), verify (pure
checks), flow (what the shop does with Toss's answer), views (routes)."""
from ..providers import Provider

PROVIDER = Provider(
    id="toss", title="Toss Payments", company="Toss Payments",
    live_api="https://api.tosspayments.com", live_sdk="https://js.tosspayments.com/v1/payment-widget",
    live_hosts=("https://js.tosspayments.com", "https://api.tosspayments.com", "https://*.tosspayments.com"),
    live_keys=("TOSS_CLIENT_KEY", "TOSS_SECRET_KEY"),
    # The public docs pairs: anyone may use them. Widget keys (gck/gsk) for the payment widget (SDK v1 and
    # v2 widgets()); API individual keys (ck/sk) for the v2 payment window (payment()) and billing. In live
    # mode the API pair is optional: without it the page offers only the widget.
    emulator_keys={"TOSS_CLIENT_KEY": "test_gck_docs_Ovk5rk1EwkEbP0W43n07xlzm",
                   "TOSS_SECRET_KEY": "test_gsk_docs_OaPz8L5KdmQXkzRz3y47BMw6",
                   "TOSS_API_CLIENT_KEY": "test_ck_D5GePWvyJnrK0W0k6q8gLzN97Eoq",
                   "TOSS_API_SECRET_KEY": "test_sk_zXLkKEypNArWmo50nX3lmeaxYG5R"},
    secret_keys=("TOSS_SECRET_KEY", "TOSS_API_SECRET_KEY"),
    emulator_path="/toss", docs="https://docs.tosspayments.com/reference",
    # The browser SDKs an order may use (orders.sdk); the first is the default. billing-auth and billing are
    # the subscription page's card registrations and charges (server-side, API keys).
    extra={"sdks": ("v1", "v2", "v2-payment"), "live_sdk_v2": "https://js.tosspayments.com/v2/standard"},
)
