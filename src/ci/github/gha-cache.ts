// cache-from / cache-to `type=gha`: kiln's `dir:` layer cache (image/cache-dir.ts) kept in the
// GitHub Actions cache service through @actions/cache, which speaks the service's protocol (v2
// twirp on ACTIONS_RESULTS_URL, v1 on ACTIONS_CACHE_URL) with the runner's ACTIONS_RUNTIME_TOKEN.
// The step restores the directory before the build and saves it after a successful one, so the
// executor only ever sees a local directory cache.
//
// Keys (gha-cache-plan.ts): a restore takes the newest save under the scope's prefix, so a job on
// another runner, its workspace fresh, gets the last saved cache. The entry's version is
// @actions/cache's hash of the path, so the directory sits at the same place on every runner:
// RUNNER_TEMP/kiln-gha-cache (one path on GitHub-hosted runners).
//
// Caching is optional: a refused, rate-limited (429), failed or over-quota save, or one that
// outlasts `timeout=`, is a warning and the step goes on; so is a failed restore (a cold build).
import * as cache from '@actions/cache';
import * as core from '@actions/core';
import { registerSecret } from '../../util/redact.ts';
import { cacheKey, keyPrefix, type GhaCachePlan } from './gha-cache-plan.ts';

const TIMED_OUT = Symbol('timed out');

/** The work goes on when it times out; the entry ends the process, so it cannot hold the step. */
async function within<T>(ms: number, work: Promise<T>): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => (timer = setTimeout(() => resolve(TIMED_OUT), ms)));
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10}s`;
}

/** Whether the runner gave the step the cache service; a warning says so when it did not. */
export function ghaCacheAvailable(): boolean {
  registerSecret(process.env.ACTIONS_RUNTIME_TOKEN);
  if (cache.isFeatureAvailable() && process.env.ACTIONS_RUNTIME_TOKEN) return true;
  core.warning('kiln: type=gha needs the GitHub Actions cache service (ACTIONS_RESULTS_URL or ACTIONS_CACHE_URL, and ACTIONS_RUNTIME_TOKEN), which the runner gives JavaScript actions; this step has none, so it builds without that cache');
  return false;
}

/**
 * Restores the newest entry of cache-from's scopes into plan.dir. The key restored, '' on a
 * miss, or undefined when the restore did not finish in time (its files may be half written, so
 * the build then runs without the cache).
 */
export async function restoreGhaCache(plan: GhaCachePlan): Promise<string | undefined> {
  if (plan.from.length === 0) return '';
  const [first, ...rest] = plan.from.map((spec) => keyPrefix(spec.scope));
  const timeoutMs = Math.max(...plan.from.map((spec) => spec.timeoutMs));
  const started = Date.now();
  try {
    const key = await within(timeoutMs, cache.restoreCache([plan.dir], first, rest));
    if (key === TIMED_OUT) {
      core.warning(`kiln: restoring the layer cache from the GitHub Actions cache took over ${seconds(timeoutMs)}; building without it`);
      return undefined;
    }
    if (key) core.info(`kiln: layer cache ${key} restored from the GitHub Actions cache in ${seconds(Date.now() - started)}`);
    else core.info(`kiln: no layer cache for scope ${plan.from.map((s) => s.scope).join(', ')} in the GitHub Actions cache yet`);
    return key ?? '';
  } catch (err) {
    // @actions/cache warns about service failures itself and throws only for a bad key.
    core.warning(`kiln: the layer cache was not restored from the GitHub Actions cache: ${(err as Error).message}`);
    return '';
  }
}

/** Saves plan.dir under each cache-to scope; never throws, every failure is a warning. */
export async function saveGhaCache(plan: GhaCachePlan, restoredKey: string): Promise<void> {
  for (const spec of plan.to) {
    const key = cacheKey(plan.dir, spec.scope);
    if (!key) {
      core.info('kiln: the build wrote no layer cache entries; nothing to save to the GitHub Actions cache');
      return;
    }
    if (key === restoredKey) {
      core.info(`kiln: the GitHub Actions cache already holds these layers (${key}); nothing to save`);
      continue;
    }
    const started = Date.now();
    const failed = `kiln: the layer cache was not saved to the GitHub Actions cache (scope ${spec.scope})`;
    try {
      const id = await within(spec.timeoutMs, cache.saveCache([plan.dir], key));
      if (id === TIMED_OUT) core.warning(`${failed}: no answer within ${seconds(spec.timeoutMs)}; the image is built and pushed all the same`);
      // -1: the service refused or failed (a 429, a full quota, a key another job is writing); @actions/cache logged why.
      else if (id === -1) core.warning(`${failed}; the cause is logged above; the image is built and pushed all the same`);
      else core.info(`kiln: layer cache saved to the GitHub Actions cache as ${key} in ${seconds(Date.now() - started)}`);
    } catch (err) {
      core.warning(`${failed}: ${(err as Error).message}`);
    }
  }
}
