"""The wizard's screens, in the order a person meets them."""
