"""Plain words for the step log: phase and actor names, one line per step, the PG's doc page, PG differences."""
import re

from flask_babel import gettext, lazy_gettext as _l

import i18n

from shop import providers

PHASE_TITLES = {
    "order": _l("Order"),
    "checkout": _l("Checkout"),
    "authenticate": _l("Authenticate"),
    "return": _l("Return"),
    "server_auth": _l("Server auth"),
    "approve": _l("Approve / read"),
    "verify": _l("Verify"),
    "notify": _l("Notify"),
    "settle": _l("Settle"),
}

PHASE_HINTS = {
    "order": _l("The shop stores what it expects"),
    "checkout": _l("The browser asks the PG's SDK to pay"),
    "authenticate": _l("The buyer approves in the PG's window"),
    "return": _l("The PG hands control back"),
    "server_auth": _l("The shop's server proves who it is to the PG"),
    "approve": _l("The payment is confirmed or read back on the server"),
    "verify": _l("The shop's checks"),
    "notify": _l("Webhooks"),
    "settle": _l("The final state, cancels and refunds"),
}

ACTOR_NAMES = {
    "browser": _l("Browser"),
    "shop": _l("Shop server"),
}

# What differs between Toss SDK v1 and v2 in each phase (the compare page's line for two Toss flows, and the
# walkthrough's v2 path).
TOSS_SDK_DIFFERENCES = {
    "order": _l("Both SDKs: the server prices and stores the order first; v2 orders also remember which key pair "
                "the page used (widget keys for widgets(), API keys for payment())."),
    "checkout": _l("v1: PaymentWidget(clientKey, customerKey) and renderPaymentMethods(selector, amount), coupons "
                   "through updateAmount; v2: TossPayments(clientKey).widgets({customerKey}) and setAmount({currency, "
                   "value}) before rendering and after each coupon, or payment().requestPayment with the amount."),
    "authenticate": _l("Both SDKs open the same Toss window; v2's payment() opens it without the widget."),
    "return": _l("Both SDKs: successUrl?paymentType&orderId&paymentKey&amount or failUrl?code&message; without the "
                 "URLs, v2 resolves its promise with amount as {currency, value}."),
    "server_auth": _l("v1 and v2 widgets: the widget secret key (test_gsk_); v2's payment window and billing: the API "
                      "secret key (test_sk_). Toss refuses the other family's secret."),
    "approve": _l("Both SDKs: the same POST /v1/payments/confirm, with the secret key of the pair that opened the "
                  "payment."),
    "verify": _l("The same checks for every SDK: the redirect's amount before confirm, Toss's answer after it."),
    "notify": _l("The same webhooks for every SDK (a billing charge sends none)."),
    "settle": _l("The same settling and cancels; a cancel uses the secret key of the payment's pair."),
}

# What differs between the two PGs in each phase (the compare page's middle line).
DIFFERENCES = {
    "order": _l("Both: the server prices the order and stores it before the SDK is called; "
                "PortOne calls the order id merchant_uid, Toss calls it orderId."),
    "checkout": _l("PortOne: IMP.request_pay(params, callback) with merchant_uid and amount; "
                   "Toss: the payment widget's requestPayment({orderId, orderName, successUrl, failUrl}), "
                   "the amount set by renderPaymentMethods/updateAmount."),
    "authenticate": _l("Both: the buyer approves in the PG's own window; the shop's page sees nothing "
                       "of the card."),
    "return": _l("PortOne: the callback gets rsp (imp_uid, merchant_uid) or the page is sent to "
                 "m_redirect_url; Toss: the browser is redirected to successUrl?paymentKey&orderId&amount "
                 "or failUrl?code&message."),
    "server_auth": _l("PortOne: access token from /users/getToken, reused for 30 minutes; "
                      "Toss: Basic auth with the secret key on every call."),
    "approve": _l("PortOne: the server reads the payment back (GET /payments/{imp_uid}); "
                  "Toss: the server must confirm it (POST /v1/payments/confirm) within 10 minutes."),
    "verify": _l("PortOne: compare the stored amount with the amount read back, then the status; "
                 "Toss: the PG refuses a wrong amount at confirm, and the shop still checks the answer."),
    "notify": _l("PortOne: webhook with imp_uid only, re-read it; Toss: PAYMENT_STATUS_CHANGED "
                 "(re-read it) / DEPOSIT_CALLBACK with the payment's secret."),
    "settle": _l("PortOne: POST /payments/cancel with imp_uid; Toss: POST /v1/payments/{paymentKey}/cancel "
                 "with a cancelReason and an Idempotency-Key."),
}

# What differs between PortOne V1 and V2 in each phase (the compare page's middle line for a V1 and a V2 flow).
DIFFERENCES_V1_V2 = {
    "order": _l("V1: the order id is the merchant_uid and PortOne makes its own imp_uid per attempt; V2: the "
                "order id is the paymentId itself, tried many times but paid once."),
    "checkout": _l("V1: IMP.init(merchant code) + IMP.request_pay(params, callback); V2: "
                   "PortOne.requestPayment({storeId, channelKey, paymentId, totalAmount, ...}) returns a Promise."),
    "authenticate": _l("Both: the buyer approves in the PG's window; the money has moved once it closes."),
    "return": _l("V1: the callback's rsp (imp_uid) or m_redirect_url; V2: the Promise resolves with paymentId "
                 "(and code/message on a failure), or redirectUrl?paymentId&code&message."),
    "server_auth": _l("V1: an access token from POST /users/getToken (imp_key + imp_secret), cached; V2: the API "
                      "secret itself on every call (Authorization: PortOne <secret>)."),
    "approve": _l("V1: GET /payments/{imp_uid}; V2: GET /payments/{paymentId}, the shop's own id."),
    "verify": _l("Both: the amount, currency and status read back; V2 also checks that the payment went through "
                 "the shop's own channel (a TEST channel is refused when the shop's is LIVE)."),
    "notify": _l("V1: an unsigned webhook {imp_uid, status}: anyone can send one, so it is only a hint; V2: Standard "
                 "Webhooks signed with the webhook secret, refused when forged or older than 5 minutes."),
    "settle": _l("V1: POST /payments/cancel {imp_uid, checksum}; V2: POST /payments/{paymentId}/cancel "
                 "{currentCancellableAmount} (a virtual account needs refundAccount)."),
}


# One plain line per step, keyed by step name prefix (the longest matching key wins).
EXPLANATIONS = {
    # Steps every provider records (shop/settle.py, the order and reconcile code): '*.' stands for any provider.
    "*.create_order": _l("The browser asks the shop for an order; any amount it sends is ignored."),
    "*.price_order": _l("The server computes the amount from the catalogue and the coupons and stores "
                        "it before any PG call."),
    "*.reconcile": _l("Reconcile asks the PG about the order instead of guessing, whatever its status."),
    "*.status": _l("The order's status changes in one atomic update: exactly one caller wins."),
    "*.status_unchanged": _l("Someone else changed the order first; this request leaves it as it is."),
    "*.nothing_yet": _l("The PG has not finished the payment: nothing to settle yet."),
    "*.not_ours": _l("The PG's record is not this order's: nothing changes."),
    "*.already_settled": _l("Another request (webhook or page) settled the order first: exactly one status "
                            "change, the others change nothing."),
    "*.refuse_payment": _l("A payment the order does not keep (a second one, a late one, one that did not "
                           "match) is cancelled at the PG: the shop never keeps money it did not sell for."),
    "*.cancel_pending": _l("The cancel did not go through yet: it is kept, and reconcile tries again."),
    "*.cancelled": _l("The PG shows the payment cancelled: it holds no money for it."),
    "*.cancel_needs_account": _l("A virtual account already paid into can only be refunded to the buyer's bank "
                                 "account: a person must do it in the PG's console."),
    "*.nothing_held": _l("The PG holds no money for this payment: nothing to cancel."),
    "*.declined_ignored": _l("A failed attempt does not undo a settled order."),
    "portone.request_pay": _l("The page calls IMP.request_pay with the stored merchant_uid and amount; "
                              "the PG window opens."),
    "portone.sdk": _l("The page talks to PortOne's browser SDK."),
    "portone.window": _l("The buyer decides in PortOne's payment window."),
    "portone.callback": _l("The SDK's callback hands the page an rsp; the page forwards imp_uid and "
                           "merchant_uid to the server, which trusts none of it."),
    "portone.redirect": _l("PortOne sent the buyer back to m_redirect_url with imp_uid and merchant_uid "
                           "in the query; nothing in it is trusted."),
    "portone.complete": _l("The shop received imp_uid and merchant_uid and starts checking with PortOne."),
    "portone.get_token": _l("The server trades its REST API key and secret for an access token "
                            "(valid 30 minutes, reused until then)."),
    "portone.token": _l("The server uses its cached access token, or asks for a new one."),
    "portone.get_payment": _l("The server reads the payment back from PortOne by imp_uid: the only "
                              "source it trusts for amount and status."),
    "portone.find_payment": _l("The server looks the payment up by merchant_uid (when the imp_uid is "
                               "unknown or an answer was lost)."),
    "portone.prepare": _l("The server pre-registers the expected amount, so PortOne refuses a different "
                          "one."),
    "portone.cancel": _l("The server asks PortOne to cancel (refund) the payment."),
    "portone.webhook": _l("PortOne's webhook only says that something changed; the shop reads the "
                          "payment again before acting."),
    "portone.verify": _l("The shop compares what PortOne says with what it stored."),
    "portone.check": _l("The shop compares what PortOne says with what it stored."),
    "portone.check_amount": _l("The amount PortOne says was paid must equal the amount the shop stored; "
                               "a difference means a tampered browser: a forgery."),
    "portone.check_merchant_uid": _l("The payment read from PortOne must belong to this order (merchant_uid), "
                                     "not to another one."),
    "portone.check_status": _l("PortOne must say paid (or a virtual account issued) before the shop keeps "
                               "the order."),
    "portone.check_currency": _l("The payment must be in won (KRW)."),
    "portone.browser_error": _l("The payment window reported an error: no money moved, nothing to read back."),
    "portone.refused": _l("The shop refuses to act on what it was given; the order does not change."),
    "portone.unknown": _l("No usable answer from PortOne: the outcome is unknown, so the shop will ask again "
                          "instead of guessing."),
    "portone.still_unknown": _l("PortOne still gives no answer: the order stays open until it does."),
    "portone_v2.request_payment": _l("The page calls PortOne.requestPayment with the store, the shop's channel, "
                                     "the order id as paymentId and the stored amount; the PG window opens."),
    "portone_v2.response": _l("requestPayment's Promise resolved; the page sends only the paymentId (and a "
                              "failure's code) to the server, which trusts none of it."),
    "portone_v2.complete": _l("The shop received the paymentId and reads the payment back from PortOne."),
    "portone_v2.redirect": _l("PortOne sent the buyer back to the redirectUrl with paymentId (and code and message "
                              "on a failure); nothing in the query is trusted."),
    "portone_v2.browser_error": _l("requestPayment reported a failure; the shop still asks PortOne what happened."),
    "portone_v2.pre_register": _l("The server pre-registers the amount for this paymentId, so PortOne refuses a "
                                  "requestPayment with any other."),
    "portone_v2.auth": _l("No token to fetch: every call to PortOne V2 carries the API secret "
                          "(Authorization: PortOne <secret>), from the server only."),
    "portone_v2.get_payment": _l("The server reads the payment back by paymentId, with its API secret (no token "
                                 "exchange): the only source it trusts for amount, status and channel."),
    "portone_v2.cancel": _l("The server asks PortOne to cancel the payment in full, stating the amount it "
                            "believes is still cancellable (currentCancellableAmount)."),
    "portone_v2.webhook": _l("A webhook whose Standard Webhooks signature and timestamp were checked; it only "
                             "names the payment, which the shop reads again before acting."),
    "portone_v2.webhook_refused": _l("A webhook with a wrong signature or a timestamp more than 5 minutes off was "
                                     "refused with 401: forged or replayed, it changes nothing."),
    "portone_v2.webhook_retry": _l("PortOne could not be asked about the webhook: answered 503 so it is sent "
                                   "again."),
    "portone_v2.check_payment_id": _l("The payment read back must be this order's (paymentId = order id)."),
    "portone_v2.check_status": _l("PortOne must say PAID (or VIRTUAL_ACCOUNT_ISSUED) before the shop keeps the "
                                  "order."),
    "portone_v2.check_amount": _l("amount.total must equal the amount the shop stored; a difference means a "
                                  "tampered browser."),
    "portone_v2.check_currency": _l("The payment must be in won (KRW)."),
    "portone_v2.check_channel": _l("The payment must have gone through the shop's own channel: a payment on a "
                                   "TEST channel is no money when the shop's channel is LIVE."),
    "portone_v2.no_payment": _l("PortOne has no payment with this paymentId: nothing was paid."),
    "portone_v2.payment_not_found": _l("PortOne has no payment with this paymentId: nothing changes."),
    "portone_v2.refused": _l("The shop refuses to act on what it was given; the order does not change."),
    "portone_v2.unknown": _l("No usable answer from PortOne: the outcome is unknown, so the shop will ask again "
                             "instead of guessing."),
    "toss.check_amount": _l("The amount in the success redirect must equal the amount the shop stored; "
                            "otherwise the shop does not confirm."),
    "toss.check_total_amount": _l("Toss's totalAmount must equal the amount the shop stored."),
    "toss.check_order": _l("The orderId in the redirect must be an order this shop created, still open."),
    "toss.check_order_id": _l("Toss's record must carry this order's orderId."),
    "toss.check_payment_key": _l("The paymentKey must be well formed, and Toss's answer must be about that "
                                 "same paymentKey."),
    "toss.check_status": _l("Toss must say DONE (or WAITING_FOR_DEPOSIT for a virtual account)."),
    "toss.check_method": _l("The payment method Toss reports must fit the status (a virtual account "
                            "waits for a deposit, anything else is DONE)."),
    "toss.check_deposit_secret": _l("A DEPOSIT_CALLBACK is trusted only when its secret equals the one "
                                    "saved from the confirm answer."),
    "toss.check_not_settled": _l("An order that is already settled is not confirmed twice."),
    "toss.check_not_paid": _l("After a failUrl redirect the shop asks Toss whether anything was charged."),
    "toss.check_checkout_url": _l("Toss must return a checkout page to send the buyer to."),
    "toss.open_checkout": _l("The buyer is sent to the checkout URL of the payment the server created."),
    "toss.not_confirmed": _l("A check failed, so the shop does not call confirm: no money moves."),
    "toss.confirm_retry": _l("Toss has not finished yet: the shop confirms again with the same "
                             "Idempotency-Key, which cannot charge twice."),
    "toss.fail_unconfirmed": _l("The shop could not ask Toss about the failure: the order stays open."),
    "toss.webhook_ignored": _l("A webhook event the shop does not act on: acknowledged with 200."),
    "toss.webhook_unverified": _l("The webhook named a payment Toss could not show: nothing changes."),
    "toss.deposit_too_early": _l("The deposit notice came before the shop saved the payment's secret: "
                                 "answered non-200 so Toss sends it again."),
    "toss.auth": _l("No token to fetch: every call to Toss carries Basic base64(secret key + ':')."),
    "toss.start_registration": _l("The buyer asks the shop to register a card for automatic payments; the shop "
                                  "opens a registration flow for this session's customerKey."),
    "toss.billing_auth": _l("The page calls payment().requestBillingAuth with the API client key: Toss's card "
                            "registration window opens."),
    "toss.billing_redirect": _l("Toss sent the buyer back with customerKey and authKey; the shop checks the "
                                "customerKey is this buyer's before using the authKey."),
    "toss.billing_fail": _l("The card registration failed or was cancelled in Toss's window: no billing key."),
    "toss.check_registration_open": _l("A registration is used once: only an open one may issue a billing key."),
    "toss.check_customer_key": _l("The customerKey in the return address must be this session's: another "
                                  "buyer's authKey is never exchanged."),
    "toss.check_auth_key": _l("Without an authKey there is nothing to exchange for a billing key."),
    "toss.check_billing_customer": _l("The billing key Toss issued must belong to this buyer's customerKey."),
    "toss.issue_billing_key": _l("The server exchanges the authKey for a billing key (API secret key); the key "
                                 "is a secret, redacted in the log."),
    "toss.store_billing_key": _l("The billing key is kept on the server only, found by the session's customer; "
                                 "it is never sent to a browser."),
    "toss.charge_billing": _l("The server charges the registered card (POST /v1/billing/{billingKey}) with an "
                              "Idempotency-Key: no buyer, no window, DONE at once."),
    "toss.charge_refused": _l("Toss refused the charge (for example a declined card): the order fails, nothing "
                              "was charged."),
    "toss.cancel_request": _l("The buyer asked to cancel a paid charge; the shop cancels it at Toss."),
    "toss.cancel_failed": _l("Toss did not cancel the charge: the order stays as it was."),
    "portone.billing_callback": _l("The page posts the registration window's callback; the shop asks PortOne for "
                                   "the billing key under the customer_uid it chose itself."),
    "portone.get_billing_key": _l("The server asks PortOne for the billing key kept under customer_uid (GET "
                                  "/subscribe/customers/{customer_uid})."),
    "portone.check_billing_key": _l("PortOne must keep a billing key under this registration's customer_uid."),
    "portone.store_billing_key": _l("The shop keeps the customer_uid for this buyer; only the server charges with "
                                    "it, using its API credentials."),
    "portone.pay_again": _l("The server charges the registered card (POST /subscribe/payments/again): no window; "
                            "a decline is code 0 with status failed."),
    "portone.registration_webhook": _l("The webhook of a card registration's 0-won payment: nothing to settle."),
    "toss.show_settled": _l("The order was already settled: the result is shown again, nothing is "
                            "confirmed twice."),
    "shop.order_result": _l("The buyer sees the result page, which shows what the server decided."),
    "toss.widget": _l("The page renders Toss's payment widget for the stored amount."),
    "toss.request_payment": _l("The page calls requestPayment with the stored orderId; the Toss window "
                               "opens."),
    "toss.sdk": _l("The page talks to Toss's browser SDK."),
    "toss.window": _l("The buyer decides in Toss's payment window."),
    "toss.rejection": _l("The SDK's promise was rejected (closed window or a client error): no redirect "
                         "follows, no money moved."),
    "toss.success": _l("Toss redirected the buyer to successUrl with paymentKey, orderId and amount; "
                       "nothing is paid until the server confirms."),
    "toss.fail": _l("Toss redirected the buyer to failUrl with an error code and message: no money moved."),
    "toss.create_payment": _l("The server creates the payment (POST /v1/payments) and sends the buyer to "
                              "its checkout URL."),
    "toss.confirm": _l("The server confirms the payment with its secret key (Basic auth); only this "
                       "moves the money, and it must happen within 10 minutes."),
    "toss.get_payment": _l("The server reads the payment from Toss by paymentKey or orderId."),
    "toss.find_payment": _l("The server reads the payment from Toss by orderId."),
    "toss.cancel": _l("The server asks Toss to cancel (refund) the payment, with an Idempotency-Key."),
    "toss.webhook": _l("Toss's webhook: PAYMENT_STATUS_CHANGED is re-read from the API, DEPOSIT_CALLBACK "
                       "is checked against the payment's secret."),
    "toss.deposit": _l("A virtual-account deposit notice; its secret must equal the one saved at confirm."),
    "toss.verify": _l("The shop compares what Toss says with what it stored."),
    "toss.check": _l("The shop compares what Toss says with what it stored."),
}

PORTONE_API = "https://developers.portone.io/api/rest-v1/"
PORTONE_V2_API = "https://developers.portone.io/api/rest-v2/payment?v=v2"
TOSS_REF = "https://docs.tosspayments.com/reference"

# The PG's own page for an outbound call, by the path it was sent to (whatever the step's name).
DOCS_BY_PATH = [
    ("portone", re.compile(r"/users/getToken$"), PORTONE_API + "auth?v=v1#post%20%2Fusers%2FgetToken"),
    ("portone", re.compile(r"/subscribe/payments/again$"),
     PORTONE_API + "subscribe?v=v1#post%20%2Fsubscribe%2Fpayments%2Fagain"),
    ("portone", re.compile(r"/subscribe/customers/[^/]+$"),
     PORTONE_API + "subscribe?v=v1#get%20%2Fsubscribe%2Fcustomers%2F%7Bcustomer_uid%7D"),
    ("portone", re.compile(r"/payments/prepare"), PORTONE_API + "payment?v=v1#post%20%2Fpayments%2Fprepare"),
    ("portone", re.compile(r"/payments/cancel$"), PORTONE_API + "payment?v=v1#post%20%2Fpayments%2Fcancel"),
    ("portone", re.compile(r"/payments/find/"),
     PORTONE_API + "payment?v=v1#get%20%2Fpayments%2Ffind%2F%7Bmerchant_uid%7D%2F%7Bpayment_status%7D"),
    ("portone", re.compile(r"/payments/[^/]+$"), PORTONE_API + "payment?v=v1#get%20%2Fpayments%2F%7Bimp_uid%7D"),
    ("portone_v2", re.compile(r"/payments/[^/]+/pre-register$"),
     PORTONE_V2_API + "#post%20%2Fpayments%2F%7BpaymentId%7D%2Fpre-register"),
    ("portone_v2", re.compile(r"/payments/[^/]+/cancel$"),
     PORTONE_V2_API + "#post%20%2Fpayments%2F%7BpaymentId%7D%2Fcancel"),
    ("portone_v2", re.compile(r"/payments/[^/]+$"), PORTONE_V2_API + "#get%20%2Fpayments%2F%7BpaymentId%7D"),
    ("toss", re.compile(r"/v1/billing/authorizations/issue$"), TOSS_REF + "#authkey로-카드-빌링키-발급"),
    ("toss", re.compile(r"/v1/billing/[^/]+$"), TOSS_REF + "#카드-자동결제-승인"),
    ("toss", re.compile(r"/v1/payments/confirm$"), TOSS_REF + "#결제-승인"),
    ("toss", re.compile(r"/v1/payments/orders/[^/]+$"), TOSS_REF + "#orderid로-결제-조회"),
    ("toss", re.compile(r"/v1/payments/[^/]+/cancel$"), TOSS_REF + "#결제-취소"),
    ("toss", re.compile(r"/v1/payments/[^/]+$"), TOSS_REF + "#paymentkey로-결제-조회"),
    ("toss", re.compile(r"/v1/payments$"), TOSS_REF),
]

# The PG's own page for a step, by step name prefix (longest key wins).
DOCS_BY_NAME = {
    "portone.get_token": PORTONE_API + "auth?v=v1#post%20%2Fusers%2FgetToken",
    "portone.token": PORTONE_API + "auth?v=v1#post%20%2Fusers%2FgetToken",
    "portone.get_payment": PORTONE_API + "payment?v=v1#get%20%2Fpayments%2F%7Bimp_uid%7D",
    "portone.find_payment":
        PORTONE_API + "payment?v=v1#get%20%2Fpayments%2Ffind%2F%7Bmerchant_uid%7D%2F%7Bpayment_status%7D",
    "portone.prepare": PORTONE_API + "payment?v=v1#post%20%2Fpayments%2Fprepare",
    "portone.cancel": PORTONE_API + "payment?v=v1#post%20%2Fpayments%2Fcancel",
    "portone.get_billing_key": PORTONE_API + "subscribe?v=v1#get%20%2Fsubscribe%2Fcustomers%2F%7Bcustomer_uid%7D",
    "portone.pay_again": PORTONE_API + "subscribe?v=v1#post%20%2Fsubscribe%2Fpayments%2Fagain",
    "portone.check_billing_key": PORTONE_API + "subscribe?v=v1#get%20%2Fsubscribe%2Fcustomers%2F%7Bcustomer_uid%7D",
    "portone.billing_callback": "https://developers.portone.io/opi/ko/extra/billing/readme-v1?v=v1",
    "portone": "https://developers.portone.io/opi/ko/integration/start/v1/auth?v=v1",
    "portone.request_pay": "https://developers.portone.io/sdk/ko/v1-sdk/javascript-sdk/payrq?v=v1",
    "portone.sdk": "https://developers.portone.io/sdk/ko/v1-sdk/javascript-sdk/payrq?v=v1",
    "portone.callback": "https://developers.portone.io/sdk/ko/v1-sdk/javascript-sdk/payrt?v=v1",
    "portone.redirect": "https://developers.portone.io/sdk/ko/v1-sdk/javascript-sdk/payrt?v=v1",
    "portone.webhook": "https://developers.portone.io/opi/ko/integration/webhook/readme-v1?v=v1",
    "portone_v2": "https://developers.portone.io/opi/ko/integration/start/v2/checkout?v=v2",
    "portone_v2.get_payment": PORTONE_V2_API + "#get%20%2Fpayments%2F%7BpaymentId%7D",
    "portone_v2.pre_register": PORTONE_V2_API + "#post%20%2Fpayments%2F%7BpaymentId%7D%2Fpre-register",
    "portone_v2.cancel": PORTONE_V2_API + "#post%20%2Fpayments%2F%7BpaymentId%7D%2Fcancel",
    "portone_v2.request_payment": "https://developers.portone.io/sdk/ko/v2-sdk/payment-request?v=v2",
    "portone_v2.response": "https://developers.portone.io/sdk/ko/v2-sdk/payment-response?v=v2",
    "portone_v2.redirect": "https://developers.portone.io/sdk/ko/v2-sdk/payment-response?v=v2",
    "portone_v2.webhook": "https://developers.portone.io/opi/ko/integration/webhook/readme-v2?v=v2",
    "toss": "https://docs.tosspayments.com/guides/payment-widget/integration",
    "toss.widget": "https://docs.tosspayments.com/reference/widget-sdk",
    "toss.sdk": "https://docs.tosspayments.com/reference/widget-sdk",
    "toss.request_payment": "https://docs.tosspayments.com/reference/widget-sdk#requestpayment결제-정보",
    "toss.rejection": "https://docs.tosspayments.com/reference/widget-sdk#requestpayment결제-정보",
    "toss.issue_billing_key": TOSS_REF + "#authkey로-카드-빌링키-발급",
    "toss.charge_billing": TOSS_REF + "#카드-자동결제-승인",
    "toss.charge_refused": TOSS_REF + "#카드-자동결제-승인",
    "toss.billing_auth": "https://docs.tosspayments.com/sdk/v2/js#paymentrequestbillingauth",
    "toss.store_billing_key": "https://docs.tosspayments.com/guides/v2/billing/integration",
    "toss.start_registration": "https://docs.tosspayments.com/guides/v2/billing/integration",
    "toss.billing_redirect": "https://docs.tosspayments.com/guides/v2/billing/integration",
    "toss.confirm": TOSS_REF + "#결제-승인",
    "toss.get_payment": TOSS_REF + "#paymentkey로-결제-조회",
    "toss.find_payment": TOSS_REF + "#orderid로-결제-조회",
    "toss.cancel": TOSS_REF + "#결제-취소",
    "toss.create_payment": TOSS_REF,
    "toss.auth": TOSS_REF + "/using-api/authorization",
    "toss.webhook": TOSS_REF + "/using-api/webhook-events",
    "toss.deposit": TOSS_REF + "/using-api/webhook-events",
    "toss.check_deposit_secret": TOSS_REF + "/using-api/webhook-events",
    "toss.open_checkout": TOSS_REF,
    "toss.success": "https://docs.tosspayments.com/guides/payment-widget/integration",
    "toss.fail": "https://docs.tosspayments.com/guides/payment-widget/integration",
    "toss.confirm_retry": TOSS_REF + "/using-api/authorization",
}

# A flow's verdict, derived from its order's status (the /flows filter).
VERDICT_STATUSES = {
    "ok": ("paid", "partially_refunded", "registered"),
    "rejected": ("failed", "forged", "cancelled", "expired"),
    "open": ("pending", "awaiting_deposit", "unknown"),
}
VERDICT_TITLES = {"ok": _l("Paid"), "rejected": _l("Not paid"), "open": _l("Open")}


def verdict_of(status):
    for verdict, statuses in VERDICT_STATUSES.items():
        if status in statuses:
            return verdict
    return "open"


def difference(phase, a, b):
    """The compare page's line for a phase of two orders' flows: PortOne V1 against V2, Toss SDK v1 against v2,
    PortOne V1 against Toss; any other pair (PortOne V2 against Toss) in each PG's own words of the phase."""
    pgs = {a["pg"], b["pg"]} if a is not None and b is not None else set()
    if pgs == {"portone", "portone_v2"}:
        return str(DIFFERENCES_V1_V2[phase])
    if pgs == {"toss"}:
        return str(TOSS_SDK_DIFFERENCES[phase])
    if len(pgs) < 2 or pgs == {"portone", "toss"}:
        return str(DIFFERENCES[phase])
    from .walkthrough import PLAN      # what each PG does in the phase (the walkthrough's plan)
    return gettext("%(a)s: %(a_does)s %(b)s: %(b_does)s", a=providers.get(a["pg"]).title,
                   a_does=str(PLAN[phase][a["pg"]]), b=providers.get(b["pg"]).title, b_does=str(PLAN[phase][b["pg"]]))


def _by_prefix(table, name):
    """table[key] for the longest key that name starts with, at a '.' or '_' boundary; else None.

    'portone.get_token' and 'portone.get_token_retry' both read as 'portone.get_token';
    'portone.cancel_forged' as 'portone.cancel'; 'portone.webhook.paid' as 'portone.webhook'.
    """
    name = name or ""
    for key in sorted(table, key=len, reverse=True):
        if name == key or (name.startswith(key) and name[len(key)] in "._"):
            return table[key]
    return None


def explanation(step):
    """One plain line for the step: from the table by name (then as '*.<name>'), else the step's own summary."""
    name = step["name"] or ""
    found = _by_prefix(EXPLANATIONS, name)
    if found is None and "." in name:
        found = _by_prefix(EXPLANATIONS, "*." + name.split(".", 1)[1])
    return str(found) if found is not None else i18n.render(step["summary"])


def doc_url(step):
    """The PG's own documentation page closest to this step, or None for the shop's own steps."""
    provider = (step["name"] or "").split(".", 1)[0]
    exchange = step.get("exchange") or {}
    request = exchange.get("request") if isinstance(exchange, dict) else None
    if step["kind"] in ("http_out", "fault") and isinstance(request, dict) and step["actor_to"] in providers.ids():
        path = str(request.get("url") or "").split("?", 1)[0]
        for pg, pattern, url in DOCS_BY_PATH:
            if pg == step["actor_to"] and pattern.search(path):
                return url
    if provider not in providers.ids():
        return None
    return _by_prefix(DOCS_BY_NAME, step["name"])


def phase_title(phase):
    return str(PHASE_TITLES.get(phase, phase))


def actor_name(actor):
    if actor in providers.ids():
        return providers.get(actor).company
    return str(ACTOR_NAMES.get(actor, actor))
