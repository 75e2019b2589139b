"""Platform operators (contract.md, "Provisioning"): the accounts above the tenants, and the CLI
that makes the first one on a production install.

    python -m cti.operators create NAME            # asks for the password twice
    python -m cti.operators create NAME --password-stdin < secret
    python -m cti.operators list

A production start (`python -m cti.run`) has no users at all: the operator made here signs in at
`/admin`, creates the first tenant and its admin, and so on (docs/provisioning.md, "First start").
The operator is an account in the provisioning database (`prov_accounts`, docs/provisioning.md
"One user store"), in the default tenant (`CtiSettings.default_tenant`), so
`POST /api/v1/auth/token` with the bare name finds it.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence

from cti.principal import Role
from cti.settings import CtiSettings
from cti.users import UserDirectory, make_engine

MIN_OPERATOR_PASSWORD = 12
"""An operator can create tenants and act in every one: a longer password than a user's."""

FIRST_OPERATOR_HINT = (
    "no platform operator exists yet: create one with\n"
    "  .venv/bin/python -m cti.operators create <name>\n"
    "then sign in at /admin to create the first company (docs/provisioning.md, 'First start')"
)


class OperatorError(ValueError):
    """A request the CLI refuses; the message names the reason."""


def operators(directory: UserDirectory) -> list[str]:
    return directory.usernames_with_role(Role.OPERATOR)


def create_operator(
    directory: UserDirectory, tenant: str, username: str, password: str, *, replace: bool = False
) -> None:
    """Create an operator account; refuses an existing name unless `replace` (a password reset)."""
    if not username or "@" in username or len(username) > 200:
        raise OperatorError("the name must be 1-200 characters without '@'")
    if len(password) < MIN_OPERATOR_PASSWORD:
        raise OperatorError(f"the password must have at least {MIN_OPERATOR_PASSWORD} characters")
    if directory.exists(tenant, username) and not replace:
        raise OperatorError(f"{username} exists already (use --replace to set a new password)")
    directory.add_user(tenant, username, password, Role.OPERATOR, display_name="Platform operator")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise OperatorError("the two passwords differ")
    return first


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cti.operators",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL")
        or f"sqlite:///{os.environ.get('OPENCC_VAR_DIR', 'var')}/opencc.db",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="create a platform operator")
    create.add_argument("name")
    create.add_argument("--password-stdin", action="store_true")
    create.add_argument("--replace", action="store_true", help="set a new password")
    commands.add_parser("list", help="list the platform operators")
    args = parser.parse_args(argv)

    engine = make_engine(args.database_url)
    try:
        directory = UserDirectory(engine)
        directory.create_tables()
        if args.command == "list":
            for name in operators(directory):
                print(name)
            return 0
        tenant = CtiSettings.default_tenant
        try:
            create_operator(
                directory, tenant, args.name, _read_password(args.password_stdin),
                replace=args.replace,
            )  # fmt: skip
        except OperatorError as error:
            print(f"opencc: {error}", file=sys.stderr)
            return 2
        print(f"operator {args.name} created; sign in at /admin")
        return 0
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
