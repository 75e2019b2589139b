"""Imported first thing in the fork server of the password pool (cti/password_pool.py), through
`set_forkserver_preload`: the fork server dies with the product, as every child of the product
must (issue 20: a CI run found the pool's processes alive after the product's kill -9).

Preloading this module instead of the default `__main__` also keeps the product's start-up
imports out of the fork server: the workers need only `cti.passwords`.
"""

from common.child_processes import bind_to_parent

bind_to_parent()
