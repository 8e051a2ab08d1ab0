"""Signals that let one part of the app take part in another's work without importing it."""

from blinker import Namespace

_signals = Namespace()

# Sent with the User about to be deleted, inside the deleting transaction. Receivers anonymise or
# remove what the person wrote, so the account row can go.
account_deleting = _signals.signal("account-deleting")

# Sent with the User whose data is being exported; each receiver returns a dict merged into the export.
account_exporting = _signals.signal("account-exporting")

# Sent with the User whose public profile (name, organisation, respondent type) was just changed, inside the
# same transaction. Receivers update whatever shows that profile.
profile_changed = _signals.signal("profile-changed")

# Sent by the mail worker before each round of delivery, inside an app context. Receivers may queue mail that
# is built from the state of the database at that moment (digests) and must commit what they queue.
mail_delivering = _signals.signal("mail-delivering")
