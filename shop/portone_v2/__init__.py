"""The shop's PortOne V2 integration: client (HTTP), verify (pure checks), flow (what the shop does with
PortOne's answer), views (routes, signed webhooks)."""
from ..providers import Provider

PROVIDER = Provider(
    id="portone_v2", title="PortOne V2", company="PortOne",
    live_api="https://api.portone.io", live_sdk="https://cdn.portone.io/v2/browser-sdk.js",
    # The SDK also calls PortOne's older domains (checkout-service.prod.iamport.co, service.iamport.kr).
    live_hosts=("https://cdn.portone.io", "https://api.portone.io", "https://*.portone.io", "https://*.iamport.co",
                "https://*.iamport.kr"),
    live_keys=("PORTONE_V2_STORE_ID", "PORTONE_V2_CHANNEL_KEY", "PORTONE_V2_API_SECRET",
               "PORTONE_V2_WEBHOOK_SECRET"),
    # The emulator's own store, its TEST channel and its secrets (public: they only open the emulator).
    emulator_keys={"PORTONE_V2_STORE_ID": "store-00000000-0000-4000-8000-000000000000",
                   "PORTONE_V2_CHANNEL_KEY": "channel-key-test-00000000-0000-4000-8000-000000000000",
                   "PORTONE_V2_API_SECRET":
                       "emulator_v2_api_secret_000000000000000000000000000000000000000000000000",
                   "PORTONE_V2_WEBHOOK_SECRET": "whsec_ZW11bGF0b3ItdjItd2ViaG9vay1zZWNyZXQtMDAwMDAwMDA="},
    secret_keys=("PORTONE_V2_API_SECRET", "PORTONE_V2_WEBHOOK_SECRET", "PORTONE_V2_WEBHOOK_SECRET_2"),
    emulator_path="/portone-v2", docs="https://developers.portone.io/api/rest-v2",
    # Optional settings (any mode): a second webhook secret while rotating; in emulator mode, which of the
    # emulator's channels is the shop's own ("live" makes the live-channel check testable).
    extra={"settings": {"PORTONE_V2_WEBHOOK_SECRET_2": "", "PORTONE_V2_EMULATOR_CHANNEL": "test"},
           "emulator_live_channel": "channel-key-live-00000000-0000-4000-8000-000000000000"},
)
