/** Seeded synthetic predictions for tests (mulberry32: small, fast, reproducible). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Synthetic {
  labels: number[];
  scores: number[];
  groups: string[];
}

/** Labels with prevalence ~0.3, informative continuous scores in (0, 1), groups 'a' | 'b' | 'c'. */
export function syntheticPredictions(n: number, seed: number, groupNames: readonly string[] = ['a', 'b', 'c']): Synthetic {
  const rand = mulberry32(seed);
  const labels: number[] = [];
  const scores: number[] = [];
  const groups: string[] = [];
  for (let i = 0; i < n; i++) {
    const y = rand() < 0.3 ? 1 : 0;
    const g = groupNames[Math.floor(rand() * groupNames.length)] as string;
    // Logit = signal + noise; a group-dependent shift gives the groups different rates.
    const noise = Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
    const logit = (y === 1 ? 1.2 : -0.8) + noise + (g === 'b' ? 0.4 : 0);
    labels.push(y);
    scores.push(1 / (1 + Math.exp(-logit)));
    groups.push(g);
  }
  return { labels, scores, groups };
}
