"""The command groups of ``foia`` (one module each); each parses options, calls the library and prints."""

# The library names the input an error is about by its field (``foia.naming``); the command line
# shows the option. An option is ``--`` + the field with ``_`` -> ``-`` (``client_dob`` ->
# ``--client-dob``) except these, whose options read better in the singular or shorter.
FLAGS = {
    "tags": "--tag", "add_tags": "--tag", "remove_tags": "--untag", "letter_text": "--letter",
    "systems": "--system", "vendors": "--vendor", "contracts": "--contract", "order": "--sort",
}
