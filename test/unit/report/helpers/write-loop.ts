/**
 * Child process for the writer's interruption test: appends report lines in a loop (4 concurrent
 * loops, line sizes 0.3-12 KB) until killed. Usage: `node --import tsx write-loop.ts FILE MODE READY`
 * where MODE is `graceful` (a SIGINT handler awaits `close()` then exits 0, as the CLI does) or
 * `abrupt` (default SIGINT disposition: the process dies wherever it is). Prints `ready` on stdout
 * once READY lines are written (the loops go on writing), so the test interrupts a file that
 * already holds that many whole lines, whatever the machine's speed.
 */
import { createReportWriter } from '../../../../src/report/writer.js';
import { fullRecord } from './full-record.js';

const [file, mode, ready] = process.argv.slice(2);
const readyAfter = Number(ready);
if (file === undefined || (mode !== 'graceful' && mode !== 'abrupt') || !(readyAfter >= 1)) {
  process.stderr.write('usage: write-loop.ts FILE graceful|abrupt READY\n');
  process.exit(2);
}

const writer = createReportWriter({ path: file });
let stopping = false;
if (mode === 'graceful') {
  process.on('SIGINT', () => {
    stopping = true;
    void writer.close().then(() => process.exit(0));
  });
}

let counter = 0;
let written = 0;
let announced = false;
async function loop(worker: number): Promise<void> {
  while (!stopping) {
    const n = counter++;
    const record = fullRecord(`https://www.example.org/${worker}/${n}`);
    const response = record.observations.requests[0]?.response;
    if (response) response.body = 'x'.repeat(300 + ((n * 7919) % 12000));
    try {
      await writer.write(record);
    } catch {
      return; // closed by the SIGINT handler
    }
    written++;
    if (!announced && written >= readyAfter) {
      announced = true;
      process.stdout.write('ready\n');
    }
  }
}
await Promise.all([0, 1, 2, 3].map(loop));
