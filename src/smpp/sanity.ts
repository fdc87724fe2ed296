export const SMPP_VERSION = 0x34;
