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
  sdk: [...LEAVES, 'ml', 'protocol'],
  coordinator: [...LEAVES, 'ml', 'protocol', 'sdk'],
  'site-agent': [...LEAVES, 'ml', 'protocol', 'sdk'],
};

/** Outside libraries with one owning unit each (CONVENTIONS.md, "Imports only go down"). */
export const OWNED_LIBRARIES = [
  { pattern: /^@tensorflow\//, owners: ['ml'] },
  { pattern: /^msgpackr$/, owners: ['wire'] },
  { pattern: /^tweetnacl$/, owners: ['identity', 'secagg'] },
  { pattern: /^socket\.io(-client)?$/, owners: ['coordinator', 'site-agent'] },
  { pattern: /^better-sqlite3$/, owners: ['coordinator'] },
  { pattern: /^prom-client$/, owners: ['coordinator', 'site-agent'] },
];
