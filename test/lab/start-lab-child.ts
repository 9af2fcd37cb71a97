/**
 * A child process for the lifecycle tests: starts a lab for `successWithHTTP`, prints
 * `<world-ns> <probe-ns>`, then either exits without calling stop() (`exit`) or waits to be
 * killed (`wait`).
 */
import { loadScenario, startLab } from '../../src/lab/index.js';

const lab = await startLab(loadScenario('successWithHTTP'));
process.stdout.write(`${lab.worldNs} ${lab.probeNs}\n`);
if (process.argv[2] === 'exit') process.exit(0);
setInterval(() => undefined, 60_000);
