/**
 * Child process of crash.int.test.ts: writes values through the driver with concurrent writers
 * and prints `ack <key>` only after each write's promise resolved. The parent SIGKILLs it
 * mid-stream and checks that every acknowledged key survived.
 *
 *   node --import tsx crash-writer.ts <dataDir> <round> <count> <writers>
 */
import { createLmdbDriver } from './lmdb-driver.js';
import { expectedValue, keyOf } from './crash-data.js';

const [dir, roundArg, countArg, writersArg] = process.argv.slice(2);
if (dir === undefined) throw new Error('usage: crash-writer <dataDir> <round> <count> <writers>');
const round = Number(roundArg ?? 0);
const count = Number(countArg ?? 2000);
const writers = Number(writersArg ?? 20);

const driver = createLmdbDriver({ path: dir });
await driver.createApp('crash_app');
const app = await driver.openApp('crash_app');
process.stdout.write('ready\n');

let next = 0;
await Promise.all(
  Array.from({ length: writers }, async (_, w) => {
    while (next < count) {
      const i = next;
      // Every fifth step writes a small batch, the rest single puts.
      if (w % 5 === 0 && i + 3 <= count) {
        next += 3;
        const ids = [i, i + 1, i + 2];
        await app.putBatch(ids.map((id) => ({ ...keyOf(round, id), value: expectedValue(round, id) })));
        process.stdout.write(ids.map((id) => `ack ${id}\n`).join(''));
      } else {
        next += 1;
        const { pk, ck } = keyOf(round, i);
        await app.put(pk, ck, expectedValue(round, i));
        process.stdout.write(`ack ${i}\n`);
      }
    }
  }),
);
process.stdout.write('done\n');
await driver.close();
