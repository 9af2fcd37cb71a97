/**
 * `run --shard auto`: the shard of a Kubernetes Indexed Job pod. Kubernetes sets
 * `JOB_COMPLETION_INDEX` (0-based) in every pod of a Job with `completionMode: Indexed`; the Job
 * manifest passes `.spec.completions` as `JOB_COMPLETIONS` (deploy/job.yaml). Shards are round
 * robin (`--shard I/N` keeps targets I, I+N, ...), so N pods cover a list exactly once and their
 * reports merge by concatenation.
 */
import { UsageError } from '../options.js';

/** The 1-based shard `{index, count}` from the environment. Throws {@link UsageError} when absent or inconsistent. Pure. */
export function shardFromEnv(env: Readonly<Record<string, string | undefined>>): { index: number; count: number } {
  const i = env['JOB_COMPLETION_INDEX'];
  const n = env['JOB_COMPLETIONS'];
  if (i === undefined || n === undefined) {
    throw new UsageError('--shard auto needs JOB_COMPLETION_INDEX (set by a Kubernetes Indexed Job) and JOB_COMPLETIONS (the Job\'s completions; see deploy/job.yaml)');
  }
  if (!/^\d+$/.test(i.trim()) || !/^\d+$/.test(n.trim())) throw new UsageError(`--shard auto: JOB_COMPLETION_INDEX '${i.slice(0, 20)}' and JOB_COMPLETIONS '${n.slice(0, 20)}' must be whole numbers`);
  const index = Number(i) + 1;
  const count = Number(n);
  if (count < 1 || index > count) throw new UsageError(`--shard auto: JOB_COMPLETION_INDEX ${i} is not below JOB_COMPLETIONS ${n}`);
  return { index, count };
}
