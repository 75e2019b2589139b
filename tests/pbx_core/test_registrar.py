"""REGISTER with digest authentication over real SIP (SIPp) against the PBX."""

from __future__ import annotations

from pathlib import Path

import pytest

from pbx_core.directory import Directory, SipUser
from pbx_core.service import PbxService
from tests.pbx_core.support import free_port, register, run_sipp


async def test_register_with_right_password_creates_binding(
    pbx: PbxService, tmp_path: Path
) -> None:
    contact_port = free_port()
    result = await register(pbx.config.sip_port, "1001", contact_port, tmp_path)
    assert result.returncode == 0, result.errors
    binding = pbx.registration("1001")
    assert binding is not None
    assert (binding.host, binding.port) == ("127.0.0.1", contact_port)
    assert 0 < binding.expires <= 300


async def test_register_with_wrong_password_is_refused_and_binds_nothing(
    pbx: PbxService, tmp_path: Path
) -> None:
    result = await register(pbx.config.sip_port, "1002", free_port(), tmp_path, password="wrong")
    assert result.returncode == 0, result.errors  # the scenario expects 403
    assert pbx.registration("1002") is None


async def test_register_of_unknown_user_is_refused(pbx: PbxService, tmp_path: Path) -> None:
    result = await register(pbx.config.sip_port, "9999", free_port(), tmp_path, password="pw9999")
    assert result.returncode == 0, result.errors
    assert pbx.registration("9999") is None


async def test_one_extensions_credentials_cannot_register_another(
    pbx: PbxService, tmp_path: Path
) -> None:
    # Right password of 1003, but registering the address of record 1004.
    result = await register(pbx.config.sip_port, "1004", free_port(), tmp_path, password="pw1003")
    assert result.returncode == 0, result.errors
    assert pbx.registration("1004") is None


async def test_register_flood_with_wrong_passwords_leaves_the_pbx_serving(
    pbx: PbxService, tmp_path: Path
) -> None:
    flood = await run_sipp(
        "register_refused.xml",
        work_dir=tmp_path,
        remote=("127.0.0.1", pbx.config.sip_port),
        variables={"contact_port": free_port()},
        extra=["-s", "1005", "-au", "1005", "-ap", "guess", "-r", "200", "-l", "100"],
        calls=400,
    )
    assert flood.returncode == 0, flood.errors  # every attempt got 401 then 403
    assert pbx.registration("1005") is None
    result = await register(pbx.config.sip_port, "1005", free_port(), tmp_path)
    assert result.returncode == 0, result.errors
    assert pbx.registration("1005") is not None


async def test_directory_update_applies_to_new_registrations(
    pbx: PbxService, tmp_path: Path
) -> None:
    (directory,) = pbx.directories.tenants.values()
    users = [*directory.users.values(), SipUser(extension="2001", password="pw2001")]
    refused = await register(pbx.config.sip_port, "2001", free_port(), tmp_path, "pw2001")
    assert refused.returncode == 0, refused.errors  # 403: not in the directory yet
    assert pbx.registration("2001") is None
    await pbx.update_directory(Directory.of(users, directory.call_center_numbers))
    result = await register(pbx.config.sip_port, "2001", free_port(), tmp_path)
    assert result.returncode == 0, result.errors
    assert pbx.registration("2001") is not None


async def test_second_pbx_in_one_process_is_refused_and_first_keeps_working(
    pbx: PbxService, tmp_path: Path
) -> None:
    second = PbxService(pbx.config, pbx.directories)
    with pytest.raises(RuntimeError, match="already runs"):
        await second.start()
    await second.stop()
    result = await register(pbx.config.sip_port, "1008", free_port(), tmp_path)
    assert result.returncode == 0, result.errors
