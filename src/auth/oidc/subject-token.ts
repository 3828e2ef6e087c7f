// The CI job's own OIDC token, read where each runner keeps it. Read on every mint: tokens are
// short-lived and files get rotated (kubelet, runners), so nothing here is cached.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { BuilderError } from '../../util/errors.ts';
import { registerSecret } from '../../util/redact.ts';
import type { SubjectTokenSource } from './types.ts';

/** How long the runner's token service or the agent may take to answer. */
const REQUEST_TIMEOUT_MS = 30_000;

/** GitHub Actions: what @actions/core's getIDToken does, with the job's request URL and bearer. */
async function githubToken(audience: string, env: NodeJS.ProcessEnv): Promise<string> {
  const url = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const bearer = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (!url || !bearer) {
    throw new BuilderError('CREDENTIALS', 'oidc: ACTIONS_ID_TOKEN_REQUEST_URL/ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set; the job needs `permissions: id-token: write`');
  }
  registerSecret(bearer);
  let res: Response;
  try {
    res = await fetch(`${url}&audience=${encodeURIComponent(audience)}`, {
      headers: { authorization: `Bearer ${bearer}`, accept: 'application/json' },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (err) {
    throw new BuilderError('CREDENTIALS', `oidc: GitHub's ID token service is unreachable: ${(err as Error).message}`);
  }
  if (!res.ok) throw new BuilderError('CREDENTIALS', `oidc: GitHub's ID token service answered ${res.status} for audience ${audience}`);
  const body = (await res.json().catch(() => undefined)) as { value?: unknown } | undefined;
  if (typeof body?.value !== 'string' || !body.value) throw new BuilderError('CREDENTIALS', "oidc: GitHub's ID token service answered without a token");
  return body.value;
}

/** Buildkite: the agent on PATH mints a token for the job it runs. */
function buildkiteToken(audience: string, lifetimeSeconds: number | undefined, env: NodeJS.ProcessEnv): Promise<string> {
  const args = ['oidc', 'request-token', '--audience', audience];
  if (lifetimeSeconds !== undefined) args.push('--lifetime', String(lifetimeSeconds));
  return new Promise((resolve, reject) => {
    execFile('buildkite-agent', args, { env, timeout: REQUEST_TIMEOUT_MS, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) {
        const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'buildkite-agent is not on PATH' : stderr.trim().split('\n')[0] || err.message;
        reject(new BuilderError('CREDENTIALS', `oidc: buildkite-agent oidc request-token failed: ${why}`));
        return;
      }
      const token = stdout.trim();
      if (!token) reject(new BuilderError('CREDENTIALS', 'oidc: buildkite-agent oidc request-token printed no token'));
      else resolve(token);
    });
  });
}

async function fileToken(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new BuilderError('CREDENTIALS', `oidc: cannot read the token file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const token = text.trim();
  if (!token) throw new BuilderError('CREDENTIALS', `oidc: the token file ${path} is empty`);
  return token;
}

/**
 * The subject token for `audience` (a source's own `audience` wins: the user asked for it).
 * File and value tokens were minted for whatever audience their issuer chose.
 */
export async function readSubjectToken(source: SubjectTokenSource, audience: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  let token: string;
  switch (source.kind) {
    case 'github':
      token = await githubToken(source.audience ?? audience, env);
      break;
    case 'buildkite':
      token = await buildkiteToken(source.audience ?? audience, source.lifetimeSeconds, env);
      break;
    case 'file':
      token = await fileToken(source.path);
      break;
    case 'value':
      token = source.token;
      break;
  }
  registerSecret(token);
  return token;
}
