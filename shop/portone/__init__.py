"""The shop's PortOne V1 (I'mport) integration: client (HTTP), verify (pure checks), flow (what the shop
does with PortOne's answer), views (routes)."""
from ..providers import Provider

PROVIDER = Provider(
    id="portone", title="PortOne V1", company="PortOne",
    live_api="https://api.iamport.kr", live_sdk="https://cdn.iamport.kr/v1/iamport.js",
    live_hosts=("https://cdn.iamport.kr", "https://api.iamport.kr", "https://*.iamport.kr", "https://*.iamport.co"),
    live_keys=("PORTONE_IMP_CODE", "PORTONE_IMP_KEY", "PORTONE_IMP_SECRET"),
    # The emulator's own test merchant.
    emulator_keys={"PORTONE_IMP_CODE": "imp00000000", "PORTONE_IMP_KEY": "emulator_imp_key",
                   "PORTONE_IMP_SECRET": "emulator_imp_secret_0000000000000000000000000000000000000000"},
    secret_keys=("PORTONE_IMP_KEY", "PORTONE_IMP_SECRET"),
    emulator_path="/portone", docs="https://developers.portone.io/api/rest-v1/",
)
