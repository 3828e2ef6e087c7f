// The docker-credential-helpers protocol: run `docker-credential-NAME get`, write the server URL
// on stdin, read {"ServerURL","Username","Secret"} on stdout. A helper that has nothing for the
// server says "credentials not found" and exits non-zero; that is an answer, not a failure.
import { spawn } from 'node:child_process';
import { BuilderError } from '../util/errors.ts';
import { registerSecret } from '../util/redact.ts';
import type { Credential } from './credential.ts';

const NOT_FOUND = /credentials not found/i;
const HELPER_TIMEOUT_MS = 60_000;
// Username a helper returns when the secret is an identity (refresh) token, not a password.
const IDENTITY_TOKEN_USER = '<token>';

interface HelperOutput {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runHelper(program: string, input: string): Promise<HelperOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, ['get'], { stdio: ['pipe', 'pipe', 'pipe'] });
    // Our own timer, not spawn's `timeout`: that one is only cleared on exit, and a helper that
    // could not start never exits, which would hold the process open for the whole timeout.
    const timer = setTimeout(() => child.kill('SIGKILL'), HELPER_TIMEOUT_MS);
    timer.unref();
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    // A helper that exits without reading stdin makes this write fail with EPIPE; the exit code tells.
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

/** Asks `docker-credential-<helper>` for the credentials of `serverUrl`; undefined when it has none. */
export async function helperGet(helper: string, serverUrl: string): Promise<Credential | undefined> {
  const program = `docker-credential-${helper}`;
  let out: HelperOutput;
  try {
    out = await runHelper(program, serverUrl);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'not found on PATH' : `could not run (${code ?? 'error'})`;
    throw new BuilderError('CREDENTIALS', `credential helper ${program} for ${serverUrl}: ${why}`, { cause: err });
  }
  if (out.code !== 0) {
    if (NOT_FOUND.test(out.stdout) || NOT_FOUND.test(out.stderr)) return undefined;
    // The helper's own words, first line only: helpers print errors, not secrets, on failure.
    const said = (out.stderr.trim() || out.stdout.trim()).split('\n')[0]?.slice(0, 200) ?? '';
    throw new BuilderError(
      'CREDENTIALS',
      `credential helper ${program} failed for ${serverUrl} (exit ${out.code ?? 'signal'})${said ? `: ${said}` : ''}`,
    );
  }
  let parsed: { Username?: unknown; Secret?: unknown };
  try {
    parsed = JSON.parse(out.stdout) as typeof parsed;
  } catch {
    throw new BuilderError('CREDENTIALS', `credential helper ${program} printed something other than JSON for ${serverUrl}`);
  }
  const username = typeof parsed.Username === 'string' ? parsed.Username : '';
  const secret = typeof parsed.Secret === 'string' ? parsed.Secret : '';
  registerSecret(secret);
  if (secret === '') return undefined;
  if (username === IDENTITY_TOKEN_USER) return { kind: 'identityToken', identityToken: secret };
  return { kind: 'basic', username, password: secret };
}
