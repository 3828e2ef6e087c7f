// The part of an image config a `docker build` user relies on, normalized so that two builders
// that mean the same thing compare equal, and compared field by field.
import { isDeepStrictEqual } from 'node:util';

/** The run-config fields the conformance suite compares (docker's names). */
export const CONFIG_FIELDS = [
  'Env', 'Cmd', 'Entrypoint', 'WorkingDir', 'User', 'ExposedPorts', 'Volumes', 'Labels',
  'StopSignal', 'Healthcheck', 'Shell', 'OnBuild',
] as const;

export type ConfigField = (typeof CONFIG_FIELDS)[number];
export type RunConfig = Partial<Record<ConfigField, unknown>>;

/** Labels a builder adds about itself; not part of what the Dockerfile says. */
export const BUILDER_LABELS = ['io.buildah.version'] as const;

function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}

/**
 * Picks the compared fields out of a config's `config` member. Absent, null, "" and empty
 * lists or maps all mean "not set" (docker writes null where buildah writes [] or {}), so
 * they are dropped; builder labels are dropped too.
 */
export function pickRunConfig(config: Record<string, unknown> | null | undefined): RunConfig {
  const out: RunConfig = {};
  for (const field of CONFIG_FIELDS) {
    let value = config?.[field];
    if (field === 'Labels' && value && typeof value === 'object') {
      value = Object.fromEntries(Object.entries(value).filter(([k]) => !(BUILDER_LABELS as readonly string[]).includes(k)));
    }
    if (field === 'Healthcheck' && value && typeof value === 'object') {
      // Durations and retries of 0 mean "the default" and docker omits them; buildah may not.
      value = Object.fromEntries(Object.entries(value).filter(([, v]) => v !== 0 && v !== null));
    }
    if (!isEmpty(value)) out[field] = value;
  }
  return out;
}

/** One line per field whose value differs. */
export function compareConfigs(expected: RunConfig, actual: RunConfig): string[] {
  const diffs: string[] = [];
  for (const field of CONFIG_FIELDS) {
    const want = expected[field];
    const got = actual[field];
    if (!isDeepStrictEqual(want, got)) {
      diffs.push(`config ${field}: ${got === undefined ? '(unset)' : JSON.stringify(got)}, expected ${want === undefined ? '(unset)' : JSON.stringify(want)}`);
    }
  }
  return diffs;
}
