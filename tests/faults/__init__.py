"""Fault injection on mailboxes and aliases: a worker killed mid-batch, Redis stopped, dimail
failing in every way it can, SMTP down. Every test here is marked `faults`."""
