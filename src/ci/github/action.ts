// The Action's one entry (dist/action.js), run twice by the runner: as `main`, and as `post`
// once the job's steps are done (post-if: always()). main saves `isPost` in the step's state, so
// the second run knows it is the post step, as actions commonly do. main reads the inputs,
// writes a private DOCKER_CONFIG, runs kiln-executor and hands on outputs and a summary read
// from the metadata file; post deletes the private directory whatever happened. credentials.ts
// (the cloud SDKs) and gha-cache.ts (@actions/cache) are imported only when the inputs need them:
// evaluating them is most of the bundle's start-up, which a plain build should not pay.
import * as core from '@actions/core';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { BuildMetadata } from '../../executor/build-report.ts';
import { BuilderError, describeError } from '../../util/errors.ts';
import { redact } from '../../util/redact.ts';
import { executorInvocation, localExportLayout } from './executor-argv.ts';
import { ghaCachePlan } from './gha-cache-plan.ts';
import { runExecutor } from './executor-run.ts';
import { readInputs, type ActionInputs } from './inputs.ts';
import { actionOutputs, failureAnnotation } from './outputs.ts';
import { summaryMarkdown } from './summary.ts';

/** State names: how main tells post what to clean up. */
const IS_POST = 'isPost';
const STEP_DIR = 'kilnDir';

/** The step's environment for the executor: its inputs (registry-auth holds passwords) stay behind. */
function executorEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('INPUT_')) env[k] = v;
  return { ...env, ...extra };
}

function readMetadata(file: string): BuildMetadata | undefined {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as BuildMetadata) : undefined;
}

async function writeSummary(metadata: BuildMetadata, inputs: ActionInputs): Promise<void> {
  if (!inputs.summary || !process.env.GITHUB_STEP_SUMMARY) return;
  await core.summary.addRaw(redact(summaryMarkdown(metadata, inputs))).write();
}

async function main(): Promise<void> {
  core.saveState(IS_POST, 'true');
  const workspace = process.env.GITHUB_WORKSPACE || process.cwd();
  // Whitespace is the inputs' own (secrets keep it); readInputs trims where a value may not have it.
  const inputs = readInputs((name) => core.getInput(name, { trimWhitespace: false }), workspace);

  // Saved before anything is written into it, so post removes it even if a login fails half way.
  const dir = mkdtempSync(join(process.env.RUNNER_TEMP || tmpdir(), 'kiln-'));
  core.saveState(STEP_DIR, dir);
  const extraEnv: Record<string, string> = {};
  if (inputs.registryAuth.length) {
    const dockerDir = join(dir, 'docker');
    extraEnv.DOCKER_CONFIG = dockerDir;
    core.startGroup('Registry credentials');
    try {
      const { writeDockerConfig } = await import('./credentials.ts');
      const hosts = await writeDockerConfig(dockerDir, inputs.registryAuth, { idToken: (aud) => core.getIDToken(aud), mask: (s) => core.setSecret(s) }, process.env);
      core.info(`kiln: credentials for ${hosts.join(', ')} in a private DOCKER_CONFIG`);
    } finally {
      core.endGroup();
    }
  }

  // type=gha: the dir: cache restored here and saved after the build; without the service, or
  // when the restore timed out, the build runs without a layer cache.
  const ghaWanted = ghaCachePlan(inputs, process.env.RUNNER_TEMP || tmpdir());
  let gha = ghaWanted;
  let restoredKey = '';
  const service = gha && (await import('./gha-cache.ts'));
  if (gha && service) {
    core.startGroup('Layer cache (GitHub Actions cache)');
    try {
      const key = service.ghaCacheAvailable() ? await service.restoreGhaCache(gha) : undefined;
      if (key === undefined) gha = undefined;
      else restoredKey = key;
    } finally {
      core.endGroup();
    }
  }
  const buildInputs = ghaWanted && !gha ? { ...inputs, noCache: true } : inputs;

  // buildx makes a tar output's directory; the executor, like kaniko, expects it.
  for (const output of inputs.outputs) if (output.type === 'tar') mkdirSync(dirname(output.dest), { recursive: true });
  const metadataFile = join(dir, 'metadata.json');
  const localLayout = localExportLayout(inputs, join(dir, 'local-layout'));
  const invocation = executorInvocation(buildInputs, { metadata: metadataFile, ghaCache: gha?.dir, localLayout });
  for (const value of Object.values(invocation.env)) core.setSecret(value);
  const code = await runExecutor(invocation.argv, executorEnv({ ...invocation.env, ...extraEnv }), {
    startGroup: (name) => core.startGroup(name),
    endGroup: () => core.endGroup(),
    line: (text) => core.info(text),
  });

  const metadata = readMetadata(metadataFile);
  if (metadata) await writeSummary(metadata, inputs);
  const outputs = metadata && code === 0 ? actionOutputs(metadata) : undefined;
  if (outputs) {
    for (const [name, value] of Object.entries(outputs)) core.setOutput(name, value);
    if (localLayout) {
      const { exportLocal } = await import('./local-output.ts');
      for (const output of inputs.outputs) {
        if (output.type !== 'local') continue;
        const stats = await exportLocal(localLayout, output.dest);
        core.info(`kiln: the image's filesystem is in ${output.dest} (${stats.entries} entries)`);
      }
    }
    if (gha && service) {
      core.startGroup('Layer cache (GitHub Actions cache)');
      await service.saveGhaCache(gha, restoredKey).finally(() => core.endGroup());
    }
    return;
  }
  const failure = metadata && failureAnnotation(metadata, inputs.context, workspace);
  if (failure?.file) {
    core.error(failure.message, { title: 'kiln build failed', file: failure.file, startLine: failure.startLine });
    throw new BuilderError('BUILD_FAILED', `the build failed at ${failure.file}:${failure.startLine}`);
  }
  throw new BuilderError('BUILD_FAILED', failure?.message ?? `kiln-executor exited with code ${code}; its error is in the log above`);
}

function post(): void {
  const dir = core.getState(STEP_DIR);
  if (!dir) return;
  rmSync(dir, { recursive: true, force: true });
  core.info('kiln: removed the private DOCKER_CONFIG and metadata file');
}

async function step(): Promise<void> {
  try {
    if (core.getState(IS_POST)) post();
    else await main();
  } catch (err) {
    core.setFailed(redact(describeError(err)));
  }
}

await step();
// A cache upload abandoned at its timeout may still hold the event loop; the step is over.
process.exit();
