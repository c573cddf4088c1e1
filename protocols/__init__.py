"""Pure device codecs: bytes in, typed values out, no I/O and no configuration."""
