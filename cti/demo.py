"""`make demo`: the whole product with the demo company, in the foreground; Ctrl-C stops it."""

from __future__ import annotations

from cti.browser_phone import wss_address
from cti.foreground import main
from cti.product import Product, ProductSettings
from cti.sip_tls import sip_tls_address

BANNER = """
OpenCC is running with the demo company (tenant "demo").

  Agent client        http://{host}:{http}/agent        (1001 / pw1001 ... 1010 / pw1010)
  Supervisor          http://{host}:{http}/supervisor   (supervisor / pwsupervisor)
  Admin portal        http://{host}:{http}/admin        (admin / pwadmin; operator / pwoperator)
  Wallboard           http://{host}:{http}/wallboard/#cc=7001&token=...  (a kiosk link:
                      POST /api/v1/wallboards/7001/kiosk-tokens as supervisor; docs/wallboard.md)
  Recordings          http://{host}:{http}/recordings   (admin / pwadmin; 1001, 1002 record
                      every call, the others on demand: *44 in a call or *44<number>)
  GraphQL             http://{host}:{http}/graphql
  REST + OpenAPI      http://{host}:{http}/docs
  Health, metrics     http://{host}:{http}/healthz  /metrics (bearer OPENCC_METRICS_TOKEN)
  SIP (UDP and TCP)   {host}:{sip}   phones: user 1001..1010, password pw1001..pw1010
  SIP over TLS        {tls}
  Browser phone       {browser_phone}
  Call centers        7001 Helpdesk (Basic), 7002 Sales (Standard), 7003 Service (Premium)
                      from the trunk: any SIP INVITE from 127.0.0.1 to sip:7001@{host}:{sip}
  Phone features      voicemail (unanswered calls; *62 the voice portal), forwarding and
                      do-not-disturb (*72/*73, *78/*79 ...: docs/phone-features.md)
  Outside world       carrier 127.0.0.1:5090 (OPENCC_CARRIER); direct numbers +31201230000
                      (7001) and +31201230001..10 (1001..1010): docs/trunks.md
  Redis               {redis}
  Database            {database}

Try it:  sipp -sn uac -s 7001 {host}:{sip} -m 1 -d 20000    (then sign in 1001 and go Available)
Ctrl-C stops everything.
"""


def _browser_phone(settings: ProductSettings) -> str:
    if (settings.sip_ws_port is None and settings.sip_wss_tls is None) or not settings.media:
        return "off (OPENCC_SIP_WS_PORT=0 or OPENCC_MEDIA=0)"
    addresses = [
        *([f"ws://{settings.host}:{settings.sip_ws_port}"] if settings.sip_ws_port else []),
        *([wss_address(settings.host, settings.sip_wss_port)] if settings.sip_wss_tls else []),
    ]
    return f"{'  '.join(addresses)}   agent client and receptionist console (docs/webrtc.md)"


def banner(settings: ProductSettings, product: Product) -> str:
    return BANNER.format(
        host=settings.host,
        http=settings.http_port,
        sip=settings.sip_port,
        tls=sip_tls_address(settings.host, settings.sip_tls, settings.sip_tls_port),
        browser_phone=_browser_phone(settings),
        redis=product.redis_url,
        database=product.database_url,
    )


if __name__ == "__main__":
    main(ProductSettings.from_env(demo=True), banner)
