// Imports every command module so each registers itself. One line per command.
