"""The probe and the facts it finds: OS, Pythons, environment managers, GPUs, driver, disk."""
