import { loadSiteData, type SiteDataset, type SiteMapping } from '@cohortfl/data';
import type { Task } from './define-task.js';

export interface SiteSpec {
  name: string;
  dataDir: string;
  mapping?: SiteMapping;
}

/** Load one site's data for a task, with the task's split settings and the given split seed. */
export function loadSiteForTask(task: Task, site: SiteSpec, seed: number): Promise<SiteDataset> {
  return loadSiteData(site.dataDir, task.schema, {
    ...(site.mapping ? { mapping: site.mapping } : {}),
    seed,
    validationFraction: task.validationFraction,
  });
}

/** Stack several sites' splits into one matrix (for references computed with every site's data). */
export function stack(parts: { x: Float32Array; y: Float32Array; n: number }[], featureCount: number) {
  const n = parts.reduce((s, p) => s + p.n, 0);
  const x = new Float32Array(n * featureCount);
  const y = new Float32Array(n);
  let row = 0;
  for (const p of parts) {
    x.set(p.x, row * featureCount);
    y.set(p.y, row);
    row += p.n;
  }
  return { x, y, n, featureCount };
}
