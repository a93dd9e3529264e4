// Child process of crash.test.ts: stores rounds under plain Node until it is killed.
// Arguments: <database path> <round to die inside, or 0 to run until the parent kills it>.
import { register } from 'node:module';

register('./ts-loader.mjs', import.meta.url);
const { default: Database } = await import('better-sqlite3');
const { storeOnDatabase } = await import('./open-store.ts');
const { crashRound, crashRun } = await import('./crash-rounds.test-suite.ts');

const [path, dieInside] = process.argv.slice(2);
const db = new Database(path);
db.function('die_now', () => process.kill(process.pid, 'SIGKILL'));
const store = storeOnDatabase(db);
if (Number(dieInside) > 0) {
  // Fires after the round's row, checkpoint and participants are written, before commit.
  db.exec(`CREATE TEMP TRIGGER die BEFORE INSERT ON site_metrics
    WHEN NEW.round = ${Number(dieInside)} AND NEW.site = 'site-b' BEGIN SELECT die_now(); END`);
}
const runId = crashRun(store, 10_000);
process.stdout.write('ready\n');
for (let round = store.completedRounds(runId).length + 1; ; round++) {
  const attempt = store.nextAttempt(runId, round);
  store.startAttempt({ runId, round, attempt, at: round * 100 });
  store.saveRound(crashRound(runId, round, attempt));
  process.stdout.write(`saved ${round}\n`); // synchronous on a pipe
}
