// Preloaded with `node --import ./bench/rusage-hook.mjs …` by bench/run.ts: at exit, writes this
// process's resource usage as JSON to $CENSORPROBE_BENCH_RUSAGE: `maxRssKb` (getrusage ru_maxrss,
// KiB: the peak resident set, = /proc/self/status VmHWM), `vmHwmKb` (VmHWM read directly),
// `sampledPeak` (the largest RSS sampled every 100 ms, with V8's heapTotal and external then),
// `liveHeapKb` (heap used + external after a full GC, when node runs with --expose-gc),
// `threadCpuS` (CPU seconds of the main thread, `main`, and of the others by thread name: V8's
// compiler and GC helpers, libuv's pool), `userUs` / `systemUs` (CPU time, microseconds) and
// `uptimeMs` (from process start).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

/** CPU seconds per thread name (/proc/self/task/<tid>/stat utime + stime, clock ticks of 10 ms), or null off Linux. */
function threadCpu() {
  try {
    const out = {};
    for (const tid of readdirSync('/proc/self/task')) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const name = tid === String(process.pid) ? 'main' : stat.slice(stat.indexOf('(') + 1, close).replace(/[0-9]+$/, '').trim();
      const fields = stat.slice(close + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]);
      out[name] = Math.round(((out[name] ?? 0) + ticks / 100) * 100) / 100;
    }
    return out;
  } catch {
    return null;
  }
}

// bin/censorprobe.js re-runs `run` and `helper` in a child (larger libuv pool) that inherits this
// hook and its environment: the figures that matter are the child's, the process that measures.
// The launcher (no CENSORPROBE_PARENT_PID, no UV_THREADPOOL_SIZE yet) writes beside them, to
// `<file>.launcher`, so it never overwrites the child's figures when it exits after it.
const command = process.argv[2];
const launcher = process.env.CENSORPROBE_PARENT_PID === undefined && process.env.UV_THREADPOOL_SIZE === undefined && (command === 'run' || command === 'helper');
const out = process.env.CENSORPROBE_BENCH_RUSAGE ? `${process.env.CENSORPROBE_BENCH_RUSAGE}${launcher ? '.launcher' : ''}` : undefined;
if (out) {
  // Every 100 ms: the largest RSS seen and how it split at that moment (V8 heap vs the rest).
  let peak = { rssKb: 0, heapTotalKb: 0, externalKb: 0 };
  setInterval(() => {
    const m = process.memoryUsage();
    if (m.rss / 1024 > peak.rssKb) peak = { rssKb: Math.round(m.rss / 1024), heapTotalKb: Math.round(m.heapTotal / 1024), externalKb: Math.round(m.external / 1024) };
  }, 100).unref();
  process.on('exit', () => {
    const ru = process.resourceUsage();
    let vmHwmKb = null;
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
      vmHwmKb = m ? Number(m[1]) : null;
    } catch {
      /* not Linux */
    }
    // With --expose-gc: the live heap after a full collection (what the process really retains).
    let liveHeapKb = null;
    if (typeof globalThis.gc === 'function') {
      globalThis.gc();
      const m = process.memoryUsage();
      liveHeapKb = Math.round((m.heapUsed + m.external) / 1024);
    }
    writeFileSync(out, JSON.stringify({ pid: process.pid, launcher, maxRssKb: ru.maxRSS, vmHwmKb, liveHeapKb, sampledPeak: peak, threadCpuS: threadCpu(), userUs: ru.userCPUTime, systemUs: ru.systemCPUTime, uptimeMs: Math.round(process.uptime() * 1000) }));
  });
}
