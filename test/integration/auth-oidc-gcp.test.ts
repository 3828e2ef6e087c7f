// The gcp OIDC provider end to end: GitHub-shaped and Buildkite-shaped subject tokens from the
// local issuer, exchanged by google-auth-library's external-account client at the strict local
// STS (and IAM credentials for impersonation), reached through gcloud's endpoint overrides; the
// access token is then offered to a lab token registry that accepts only tokens issued there.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultAudience, mintRegistryCredential } from '../../src/auth/oidc/index.ts';
import type { Credential } from '../../src/auth/credential.ts';
import { isBuilderError } from '../../src/util/errors.ts';
import { startGcpServer, type GcpServer } from '../support/gcp-server.ts';
import { startOidcIssuer, type OidcIssuer } from '../support/oidc-issuer.ts';
import { startRegistry, type LabRegistry } from '../support/registry.ts';
import { labTempDir } from '../support/temp-dirs.ts';
import { removeTree } from '../support/mounts.ts';

const RESOURCE = 'projects/123456789/locations/global/workloadIdentityPools/kiln-lab/providers/github';
const SERVICE_ACCOUNT = 'pusher@kiln-lab.iam.gserviceaccount.com';
const GAR = 'us-docker.pkg.dev';

async function registryGrantsPush(reg: LabRegistry, cred: Credential): Promise<boolean> {
  assert.equal(cred.kind, 'basic');
  const res = await fetch(`${reg.tokenServer!.realm}?service=kiln-lab-registry&scope=repository:gar/app:pull,push`, {
    headers: { authorization: `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}` },
  });
  return res.status === 200 && ((await res.json()) as { scope: string }).scope === 'repository:gar/app:pull,push';
}

describe('OIDC -> GCP workload identity federation -> Artifact Registry', () => {
  let issuer: OidcIssuer;
  let gcp: GcpServer;
  let reg: LabRegistry;
  let dir: string;
  let endpoints: NodeJS.ProcessEnv;

  before(async () => {
    issuer = await startOidcIssuer();
    gcp = await startGcpServer({ issuer, workloadIdentityProvider: `//iam.googleapis.com/${RESOURCE}`, serviceAccount: SERVICE_ACCOUNT });
    reg = await startRegistry('token', { anonymous: 'none', authenticate: gcp.authenticate });
    dir = await labTempDir('auth-oidc-gcp');
    endpoints = { CLOUDSDK_API_ENDPOINT_OVERRIDES_STS: `${gcp.url}/`, CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS: gcp.url };
  });

  after(async () => {
    await reg?.stop();
    await gcp?.stop();
    await issuer?.stop();
    if (dir) await removeTree(dir);
  });

  it('asks for the provider resource URL as the audience, with or without the //iam.googleapis.com/ prefix', () => {
    assert.equal(defaultAudience({ provider: 'gcp', workloadIdentityProvider: RESOURCE }), `https://iam.googleapis.com/${RESOURCE}`);
    assert.equal(defaultAudience({ provider: 'gcp', workloadIdentityProvider: `//iam.googleapis.com/${RESOURCE}` }), `https://iam.googleapis.com/${RESOURCE}`);
  });

  it('GitHub token -> STS federated token the registry accepts', async () => {
    const answer = await mintRegistryCredential({ registry: GAR, spec: { provider: 'gcp', workloadIdentityProvider: RESOURCE }, subject: { kind: 'github' } }, { ...issuer.githubEnv(), ...endpoints });
    assert.equal(issuer.minted.at(-1)?.audience, `https://iam.googleapis.com/${RESOURCE}`);
    assert.equal(answer.credential.kind === 'basic' && answer.credential.username, 'oauth2accesstoken');
    const issued = answer.credential.kind === 'basic' ? gcp.issued.get(answer.credential.password) : undefined;
    assert.equal(issued?.via, 'sts');
    assert.match(issued.account, /^principal:\/\/iam\.googleapis\.com\/projects\/123456789\/locations\/global\/workloadIdentityPools\/kiln-lab\/subject\/repo:kiln-lab\/app:/);
    assert.ok(answer.expiresAt && Math.abs(answer.expiresAt - issued.expiresAt) < 60_000);
    assert.equal(await registryGrantsPush(reg, answer.credential), true);
    assert.equal(await registryGrantsPush(reg, { kind: 'basic', username: 'oauth2accesstoken', password: 'ya29.made-up' }), false);
  });

  it('a token file -> STS -> generateAccessToken as the service account', async () => {
    const file = join(dir, 'subject.jwt');
    await writeFile(file, await issuer.mint({ audience: `https://iam.googleapis.com/${RESOURCE}`, shape: 'buildkite' }));
    const answer = await mintRegistryCredential({ registry: GAR, spec: { provider: 'gcp', workloadIdentityProvider: RESOURCE, serviceAccount: SERVICE_ACCOUNT }, subject: { kind: 'file', path: file } }, endpoints);
    const issued = answer.credential.kind === 'basic' ? gcp.issued.get(answer.credential.password) : undefined;
    assert.deepEqual([issued?.via, issued?.account], ['impersonation', SERVICE_ACCOUNT]);
    assert.match(answer.why, /impersonating pusher@kiln-lab/);
    assert.equal(await registryGrantsPush(reg, answer.credential), true);
  });

  for (const [what, mint] of [
    ['a token for another audience', { audience: 'sts.amazonaws.com', shape: 'github' }],
    ['an expired token', { audience: `https://iam.googleapis.com/${RESOURCE}`, shape: 'github', lifetimeSeconds: -60 }],
  ] as const) {
    it(`refuses ${what} in one line naming gcp, the provider and the host, with STS's reason`, async () => {
      const token = await issuer.mint(mint);
      const refusals = gcp.refusals.length;
      await assert.rejects(mintRegistryCredential({ registry: GAR, spec: { provider: 'gcp', workloadIdentityProvider: RESOURCE }, subject: { kind: 'value', token } }, endpoints), (err: unknown) => {
        assert.ok(isBuilderError(err, 'CREDENTIALS'));
        assert.match(err.message, new RegExp(`^oidc gcp: STS exchange for ${RESOURCE.replace(/\//g, '\\/')} refused for us-docker\\.pkg\\.dev: .*invalid_grant`));
        assert.ok(err.message.includes(gcp.refusals[refusals]!), 'STS error text passed through');
        assert.ok(!err.message.includes('\n') && !err.message.includes(token));
        return true;
      });
    });
  }

  it('a registry that is not Google: a usage line', async () => {
    await assert.rejects(mintRegistryCredential({ registry: 'ghcr.io', spec: { provider: 'gcp', workloadIdentityProvider: RESOURCE }, subject: { kind: 'value', token: 'x.y.z' } }), (err: unknown) => isBuilderError(err, 'USAGE') && /ghcr\.io is not a Google registry/.test(err.message));
  });
});
