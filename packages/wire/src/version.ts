/** Wire protocol version. Peers with a different major version are refused. */
export const PROTOCOL_VERSION = '2.1' as const;
