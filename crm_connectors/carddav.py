"""A CardDAV address book read as RFC 6352 describes it: `PROPFIND` (Depth 1) lists the cards'
hrefs and ETags, `REPORT addressbook-multiget` fetches the cards whose ETag changed.

Why not `sync-collection` (RFC 6578): not every server offers it, its token can expire (a full
listing again), and the ETag listing of a personal address book (a few thousand cards) is one
small request; comparing ETags gives the same "fetch only what changed".

The server is the tenant's choice, so its answers are untrusted: a body larger than
`MAX_RESPONSE_BYTES` is cut off (an error), XML with a DOCTYPE is refused before parsing (no
entity can expand), no redirect is followed (Basic credentials go to the configured URL only),
and hrefs outside the configured collection are ignored.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET  # nosec B405  # DOCTYPE refused first: no entities, no DTD
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from crm_connectors.errors import CrmAuthError, CrmBadResponseError, CrmUnavailableError
from crm_connectors.secrets import Secret

log = logging.getLogger(__name__)

MAX_RESPONSE_BYTES = 16_000_000
MULTIGET_BATCH = 200
DAV = "{DAV:}"
CARDDAV = "{urn:ietf:params:xml:ns:carddav}"

_PROPFIND = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/><d:resourcetype/></d:prop></d:propfind>'
)


@dataclass(frozen=True, slots=True)
class Card:
    href: str
    etag: str
    vcard: str


@dataclass(frozen=True, slots=True)
class AddressBook:
    url: str
    username: str
    password: Secret


async def list_etags(client: httpx.AsyncClient, book: AddressBook) -> dict[str, str]:
    """{href: ETag} of every card in the collection (sub-collections left out)."""
    root = await _dav(client, book, "PROPFIND", _PROPFIND)
    etags: dict[str, str] = {}
    for href, prop in _ok_props(root, book.url):
        if prop.find(f"{DAV}resourcetype/{DAV}collection") is not None:
            continue
        etags[href] = (prop.findtext(f"{DAV}getetag") or "").strip()
    return etags


async def fetch_cards(
    client: httpx.AsyncClient, book: AddressBook, hrefs: Sequence[str]
) -> list[Card]:
    """The cards at `hrefs` (some may have gone meanwhile: they are just not returned)."""
    cards: list[Card] = []
    for start in range(0, len(hrefs), MULTIGET_BATCH):
        batch = hrefs[start : start + MULTIGET_BATCH]
        root = await _dav(client, book, "REPORT", _multiget(batch))
        for href, prop in _ok_props(root, book.url):
            data = prop.findtext(f"{CARDDAV}address-data")
            if data is not None:
                cards.append(Card(href, (prop.findtext(f"{DAV}getetag") or "").strip(), data))
    return cards


def _multiget(hrefs: Sequence[str]) -> str:
    items = "".join(f"<d:href>{_escape(h)}</d:href>" for h in hrefs)
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<c:addressbook-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav">'
        f"<d:prop><d:getetag/><c:address-data/></d:prop>{items}</c:addressbook-multiget>"
    )


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


async def _dav(client: httpx.AsyncClient, book: AddressBook, method: str, body: str) -> ET.Element:
    headers = {"Depth": "1", "Content-Type": 'application/xml; charset="utf-8"'}
    auth = httpx.BasicAuth(book.username, book.password.reveal())
    where = f"{method} {book.url}"
    try:
        async with client.stream(
            method, book.url, content=body, headers=headers, auth=auth, follow_redirects=False
        ) as response:
            if response.status_code in (401, 403):
                raise CrmAuthError(f"{where}: HTTP {response.status_code} (user name or password)")
            if response.status_code >= 500:
                raise CrmUnavailableError(f"{where}: HTTP {response.status_code}")
            if response.status_code != 207:
                raise CrmBadResponseError(
                    f"{where}: HTTP {response.status_code}, not an address book (207 expected)"
                )
            data = bytearray()
            async for chunk in response.aiter_bytes():
                data += chunk
                if len(data) > MAX_RESPONSE_BYTES:
                    raise CrmBadResponseError(f"{where}: answer larger than {MAX_RESPONSE_BYTES}")
    except httpx.HTTPError as error:
        raise CrmUnavailableError(f"{where}: {type(error).__name__}") from error
    return _parse(bytes(data), where)


def _parse(data: bytes, where: str) -> ET.Element:
    head = data[:4096].upper()
    if b"<!DOCTYPE" in head or b"<!ENTITY" in data.upper():
        raise CrmBadResponseError(f"{where}: XML with a DOCTYPE or entities refused")
    try:
        root = ET.fromstring(data)  # nosec B314  # no DOCTYPE (checked above)
    except ET.ParseError as error:
        raise CrmBadResponseError(f"{where}: not XML ({error})") from None
    if root.tag != f"{DAV}multistatus":
        raise CrmBadResponseError(f"{where}: no DAV:multistatus")
    return root


def _ok_props(root: ET.Element, collection: str) -> list[tuple[str, ET.Element]]:
    """(href, prop) of each response's 200 propstat, for hrefs inside `collection`."""
    base = urlsplit(collection)
    prefix = base.path if base.path.endswith("/") else base.path + "/"
    found: list[tuple[str, ET.Element]] = []
    for response in root.iter(f"{DAV}response"):
        href = (response.findtext(f"{DAV}href") or "").strip()
        target = urlsplit(urljoin(collection, href))
        if (target.scheme, target.netloc) != (base.scheme, base.netloc):
            continue
        if not (target.path + "/").startswith(prefix):
            log.info("carddav: ignored %s outside %s", href[:200], prefix)
            continue
        for propstat in response.findall(f"{DAV}propstat"):
            status = propstat.findtext(f"{DAV}status") or ""
            prop = propstat.find(f"{DAV}prop")
            if " 200 " in f"{status} " and prop is not None:
                found.append((href, prop))
    return found
