"""The shop's Toss Payments integration (widget SDK v1 and v2 over one REST API): client (HTTP), verify (pure
checks), flow (what the shop does with Toss's answer), views (routes)."""
from ..providers import Provider

PROVIDER = Provider(
    id="toss", title="Toss Payments", company="Toss Payments",
    live_api="https://api.tosspayments.com", live_sdk="https://js.tosspayments.com/v1/payment-widget",
    live_hosts=("https://js.tosspayments.com", "https://api.tosspayments.com", "https://*.tosspayments.com"),
    live_keys=("TOSS_CLIENT_KEY", "TOSS_SECRET_KEY"),
    # The public docs pair: anyone may use it.
    emulator_keys={"TOSS_CLIENT_KEY": "test_gck_docs_Ovk5rk1EwkEbP0W43n07xlzm",
                   "TOSS_SECRET_KEY": "test_gsk_docs_OaPz8L5KdmQXkzRz3y47BMw6"},
    secret_keys=("TOSS_SECRET_KEY",),
    emulator_path="/toss", docs="https://docs.tosspayments.com/reference",
)
