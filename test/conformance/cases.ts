// The conformance corpus: test/conformance/cases/<name>/ holds a Dockerfile, its context files
// and an optional case.json. This module loads and validates the cases, hashes their files (the
// key of the reference cache) and materializes a case's build context.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, copyFile, lstat, mkdir, readFile, readdir, readlink, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TreeEntry } from './tree.ts';
import { CONFIG_FIELDS, type ConfigField } from './config.ts';

export const CASES_DIR = fileURLToPath(new URL('./cases/', import.meta.url));

/** The build arg through which a child case names its parent image (`ARG PARENT_IMAGE` + `FROM ${PARENT_IMAGE}`). */
export const PARENT_ARG = 'PARENT_IMAGE';

/** What docker does where buildah does something else: these values replace buildah's in the reference. */
export interface DockerExpectation {
  /** Path -> null (docker leaves no such path) or the entry's fields docker gives it (merged over buildah's). */
  files?: Record<string, Partial<TreeEntry> | null>;
  /** Config field -> docker's value (null: unset). */
  config?: Partial<Record<ConfigField, unknown>>;
}

export interface CaseSpec {
  /** `--build-arg NAME=VALUE` for both builders. */
  buildArgs?: Record<string, string>;
  /** `--target`. */
  target?: string;
  /** A case built and pushed first; this case receives its reference as build arg PARENT_IMAGE. */
  parent?: string;
  /**
   * buildah's `--format` for the reference. buildah drops HEALTHCHECK, SHELL and ONBUILD from
   * OCI-format images (it warns "not supported for OCI image format"), while docker keeps them
   * in the config whatever the media types; cases using them build the reference as "docker".
   */
  buildahFormat?: 'oci' | 'docker';
  /**
   * A Dockerfile in the case directory that buildah builds instead of `Dockerfile`, where
   * buildah 1.28 lacks the syntax (e.g. RUN heredocs) but the same meaning can be written
   * another way; `note` must say how the two correspond.
   */
  buildahDockerfile?: string;
  /** The build must fail, with both builders (docker rejects it); `kilnStderr` optionally matches kiln's message. */
  expectFailure?: { note: string; kilnStderr?: string };
  /** buildah placeholders (/etc/hosts, …) that this case writes, so they are compared. */
  comparePaths?: string[];
  /** Modes for context files that git cannot record (e.g. {"secret.txt": "0600"}). */
  contextModes?: Record<string, string>;
  /** docker's documented result where buildah departs from it. */
  docker?: DockerExpectation;
  /** What the case covers, and why any docker expectation differs from buildah. */
  note?: string;
}

export interface ConformanceCase {
  name: string;
  dir: string;
  spec: CaseSpec;
}

const SPEC_KEYS = new Set(['buildArgs', 'target', 'parent', 'buildahFormat', 'buildahDockerfile', 'expectFailure', 'comparePaths', 'contextModes', 'docker', 'note']);

function validate(name: string, spec: CaseSpec): void {
  for (const key of Object.keys(spec)) {
    if (!SPEC_KEYS.has(key)) throw new Error(`case ${name}: unknown key "${key}" in case.json`);
  }
  if (spec.buildahFormat && !['oci', 'docker'].includes(spec.buildahFormat)) throw new Error(`case ${name}: buildahFormat must be oci or docker`);
  if (spec.buildahDockerfile !== undefined && (!/^[\w.-]+$/.test(spec.buildahDockerfile) || !spec.note)) {
    throw new Error(`case ${name}: buildahDockerfile must be a file name in the case directory, and note must explain it`);
  }
  if (spec.expectFailure && typeof spec.expectFailure.note !== 'string') throw new Error(`case ${name}: expectFailure needs a note`);
  for (const field of Object.keys(spec.docker?.config ?? {})) {
    if (!(CONFIG_FIELDS as readonly string[]).includes(field)) throw new Error(`case ${name}: docker.config.${field} is not a compared field`);
  }
  for (const [file, mode] of Object.entries(spec.contextModes ?? {})) {
    if (!/^0[0-7]{3,4}$/.test(mode)) throw new Error(`case ${name}: contextModes.${file} must be an octal string like "0600"`);
  }
}

export async function loadCase(name: string, casesDir = CASES_DIR): Promise<ConformanceCase> {
  const dir = join(casesDir, name);
  if (!existsSync(join(dir, 'Dockerfile'))) throw new Error(`case ${name}: no Dockerfile in ${dir}`);
  const specFile = join(dir, 'case.json');
  const spec = existsSync(specFile) ? (JSON.parse(await readFile(specFile, 'utf8')) as CaseSpec) : {};
  validate(name, spec);
  return { name, dir, spec };
}

/** Every case, parents before their children, otherwise by name. */
export async function loadCases(casesDir = CASES_DIR): Promise<ConformanceCase[]> {
  const names = (await readdir(casesDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  const byName = new Map<string, ConformanceCase>();
  for (const name of names) byName.set(name, await loadCase(name, casesDir));
  const ordered: ConformanceCase[] = [];
  const placed = new Set<string>();
  const place = (c: ConformanceCase, chain: string[]): void => {
    if (placed.has(c.name)) return;
    if (chain.includes(c.name)) throw new Error(`case ${c.name}: parent cycle ${[...chain, c.name].join(' -> ')}`);
    if (c.spec.parent) {
      const parent = byName.get(c.spec.parent);
      if (!parent) throw new Error(`case ${c.name}: parent case "${c.spec.parent}" does not exist`);
      place(parent, [...chain, c.name]);
    }
    placed.add(c.name);
    ordered.push(c);
  };
  for (const c of byName.values()) place(c, []);
  return ordered;
}

/** sha256 over the case's files (names, kinds, exec bits, contents, link targets), sorted. */
export async function hashCaseFiles(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (rel: string): Promise<void> => {
    const names = (await readdir(join(dir, rel))).sort();
    for (const name of names) {
      const r = rel ? `${rel}/${name}` : name;
      const st = await lstat(join(dir, r));
      if (st.isSymbolicLink()) hash.update(`L ${r} ${await readlink(join(dir, r))}\n`);
      else if (st.isDirectory()) {
        hash.update(`D ${r}\n`);
        await walk(r);
      } else {
        const content = await readFile(join(dir, r));
        hash.update(`F ${r} ${st.mode & 0o111 ? 'x' : '-'} ${content.length}\n`).update(content);
      }
    }
  };
  await walk('');
  return hash.digest('hex');
}

/**
 * Copies the case into `dest` as the build context, without case.json, with modes fixed
 * (directories 0755, files 0644 or 0755 by their exec bit, then `contextModes`) so both
 * builders, and every checkout, see the same context whatever the umask was.
 */
export async function materializeContext(c: ConformanceCase, dest: string): Promise<void> {
  const copy = async (rel: string): Promise<void> => {
    await mkdir(join(dest, rel), { recursive: true });
    await chmod(join(dest, rel), 0o755);
    for (const name of (await readdir(join(c.dir, rel))).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      if (r === 'case.json') continue;
      const src = join(c.dir, r);
      const st = await lstat(src);
      if (st.isSymbolicLink()) await symlink(await readlink(src), join(dest, r));
      else if (st.isDirectory()) await copy(r);
      else {
        await copyFile(src, join(dest, r));
        await chmod(join(dest, r), st.mode & 0o111 ? 0o755 : 0o644);
      }
    }
  };
  await copy('');
  for (const [file, mode] of Object.entries(c.spec.contextModes ?? {})) await chmod(join(dest, file), Number.parseInt(mode, 8));
}
