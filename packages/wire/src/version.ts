/** Wire protocol version. Peers with a different major version are refused. */
export const PROTOCOL_VERSION = '1.0' as const;
