// The plugin's hooks; hooks/* are one-line sh scripts that call `kiln buildkite <hook>`.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildMetadata } from '../../executor/build-report.ts';
import { BuilderError } from '../../util/errors.ts';
import { log } from '../../util/log.ts';
import * as agent from './agent.ts';
import { annotationMarkdown } from './annotation.ts';
import { buildArgv } from './argv.ts';
import { readConfig, type PluginConfig } from './config.ts';
import { writeDockerConfig } from './credentials.ts';
import { createJobDir, existingJobDir, removeJobDir } from './job-dir.ts';

/** environment: only checks what the later hooks need. */
export function environmentHook(): number {
  if (!agent.isOnPath()) throw new BuilderError('USAGE', 'kiln plugin: buildkite-agent is not on PATH (needed for meta-data, annotations and OIDC tokens)');
  return 0;
}

/** pre-command: validate the configuration, then write the job's private DOCKER_CONFIG. */
export async function preCommandHook(env: NodeJS.ProcessEnv): Promise<number> {
  const config = readConfig(env);
  buildArgv(config, env, new Date()); // rejects what the schema cannot (outputs without dest=, no tags to push to)
  const dir = createJobDir(env);
  const registries = await writeDockerConfig(join(dir, 'docker'), config.auth ?? [], config['oidc-lifetime'], env);
  if (registries.length) log.info(`kiln: credentials for ${registries.join(', ')} in a private DOCKER_CONFIG`);
  return 0;
}

/** The same kiln that runs this hook: the bundle (or the sources under tsx). */
function kilnSelf(): { command: string; args: string[] } {
  return { command: process.execPath, args: [...process.execArgv, process.argv[1]] };
}

function runOwnCommand(config: PluginConfig, env: NodeJS.ProcessEnv): void {
  const own = (env.BUILDKITE_COMMAND ?? '').trim();
  if (!own) return;
  if (!config['run-command']) {
    throw new BuilderError('USAGE', 'kiln plugin: this step has its own command:, and the plugin runs the build; remove command: or set run-command: true to run it first');
  }
  const result = spawnSync('sh', ['-c', own], { stdio: 'inherit', env });
  if (result.status !== 0) throw new BuilderError('BUILD_FAILED', `kiln plugin: the step's command failed (exit ${result.status ?? 'signal'}); nothing built`);
}

function annotationContext(env: NodeJS.ProcessEnv): string {
  const step = env.BUILDKITE_STEP_KEY || env.BUILDKITE_STEP_ID || env.BUILDKITE_JOB_ID || 'step';
  return `kiln-${step.replace(/[^A-Za-z0-9_.-]/g, '-')}`;
}

function publish(config: PluginConfig, metadata: BuildMetadata, env: NodeJS.ProcessEnv): void {
  const digest = metadata['containerimage.digest'];
  if (digest) {
    const key = config['meta-data-key'] ?? 'kiln-digest';
    agent.metaDataSet(key, digest);
    metadata['kiln.report'].images.forEach((img, n) => agent.metaDataSet(`${key}-${n}`, `${img.name}@${img.digest}`));
  }
  if (config.annotate ?? true) {
    const { style, markdown } = annotationMarkdown(metadata);
    agent.annotate(markdown, style, annotationContext(env));
  }
}

/** command: runs `kiln build` with the mapped flags and publishes its metadata file. */
export function commandHook(env: NodeJS.ProcessEnv): number {
  const config = readConfig(env);
  runOwnCommand(config, env);
  const { argv } = buildArgv(config, env, new Date());
  const dir = existingJobDir(env) ?? createJobDir(env);
  const metadataFile = join(dir, 'metadata.json');
  const childEnv = { ...env };
  if (config.auth?.length) childEnv.DOCKER_CONFIG = join(dir, 'docker');
  const self = kilnSelf();
  const result = spawnSync(self.command, [...self.args, ...argv, '--metadata-file', metadataFile], { stdio: 'inherit', env: childEnv });
  const status = result.status ?? 1;
  if (!existsSync(metadataFile)) return status || 1;
  const metadata = JSON.parse(readFileSync(metadataFile, 'utf8')) as BuildMetadata;
  publish(config, metadata, env);
  if (config['upload-metadata']) agent.artifactUpload(metadataFile);
  return status;
}

/** pre-exit: the credentials go, whatever happened before. */
export function preExitHook(env: NodeJS.ProcessEnv): number {
  removeJobDir(env);
  return 0;
}
