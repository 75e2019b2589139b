"""A production start: the whole product without the demo company, in the foreground.

    .venv/bin/python -m cti.run        # settings from the environment (README, "Settings")

Nothing is seeded: the first start has no tenant and no user, and says how to create the first
platform operator (`python -m cti.operators create NAME`); everything after that is configured
through the admin portal or API and kept across restarts (docs/provisioning.md, "First start").
"""

from __future__ import annotations

from cti.foreground import main
from cti.operators import FIRST_OPERATOR_HINT
from cti.product import Product, ProductSettings
from cti.sip_tls import sip_tls_address

BANNER = """
OpenCC is running.

  Admin portal        http://{host}:{http}/admin
  Agent client        http://{host}:{http}/agent
  Supervisor          http://{host}:{http}/supervisor
  REST + OpenAPI      http://{host}:{http}/docs
  SIP (UDP and TCP)   {host}:{sip}
  SIP over TLS        {tls}
  Redis               {redis}
  Database            {database}
"""


def banner(settings: ProductSettings, product: Product) -> str:
    text = BANNER.format(
        host=settings.host,
        http=settings.http_port,
        sip=settings.sip_port,
        tls=sip_tls_address(settings.host, settings.sip_tls, settings.sip_tls_port),
        redis=product.redis_url,
        database=product.database_url,
    )
    return text if product.operators else f"{text}\n{FIRST_OPERATOR_HINT}\n"


if __name__ == "__main__":
    main(ProductSettings.from_env(demo=False), banner)
