// The instructions that change only the image config, applied the way BuildKit's dispatcher
// applies them, each returning the history text BuildKit writes for it.
import { posix } from 'node:path';
import type { ContainerConfig } from '../oci/types.ts';
import type { Instruction } from '../dockerfile/index.ts';
import { BuilderError } from '../util/errors.ts';

export const DEFAULT_SHELL = ['/bin/sh', '-c'];

/** What a stage tracks besides the config itself: whether CMD was set in this stage. */
export interface MetadataState {
  config: ContainerConfig;
  author?: string;
  cmdSetInStage: boolean;
  file: string;
}

/** Sets or replaces KEY in an Env list, keeping its position as BuildKit does. */
export function setEnv(env: string[], key: string, value: string): string[] {
  const entry = `${key}=${value}`;
  const at = env.findIndex((e) => e.slice(0, e.indexOf('=') < 0 ? e.length : e.indexOf('=')) === key);
  if (at < 0) return [...env, entry];
  const out = [...env];
  out[at] = entry;
  return out;
}

export function envToMap(env: readonly string[] | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of env ?? []) {
    const eq = e.indexOf('=');
    if (eq < 0) out.set(e, '');
    else out.set(e.slice(0, eq), e.slice(eq + 1));
  }
  return out;
}

/** A command as the config stores it: exec form as written, shell form wrapped in SHELL. */
export function commandArgs(instr: { args: string[]; shell: boolean }, shell: string[] | undefined): string[] {
  return instr.shell ? [...(shell && shell.length ? shell : DEFAULT_SHELL), instr.args[0] ?? ''] : [...instr.args];
}

/** EXPOSE words to config keys: "80" -> "80/tcp", ranges expanded, protocol lower-cased. */
export function exposedPorts(words: string[], where: string): string[] {
  const out: string[] = [];
  for (const word of words) {
    const m = /^(?:(?:[^:]*):)?(?:(?:\d*):)?(\d+)(?:-(\d+))?(?:\/([A-Za-z]+))?$/.exec(word);
    if (!m) throw new BuilderError('DOCKERFILE_PARSE', `${where}: invalid port "${word}" in EXPOSE`);
    const proto = (m[3] ?? 'tcp').toLowerCase();
    if (!['tcp', 'udp', 'sctp'].includes(proto)) {
      throw new BuilderError('DOCKERFILE_PARSE', `${where}: invalid protocol "${m[3]}" in EXPOSE ${word}`);
    }
    const start = Number(m[1]);
    const end = m[2] === undefined ? start : Number(m[2]);
    if (start > 65535 || end > 65535 || end < start) {
      throw new BuilderError('DOCKERFILE_PARSE', `${where}: invalid port range "${word}" in EXPOSE`);
    }
    for (let p = start; p <= end; p++) out.push(`${p}/${proto}`);
  }
  return out;
}

/** Go's %v of a map[string]struct{}: "map[80/tcp:{} 443/tcp:{}]", keys sorted. */
function goSet(keys: string[]): string {
  return `map[${[...keys].sort().map((k) => `${k}:{}`).join(' ')}]`;
}

function json(args: string[]): string {
  return JSON.stringify(args);
}

/** A WORKDIR path resolved against the current one, as BuildKit does. */
export function resolveWorkdir(current: string | undefined, path: string): string {
  return posix.resolve(current || '/', path);
}

/**
 * Applies a config-only instruction (everything but RUN, COPY, ADD, FROM and ARG, which the
 * stage handles) and returns the history `created_by` text.
 */
export function applyMetadata(state: MetadataState, instr: Instruction): string {
  const c = state.config;
  const where = `${state.file}:${instr.position.line}`;
  switch (instr.kind) {
    case 'env': {
      let env = c.Env ?? [];
      for (const v of instr.vars) env = setEnv(env, v.key, v.value);
      c.Env = env;
      return `ENV ${instr.vars.map((v) => `${v.key}=${v.value}`).join(' ')}`;
    }
    case 'label': {
      c.Labels = { ...(c.Labels ?? {}) };
      for (const l of instr.labels) c.Labels[l.key] = l.value;
      return `LABEL ${instr.labels.map((l) => `${l.key}=${l.value}`).join(' ')}`;
    }
    case 'maintainer':
      state.author = instr.maintainer;
      return `MAINTAINER ${instr.maintainer}`;
    case 'expose': {
      const ports = exposedPorts(instr.ports, where);
      c.ExposedPorts = { ...(c.ExposedPorts ?? {}) };
      for (const p of ports) c.ExposedPorts[p] = {};
      return `EXPOSE ${goSet(ports)}`;
    }
    case 'volume': {
      c.Volumes = { ...(c.Volumes ?? {}) };
      for (const v of instr.volumes) {
        if (v.trim() === '') throw new BuilderError('DOCKERFILE_PARSE', `${where}: VOLUME specified can not be an empty string`);
        c.Volumes[v] = {};
      }
      return `VOLUME [${instr.volumes.join(' ')}]`;
    }
    case 'user':
      c.User = instr.user;
      return `USER ${instr.user}`;
    case 'workdir':
      c.WorkingDir = resolveWorkdir(c.WorkingDir, instr.path);
      return `WORKDIR ${c.WorkingDir}`;
    case 'cmd':
      c.Cmd = commandArgs(instr, c.Shell);
      state.cmdSetInStage = true;
      return `CMD ${json(c.Cmd)}`;
    case 'entrypoint':
      c.Entrypoint = commandArgs(instr, c.Shell);
      // An ENTRYPOINT drops a CMD inherited from the base image, but not one set in this stage.
      if (!state.cmdSetInStage) c.Cmd = null;
      return `ENTRYPOINT ${json(c.Entrypoint)}`;
    case 'shell':
      c.Shell = [...instr.shell];
      return `SHELL ${json(instr.shell)}`;
    case 'stopsignal':
      c.StopSignal = instr.signal;
      return `STOPSIGNAL ${instr.signal}`;
    case 'onbuild':
      c.OnBuild = [...(c.OnBuild ?? []), instr.expression];
      return `ONBUILD ${instr.expression}`;
    case 'healthcheck': {
      if (instr.test[0] === 'NONE') {
        c.Healthcheck = { Test: ['NONE'] };
      } else {
        const hc: ContainerConfig['Healthcheck'] = { Test: [...instr.test] };
        if (instr.interval) hc.Interval = instr.interval;
        if (instr.timeout) hc.Timeout = instr.timeout;
        if (instr.startPeriod) hc.StartPeriod = instr.startPeriod;
        if (instr.startInterval) hc.StartInterval = instr.startInterval;
        if (instr.retries) hc.Retries = instr.retries;
        c.Healthcheck = hc;
      }
      return `HEALTHCHECK ${json(c.Healthcheck.Test ?? [])}`;
    }
    default:
      throw new BuilderError('INTERNAL', `${where}: ${instr.kind.toUpperCase()} is not a metadata instruction`);
  }
}
