// ActionInputs -> kaniko argv for kiln-executor (dist/executor.js), plus the environment the
// child needs: `secrets` values travel as env vars named by --secret id=ID,env=VAR, so they never
// touch the disk or the argv (which the runner's log and `ps` can show).
import { BuilderError } from '../../util/errors.ts';
import type { ActionInputs, CacheSpec } from './inputs.ts';

export interface ExecutorInvocation {
  argv: string[];
  env: Record<string, string>;
}

/**
 * kiln keeps one layer cache, read and written; cache-from and cache-to must agree on it. type=gha
 * is the local directory the step restores from and saves to the GitHub Actions cache
 * (gha-cache.ts), whatever the scopes, so gha entries always agree with each other.
 */
function cacheRepo(inputs: ActionInputs, ghaDir: string | undefined): string | undefined {
  const specs = [...inputs.cacheTo, ...inputs.cacheFrom];
  if (specs.length === 0) return undefined;
  const repos = new Set(specs.map((spec) => cacheRepoOf(spec, ghaDir)));
  if (repos.size > 1) throw new BuilderError('USAGE', `input cache-to: kiln reads and writes one layer cache; cache-from and cache-to name ${[...repos].join(' and ')}`);
  return [...repos][0];
}

function cacheRepoOf(spec: CacheSpec, ghaDir: string | undefined): string {
  switch (spec.type) {
    case 'registry':
      return spec.ref;
    case 'local':
      return `oci:${spec.dir}`;
    case 'gha':
      if (!ghaDir) throw new BuilderError('INTERNAL', 'type=gha cache without its local directory');
      return `dir:${ghaDir}`;
  }
}

/** The step's own paths the argv names. */
export interface StepFiles {
  metadata: string;
  /** Where the type=gha cache is restored to (gha-cache.ts); needed only when an input names type=gha. */
  ghaCache?: string;
  /** An OCI layout for type=local outputs to be unpacked from, when no type=oci output gives one. */
  localLayout?: string;
}

/**
 * The OCI layout type=local outputs are unpacked from (local-output.ts): a type=oci output's, as
 * the executor writes one layout, else the step's own. Undefined without type=local outputs.
 */
export function localExportLayout(inputs: ActionInputs, stepLayout: string | undefined): string | undefined {
  if (!inputs.outputs.some((o) => o.type === 'local')) return undefined;
  const oci = inputs.outputs.find((o) => o.type === 'oci');
  if (oci) return oci.dest;
  if (!stepLayout) throw new BuilderError('INTERNAL', 'type=local output without a layout to unpack');
  return stepLayout;
}

export function executorInvocation(inputs: ActionInputs, files: StepFiles): ExecutorInvocation {
  const argv = [`--context=${inputs.context}`];
  const env: Record<string, string> = {};
  if (inputs.file) argv.push(`--dockerfile=${inputs.file}`);
  for (const tag of inputs.tags) argv.push(`--destination=${tag}`);
  if (!inputs.push) argv.push('--no-push');
  for (const arg of inputs.buildArgs) argv.push(`--build-arg=${arg}`);
  for (const label of inputs.labels) argv.push(`--label=${label}`);
  if (inputs.target) argv.push(`--target=${inputs.target}`);
  if (inputs.platforms.length) argv.push(`--custom-platform=${inputs.platforms.join(',')}`);
  inputs.secrets.forEach((secret, i) => {
    const name = `KILN_ACTION_SECRET_${i}`;
    env[name] = secret.value;
    argv.push(`--secret=id=${secret.id},env=${name}`);
  });
  for (const secret of inputs.secretFiles) argv.push(`--secret=id=${secret.id},src=${secret.path}`);
  for (const secret of inputs.secretEnvs) argv.push(`--secret=id=${secret.id},env=${secret.env}`);
  for (const output of inputs.outputs) {
    if (output.type === 'tar') argv.push(`--tar-path=${output.dest}`);
    if (output.type === 'oci') argv.push(`--oci-layout-path=${output.dest}`);
  }
  const layout = localExportLayout(inputs, files.localLayout);
  if (layout && !inputs.outputs.some((o) => o.type === 'oci')) argv.push(`--oci-layout-path=${layout}`);
  const repo = inputs.noCache ? undefined : cacheRepo(inputs, files.ghaCache);
  if (repo) argv.push('--cache=true', `--cache-repo=${repo}`);
  if (inputs.reproducible) argv.push('--reproducible');
  argv.push(`--metadata-file=${files.metadata}`, '--log-format=text', ...inputs.extraArgs);
  return { argv, env };
}
