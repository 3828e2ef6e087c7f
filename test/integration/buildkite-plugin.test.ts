// Runs test/bats/buildkite-plugin.bats (bats-support/bats-assert) so `npm test` counts it: once
// per shell the agent may source the hooks with (busybox sh, dash, bash), against a lab registry
// with basic auth and the fake buildkite-agent; kiln itself is the real one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startRegistry, type LabRegistry } from '../support/registry.ts';
import { pushBaseImage } from '../support/base-images.ts';
import { fakeBuildkiteAgent, type FakeAgent } from '../support/buildkite-agent.ts';
import { repoRoot } from '../support/lab-dir.ts';
import { labTempDir } from '../support/temp-dirs.ts';
import { startOidcIssuer, type OidcIssuer } from '../support/oidc-issuer.ts';
import { startAwsServer, type AwsServer } from '../support/aws-server.ts';

const ACCOUNT = '210987654321';
const ECR_HOST = `${ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com`;
const ECR_ROLE = `arn:aws:iam::${ACCOUNT}:role/kiln-buildkite`;
const PACKAGES_AUDIENCE = 'https://packages.buildkite.com/kiln-lab/images';

let reg: LabRegistry;
let issuer: OidcIssuer;
let aws: AwsServer;
/** Accepts only what OIDC minted: ECR passwords from the AWS server, job tokens for the Packages audience. */
let oidcReg: LabRegistry;
let agent: FakeAgent;
let executor: string;
let base: string;

before(async () => {
  reg = await startRegistry('tls-basic');
  base = await pushBaseImage(reg, 'busybox');
  issuer = await startOidcIssuer();
  aws = await startAwsServer({ roles: { [ECR_ROLE]: { issuer: issuer.issuer, subjects: ['organization:kiln-lab:*'], account: ACCOUNT } } });
  const packagesToken = async (user: string, password: string) =>
    user === 'buildkite' && (await issuer.verify(password, PACKAGES_AUDIENCE).catch(() => undefined)) ? 'buildkite-packages' : undefined;
  oidcReg = await startRegistry('token', { tls: true, anonymous: 'none', authenticate: async (u, p) => aws.accepts(u, p) ?? packagesToken(u, p) });
  agent = await fakeBuildkiteAgent({ tokenUrl: issuer.buildkiteTokenUrl });
  // The plugin's `executor` option: this checkout's kiln (the bundle npm test built, or the sources;
  // tsx by its full URL since the hooks run in the test's temp dirs).
  executor = join(await labTempDir('buildkite-kiln'), 'kiln');
  const entry = process.env.KILN_BIN ? `'${process.env.KILN_BIN}'` : `--import '${import.meta.resolve('tsx')}' '${join(repoRoot, 'src/cli/main.ts')}'`;
  await writeFile(executor, `#!/bin/sh\nexec '${process.execPath}' ${entry} "$@"\n`);
  await chmod(executor, 0o755);
});

after(async () => {
  await oidcReg?.stop();
  await aws?.stop();
  await issuer?.stop();
  await reg?.stop();
});

function bats(shell: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    // BATS_FILTER (a regex over the case names) runs some cases only, while working on them.
    const filter = process.env.BATS_FILTER ? ['--filter', process.env.BATS_FILTER] : [];
    const child = spawn('bats', ['--tap', ...filter, join(repoRoot, 'test/bats/buildkite-plugin.bats')], {
      cwd: repoRoot,
      env: {
        ...process.env,
        PATH: `${agent.binDir}:${process.env.PATH ?? ''}`,
        REPO: repoRoot,
        HOOK_SHELL: shell,
        REGISTRY: reg.host,
        BASE_IMAGE: base,
        AGENT_DIR: agent.dir,
        KILN_EXECUTOR: executor,
        REG_USER: reg.username,
        REG_PASSWORD: reg.password,
        REG_AUTHFILE: reg.authFile,
        SSL_CERT_FILE: reg.caFile,
        OIDC_REGISTRY: oidcReg.host,
        ECR_HOST,
        ECR_ROLE,
        ...aws.endpointEnv(),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

for (const shell of ['busybox sh', 'dash', 'bash']) {
  test(`plugin hooks under ${shell} (bats)`, { timeout: 600_000 }, async () => {
    const { code, out } = await bats(shell);
    process.stdout.write(out.replace(/^/gm, '# '));
    assert.equal(code, 0, out);
    assert.match(out, /^1\.\.[1-9]/m);
  });
}
