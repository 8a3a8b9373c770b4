"""The `karabakh-kg` subcommands: one thin argparse module each."""
