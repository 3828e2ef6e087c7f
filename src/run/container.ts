// Are we inside a container? Host mode runs RUN commands directly on this machine's `/`, which
// is only acceptable in a throwaway container (kaniko's rule). Each probe is a hint that
// container runtimes leave; any one of them is enough.
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface ContainerProbe {
  /** Where `/` is; tests point it at a made-up tree. */
  root?: string;
  env?: NodeJS.ProcessEnv;
}

export interface ContainerInfo {
  inContainer: boolean;
  /** What gave it away, for logs and errors. */
  evidence?: string;
}

// Paths that appear in /proc/1/cgroup or /proc/self/mountinfo only under a container runtime.
const RUNTIME_HINTS = /\/docker[/-]|\/kubepods|\/containerd|\/libpod|\/lxc\/|\/ecs\/|\/docker\/containers\/|\/kubelet\/pods\/|\/containers\/storage\/|\/buildkit\//;

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function text(path: string): Promise<string> {
  return readFile(path, 'utf8').catch(() => '');
}

export async function detectContainer(probe: ContainerProbe = {}): Promise<ContainerInfo> {
  const root = probe.root ?? '/';
  const env = probe.env ?? process.env;
  if (await exists(join(root, '.dockerenv'))) return { inContainer: true, evidence: '/.dockerenv exists' };
  if (await exists(join(root, 'run/.containerenv'))) return { inContainer: true, evidence: '/run/.containerenv exists' };
  if (env.container) return { inContainer: true, evidence: `container=${env.container} in the environment` };
  if (env.KUBERNETES_SERVICE_HOST) return { inContainer: true, evidence: 'KUBERNETES_SERVICE_HOST is set (a Kubernetes pod)' };
  for (const file of ['proc/1/cgroup', 'proc/self/mountinfo']) {
    const m = RUNTIME_HINTS.exec(await text(join(root, file)));
    if (m) return { inContainer: true, evidence: `/${file} mentions ${m[0]}` };
  }
  return { inContainer: false };
}
