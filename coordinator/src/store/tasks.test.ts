import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OTHER_HASH, TASK_HASH, expectCohortError, tempDir } from './fixtures.test-suite.js';
import { openStore } from './open-store.js';
import type { Store } from './types.js';

const task = (hash: string, version: string, at: number) => ({ hash, name: 'cad-risk', version, manifestJson: `{"v":"${version}"}`, at });

describe('tasks', () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: Store;
  beforeEach(() => {
    tmp = tempDir();
    store = openStore(tmp.path);
  });
  afterEach(() => {
    store.close();
    tmp.cleanup();
  });

  it('publishes a task and reads it back', () => {
    const row = store.publishTask(task(TASK_HASH, '1.0.0', 100));
    expect(row).toEqual({ hash: TASK_HASH, name: 'cad-risk', version: '1.0.0', manifestJson: '{"v":"1.0.0"}', publishedAt: 100 });
    expect(store.getTask(TASK_HASH)).toEqual(row);
    expect(store.getTask(OTHER_HASH)).toBeUndefined();
  });

  it('is idempotent for the same hash and keeps the first publication time', () => {
    const first = store.publishTask(task(TASK_HASH, '1.0.0', 100));
    expect(store.publishTask(task(TASK_HASH, '1.0.0', 999))).toEqual(first);
    expect(store.listTasks()).toEqual([first]);
  });

  it('refuses a known hash with a different manifest', () => {
    store.publishTask(task(TASK_HASH, '1.0.0', 100));
    expectCohortError(() => store.publishTask({ ...task(TASK_HASH, '1.0.0', 200), manifestJson: '{"v":"other"}' }), 'TASK_INVALID', /different manifest/);
    expect(store.getTask(TASK_HASH)!.manifestJson).toBe('{"v":"1.0.0"}');
  });

  it('finds the most recently published task by name, or an exact hash', () => {
    const older = store.publishTask(task(TASK_HASH, '1.0.0', 100));
    const newer = store.publishTask(task(OTHER_HASH, '2.0.0', 200));
    expect(store.findTask('cad-risk')).toEqual(newer);
    expect(store.findTask(TASK_HASH)).toEqual(older);
    expect(store.findTask('unknown-task')).toBeUndefined();
    expect(store.findTask('ef'.repeat(32))).toBeUndefined();
  });

  it('breaks a tie in publication time in favour of the later insert', () => {
    store.publishTask(task(TASK_HASH, '1.0.0', 100));
    store.publishTask(task(OTHER_HASH, '1.0.1', 100));
    expect(store.findTask('cad-risk')!.version).toBe('1.0.1');
  });

  it('lists tasks in publication order', () => {
    store.publishTask(task(OTHER_HASH, '2.0.0', 200));
    store.publishTask(task(TASK_HASH, '1.0.0', 100));
    expect(store.listTasks().map((t) => t.version)).toEqual(['1.0.0', '2.0.0']);
  });

  it('refuses malformed hashes, names, versions and manifests', () => {
    expectCohortError(() => store.publishTask(task(TASK_HASH.toUpperCase(), '1', 1)), 'TASK_INVALID', /64 lowercase hex/);
    expectCohortError(() => store.publishTask(task('ab'.repeat(31), '1', 1)), 'TASK_INVALID');
    expectCohortError(() => store.publishTask({ ...task(TASK_HASH, '1', 1), name: 'CAD risk' }), 'TASK_INVALID', /task name/);
    expectCohortError(() => store.publishTask({ ...task(TASK_HASH, '1', 1), version: '' }), 'TASK_INVALID', /version/);
    expectCohortError(() => store.publishTask({ ...task(TASK_HASH, '1', 1), manifestJson: '{"v":' }), 'TASK_INVALID', /not valid JSON/);
    expect(store.listTasks()).toEqual([]);
  });
});
