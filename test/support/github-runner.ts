// Runs the Action as the GitHub runner does: `node <entry>` with the inputs as INPUT_<NAME>
// (action.yml's defaults filled in), fresh GITHUB_OUTPUT / GITHUB_STATE / GITHUB_ENV /
// GITHUB_STEP_SUMMARY / GITHUB_PATH files per step, RUNNER_TEMP and GITHUB_WORKSPACE (the cwd),
// then the post step with the main step's state as STATE_<name>. The files are read back in the
// runner's `name<<DELIMITER` format, and the log's workflow commands (::error …::, ::add-mask::)
// are parsed as the runner parses them. The entry is dist/action.js beside $KILN_BIN (the bundle
// npm test builds), else the sources through tsx, as kiln-cli.ts does.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { load } from 'js-yaml';
import { repoRoot } from './lab-dir.ts';

export interface WorkflowCommand {
  command: string;
  properties: Record<string, string>;
  message: string;
}

export interface StepResult {
  code: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  state: Record<string, string>;
  env: Record<string, string>;
  summary: string;
  /** The raw files, for leak checks. */
  files: { output: string; state: string; env: string; summary: string };
  commands: WorkflowCommand[];
  /** Values the step asked the runner to mask (::add-mask::). */
  masks: string[];
  /** The log as the runner keeps it, less the add-mask commands it consumes. */
  log: string;
}

export interface ActionRunOptions {
  /** Input values by action.yml name; the others take action.yml's defaults. */
  inputs: Record<string, string>;
  /** The job's workspace (the step's cwd); RUNNER_TEMP and the step files go beside it. */
  workspace: string;
  env?: NodeJS.ProcessEnv;
}

/** The runner's file command format: `name<<DELIM` … `DELIM` blocks, or `name=value` lines. */
export function parseRunnerFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const end = lines.indexOf(heredoc[2], i + 1);
      if (end < 0) throw new Error(`runner file: no closing ${heredoc[2]} for ${heredoc[1]}`);
      out[heredoc[1]] = lines.slice(i + 1, end).join('\n');
      i = end;
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`runner file: "${line}" is neither name=value nor name<<DELIMITER`);
    out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

function unescape(text: string, property: boolean): string {
  let out = text.replace(/%0D/g, '\r').replace(/%0A/g, '\n');
  if (property) out = out.replace(/%3A/g, ':').replace(/%2C/g, ',');
  return out.replace(/%25/g, '%');
}

/** `::command key=value,…::message` lines of the log. */
export function parseCommands(log: string): WorkflowCommand[] {
  const commands: WorkflowCommand[] = [];
  for (const line of log.split('\n')) {
    const m = /^::([A-Za-z-]+)(?: ([^:]*))?::(.*)$/.exec(line);
    if (!m) continue;
    const properties: Record<string, string> = {};
    for (const pair of (m[2] ?? '').split(',').filter(Boolean)) {
      const eq = pair.indexOf('=');
      properties[pair.slice(0, eq)] = unescape(pair.slice(eq + 1), true);
    }
    commands.push({ command: m[1], properties, message: unescape(m[3], false) });
  }
  return commands;
}

async function actionDefaults(workspace: string): Promise<Record<string, string>> {
  const doc = load(await readFile(join(repoRoot, 'action.yml'), 'utf8')) as { inputs: Record<string, { default?: string }> };
  return Object.fromEntries(Object.entries(doc.inputs).map(([name, input]) => [name, (input.default ?? '').replace('${{ github.workspace }}', workspace)]));
}

function entry(): string[] {
  if (process.env.KILN_BIN) return [join(dirname(process.env.KILN_BIN), 'action.js')];
  // tsx by its full URL: the step's cwd is the workspace, where tsx cannot be resolved.
  return ['--import', import.meta.resolve('tsx'), join(repoRoot, 'src/ci/github/action.ts')];
}

/** Environment of the test process less what a runner would not pass into a step. */
function baseEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(INPUT_|STATE_|GITHUB_|RUNNER_|ACTIONS_)/.test(k)));
}

let stepCount = 0;

async function runStep(opts: ActionRunOptions, state: Record<string, string>): Promise<StepResult> {
  const root = dirname(opts.workspace);
  const runnerTemp = join(root, 'runner-temp');
  await mkdir(runnerTemp, { recursive: true });
  const files = await mkdtemp(join(root, `step-${++stepCount}-`));
  const paths = { output: join(files, 'output'), state: join(files, 'state'), env: join(files, 'env'), summary: join(files, 'summary'), path: join(files, 'path') };
  for (const p of Object.values(paths)) await writeFile(p, '');
  const inputs = { ...(await actionDefaults(opts.workspace)), ...opts.inputs };
  const env: NodeJS.ProcessEnv = {
    ...baseEnv(),
    ...opts.env,
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_WORKSPACE: opts.workspace,
    RUNNER_TEMP: runnerTemp,
    GITHUB_OUTPUT: paths.output,
    GITHUB_STATE: paths.state,
    GITHUB_ENV: paths.env,
    GITHUB_STEP_SUMMARY: paths.summary,
    GITHUB_PATH: paths.path,
  };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  for (const [name, value] of Object.entries(state)) env[`STATE_${name}`] = value;
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, entry(), { cwd: opts.workspace, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (c) => resolve({ code: c ?? 1, stdout: out, stderr: err }));
  });
  const text = { output: await readFile(paths.output, 'utf8'), state: await readFile(paths.state, 'utf8'), env: await readFile(paths.env, 'utf8'), summary: await readFile(paths.summary, 'utf8') };
  const commands = parseCommands(stdout);
  return {
    code,
    stdout,
    stderr,
    outputs: parseRunnerFile(text.output),
    state: parseRunnerFile(text.state),
    env: parseRunnerFile(text.env),
    summary: text.summary,
    files: text,
    commands,
    masks: commands.filter((c) => c.command === 'add-mask').map((c) => c.message),
    log: (stdout + stderr).split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n'),
  };
}

/** The main step, then the post step (post-if: always()) with main's state. */
export async function runAction(opts: ActionRunOptions): Promise<{ main: StepResult; post: StepResult }> {
  const main = await runStep(opts, {});
  const post = await runStep(opts, main.state);
  return { main, post };
}

/** The main step alone, to look at what it leaves for post. */
export function runMainStep(opts: ActionRunOptions): Promise<StepResult> {
  return runStep(opts, {});
}

/** The post step with a given state (a main step's). */
export function runPostStep(opts: ActionRunOptions, state: Record<string, string>): Promise<StepResult> {
  return runStep(opts, state);
}
