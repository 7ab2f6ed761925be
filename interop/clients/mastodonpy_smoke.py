#!/usr/bin/python3
"""Smoke test with a real Mastodon client library (Debian's python3-mastodon):
register an app, log in with a password, post, read the home timeline.
Arguments: BASE_URL USERNAME PASSWORD. Prints one JSON line on success."""
import json
import sys

from mastodon import Mastodon

base, username, password = sys.argv[1], sys.argv[2], sys.argv[3]
client_id, client_secret = Mastodon.create_app(
    "tocsin smoke test", api_base_url=base, scopes=["read", "write"], to_file=None)
m = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=base,
             version_check_mode="none")
token = m.log_in(username, password, scopes=["read", "write"])
me = m.account_verify_credentials()
status = m.status_post("Polls open at 7 in Nakuru: smoke test from Mastodon.py", visibility="public")
home = m.timeline_home(limit=40)
instance = m.instance()
print(json.dumps({
    "me": me["acct"],
    "status_id": str(status["id"]),
    "home_ids": [str(s["id"]) for s in home],
    "instance_version": instance["version"],
}))
