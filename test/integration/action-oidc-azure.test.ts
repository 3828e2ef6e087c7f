// OIDC -> ACR through the Action as the runner runs it: an `oidc: azure` entry becomes a kiln
// credential-helper recipe in the step's private DOCKER_CONFIG, and the executor's keychain mints
// at first use: the job's GitHub ID token (the local issuer behind ACTIONS_ID_TOKEN_REQUEST_URL)
// as the client assertion at the strict local Entra ID (azure-server.ts, AZURE_AUTHORITY_HOST),
// then POST /oauth2/exchange at the registry itself, which --registry-address routes to the lab
// ACR login server in front of a token registry that accepts only ACR refresh tokens issued there.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startAcrLoginServer, startAzureServer, type AzureServer } from '../support/azure-server.ts';
import { runAction, runMainStep, runPostStep, type StepResult } from '../support/github-runner.ts';
import { removeTree } from '../support/mounts.ts';
import { startOidcIssuer, type OidcIssuer } from '../support/oidc-issuer.ts';
import { startRegistry, type LabRegistry } from '../support/registry.ts';
import { labTempDir } from '../support/temp-dirs.ts';

const ACR = 'kilnlab.azurecr.io';
const TENANT = '72f988bf-0000-4000-8000-00000000cafe';
/** An app whose federated credential trusts the lab repository's main-branch GitHub jobs. */
const CLIENT = 'bbbbbbbb-cccc-4ddd-8eee-ffffffffffff';
const SUBJECT = 'repo:kiln-lab/app:ref:refs/heads/main';

let issuer: OidcIssuer;
let azure: AzureServer;
let reg: LabRegistry;
let login: Awaited<ReturnType<typeof startAcrLoginServer>>;
let root: string;

before(async () => {
  issuer = await startOidcIssuer();
  azure = await startAzureServer({ tenant: TENANT, loginServer: ACR, apps: { [CLIENT]: { federated: { issuer, subject: SUBJECT } } } });
  reg = await startRegistry('token', { tls: true, anonymous: 'none', authenticate: () => undefined, verifyRefreshToken: azure.verifyRefreshToken });
  login = await startAcrLoginServer(azure, reg);
  root = await labTempDir('action-azure');
});

after(async () => {
  await login?.stop();
  await reg?.stop();
  await azure?.stop();
  await issuer?.stop();
  if (root) await removeTree(root);
});

async function workspace(name: string): Promise<string> {
  const ws = join(root, name, 'workspace');
  await mkdir(ws, { recursive: true });
  await writeFile(join(ws, 'Dockerfile'), 'FROM scratch\nCOPY hello.txt /hello.txt\n');
  await writeFile(join(ws, 'hello.txt'), 'hello acr\n');
  return ws;
}

function stepEnv(): NodeJS.ProcessEnv {
  // Entra and the login server are HTTPS with the lab CA, trusted as kiln trusts extra CAs.
  return { ...issuer.githubEnv(), AZURE_AUTHORITY_HOST: azure.authorityHost, SSL_CERT_FILE: reg.caFile };
}

const inputs = (tag: string) => ({
  tags: tag,
  'azure-client-id': CLIENT,
  'azure-tenant-id': TENANT,
  'registry-auth': `- registry: ${ACR}\n  oidc: azure\n`,
  'extra-args': `--registry-address=${ACR}=${login.host}`,
});

function assertNoLeak(step: StepResult, secrets: string[]): void {
  for (const secret of secrets) for (const [where, text] of Object.entries({ ...step.files, log: step.log })) assert.ok(!text.includes(secret), `${where} holds a secret`);
}

describe('the Action with oidc: azure', () => {
  test('GitHub ID token -> Entra client assertion -> /oauth2/exchange on the registry -> push to ACR', { timeout: 300_000 }, async () => {
    const ws = await workspace('job');
    const minted = issuer.minted.length;
    const logged = reg.tokenServer!.log.length;
    const main = await runMainStep({ workspace: ws, env: stepEnv(), inputs: inputs(`${ACR}/gh/app:1`) });
    assert.equal(main.code, 0, main.log);
    // What the step leaves for the executor is a recipe, no secret.
    const docker = join(main.state.kilnDir, 'docker');
    assert.deepEqual(JSON.parse(readFileSync(join(docker, 'config.json'), 'utf8')).credHelpers, { [ACR]: 'kiln' });
    assert.ok(!readFileSync(join(docker, 'kiln-credential-helper.json'), 'utf8').includes('eyJ'));

    assert.deepEqual(issuer.minted.slice(minted).map((t) => t.audience).filter((a, i, all) => all.indexOf(a) === i), ['api://AzureADTokenExchange']);
    assert.ok(azure.calls.includes(`POST /${TENANT}/oauth2/v2.0/token`) && azure.calls.includes('POST /oauth2/exchange'), azure.calls.join('\n'));
    const pushes = reg.tokenServer!.log.slice(logged).filter((r) => r.status === 200 && r.scopes.some((s) => s.startsWith('repository:gh/app:') && s.includes('push')));
    assert.ok(pushes.length > 0 && pushes.every((r) => r.account === `acr:${CLIENT}`), JSON.stringify(pushes));
    assert.match(main.outputs.digest ?? '', /^sha256:[0-9a-f]{64}$/);
    assert.equal(main.outputs.images, `${ACR}/gh/app:1@${main.outputs.digest}`);
    assertNoLeak(main, [...issuer.minted.slice(minted).map((t) => t.token), issuer.githubRequestToken, ...azure.accessTokens.keys(), ...azure.refreshTokens.keys()]);

    const post = await runPostStep({ workspace: ws, inputs: {} }, main.state);
    assert.equal(post.code, 0, post.log);
    assert.equal(existsSync(main.state.kilnDir), false);
  });

  test('without id-token permission the azure entry fails in one line before the build', { timeout: 120_000 }, async () => {
    const ws = await workspace('no-oidc');
    const { main } = await runAction({ workspace: ws, env: { AZURE_AUTHORITY_HOST: azure.authorityHost }, inputs: inputs(`${ACR}/gh/none:1`) });
    assert.equal(main.code, 1);
    const errors = main.commands.filter((c) => c.command === 'error').map((c) => c.message);
    assert.deepEqual(errors, [`input registry-auth: ${ACR} (oidc: azure) needs the job's ID token, and ACTIONS_ID_TOKEN_REQUEST_URL is not set: add \`permissions: id-token: write\` to the job`]);
  });
});
