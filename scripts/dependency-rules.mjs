// The dependency direction of ARCHITECTURE.md, as data. The arrow points to what may be imported.
export const LEAVES = ['wire', 'identity', 'secagg', 'privacy', 'fairness', 'strategies', 'data'];

/** Our packages each unit may import. */
export const ALLOWED_INTERNAL = {
  wire: [],
  identity: ['wire'],
  secagg: ['wire'],
  privacy: ['wire'],
  fairness: ['wire'],
  strategies: ['wire'],
  data: ['wire'],
  ml: ['wire', 'data'],
  protocol: [...LEAVES],
  // The browser dashboard and report: wire for the socket.io parser the coordinator speaks.
  dashboard: ['wire'],
  sdk: [...LEAVES, 'ml', 'protocol'],
  coordinator: [...LEAVES, 'ml', 'protocol', 'sdk', 'dashboard'],
  'site-agent': [...LEAVES, 'ml', 'protocol', 'sdk'],
};

/** Outside libraries with one owning unit each (CONVENTIONS.md, "Imports only go down"). */
export const OWNED_LIBRARIES = [
  { pattern: /^@tensorflow\//, owners: ['ml'] },
  { pattern: /^msgpackr$/, owners: ['wire'] },
  { pattern: /^tweetnacl$/, owners: ['identity', 'secagg'] },
  { pattern: /^socket\.io$/, owners: ['coordinator', 'site-agent'] },
  { pattern: /^socket\.io-client$/, owners: ['coordinator', 'site-agent', 'dashboard'] },
  { pattern: /^chart\.js(\/.*)?$/, owners: ['dashboard'] },
  { pattern: /^esbuild$/, owners: ['dashboard'] },
  { pattern: /^better-sqlite3$/, owners: ['coordinator'] },
  { pattern: /^prom-client$/, owners: ['coordinator', 'site-agent'] },
];

/** Subpath exports a package declares public on purpose (anything else under a package is internal). */
export const PUBLIC_SUBPATHS = ['@cohortfl/wire/socketio-parser'];
