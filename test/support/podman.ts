// `podman run` of an image in a lab registry, with what this kind of machine needs: runc (crun
// refuses hybrid cgroups here), and rlimits no higher than the sandbox's, since the process lacks
// CAP_SYS_RESOURCE and podman's defaults (nofile 1048576) cannot be set.
import { buildahEnv } from './buildah.ts';
import { run, type RunResult } from './exec.ts';
import type { LabRegistry } from './registry.ts';

/** `podman run [flags] image [args]`; `flags` are more `podman run` options (volumes, network). */
export async function podmanRun(reg: LabRegistry, image: string, args: string[] = [], flags: string[] = []): Promise<RunResult> {
  const env = await buildahEnv(reg, 'overlay');
  return run('podman', ['run', '--rm', '--runtime=runc', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024', '--tls-verify=false', ...flags, image, ...args], { env, timeoutMs: 300_000 });
}
