// buildah as the reference builder for conformance tests and benchmarks, pointed at a lab
// registry: `FROM busybox` resolves to the lab registry through a docker.io prefix entry,
// storage lives in the registry's temp dir (removed by its stop()).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { run } from './exec.ts';
import type { LabRegistry } from './registry.ts';

export type BuildahStorageDriver = 'overlay' | 'vfs';

const envs = new WeakMap<LabRegistry, Map<BuildahStorageDriver, Promise<NodeJS.ProcessEnv>>>();

async function writeConfig(reg: LabRegistry, driver: BuildahStorageDriver): Promise<NodeJS.ProcessEnv> {
  // vfs and overlay cannot share a graphroot.
  const dir = join(reg.rootDir, 'buildah', driver);
  await mkdir(join(dir, 'graph'), { recursive: true });
  await mkdir(join(dir, 'run'), { recursive: true });
  const storageConf = join(dir, 'storage.conf');
  await writeFile(storageConf, [
    '[storage]',
    `driver = "${driver}"`,
    `graphroot = "${join(dir, 'graph')}"`,
    `runroot = "${join(dir, 'run')}"`,
    '',
  ].join('\n'));
  const registriesConf = join(dir, 'registries.conf');
  await writeFile(registriesConf, [
    'unqualified-search-registries = ["docker.io"]',
    '',
    '[[registry]]',
    'prefix = "docker.io"',
    `location = "${reg.host}"`,
    'insecure = true',
    '',
    '[[registry]]',
    `location = "${reg.host}"`,
    'insecure = true',
    '',
  ].join('\n'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CONTAINERS_STORAGE_CONF: storageConf,
    CONTAINERS_REGISTRIES_CONF: registriesConf,
    STORAGE_DRIVER: driver,
    BUILDAH_ISOLATION: 'chroot',
  };
  if (reg.authFile) env.REGISTRY_AUTH_FILE = reg.authFile;
  else delete env.REGISTRY_AUTH_FILE;
  return env;
}

/** Environment for buildah (and podman, skopeo) that talks to `reg` and keeps its storage under `reg.rootDir`. */
export function buildahEnv(reg: LabRegistry, driver: BuildahStorageDriver = 'overlay'): Promise<NodeJS.ProcessEnv> {
  let byDriver = envs.get(reg);
  if (!byDriver) {
    byDriver = new Map();
    envs.set(reg, byDriver);
  }
  let env = byDriver.get(driver);
  if (!env) {
    env = writeConfig(reg, driver);
    byDriver.set(driver, env);
  }
  return env;
}

export interface BuildahBuildOptions {
  driver?: BuildahStorageDriver;
  /** More `buildah build` flags, e.g. ['--build-arg', 'A=1', '--target', 'app']. */
  args?: string[];
}

/**
 * Builds `dockerfile` (relative to `contextDir` unless absolute) with buildah, pushes it to
 * `reg` as `tag` (e.g. "conformance/app:1") and returns the pushed manifest digest.
 */
export async function buildahBuild(
  contextDir: string,
  dockerfile: string,
  tag: string,
  reg: LabRegistry,
  opts: BuildahBuildOptions = {},
): Promise<string> {
  const driver = opts.driver ?? 'overlay';
  const env = await buildahEnv(reg, driver);
  const ref = tag.startsWith(`${reg.host}/`) ? tag : `${reg.host}/${tag}`;
  const file = isAbsolute(dockerfile) ? dockerfile : join(contextDir, dockerfile);
  const common = ['--storage-driver', driver];
  await run('buildah', [
    'build', ...common, '--isolation', 'chroot', '--layers', '--tls-verify=false', '--format', 'oci',
    ...(opts.args ?? []), '-f', file, '-t', ref, contextDir,
  ], { env });
  const digestFile = join(reg.rootDir, 'buildah', `digest-${process.pid}-${Date.now()}`);
  await run('buildah', ['push', ...common, '--tls-verify=false', '--digestfile', digestFile, ref, `docker://${ref}`], { env });
  return (await readFile(digestFile, 'utf8')).trim();
}

/**
 * Builds `dockerfile` with buildah (chroot isolation) and writes the image to the OCI layout
 * `layoutDir` (tag `buildah`) without going through the registry; returns the layout's path.
 */
export async function buildahBuildToLayout(
  contextDir: string,
  dockerfile: string,
  layoutDir: string,
  reg: LabRegistry,
  opts: BuildahBuildOptions = {},
): Promise<string> {
  const driver = opts.driver ?? 'overlay';
  const env = await buildahEnv(reg, driver);
  const local = `localhost/kiln-ref/${process.pid}-${Date.now()}:buildah`;
  const file = isAbsolute(dockerfile) ? dockerfile : join(contextDir, dockerfile);
  const common = ['--storage-driver', driver];
  await run('buildah', [
    'build', ...common, '--isolation', 'chroot', '--layers', '--tls-verify=false', '--format', 'oci',
    ...(opts.args ?? []), '-f', file, '-t', local, contextDir,
  ], { env });
  await run('buildah', ['push', ...common, local, `oci:${layoutDir}:buildah`], { env });
  await run('buildah', ['rmi', ...common, local], { env });
  return layoutDir;
}
