// The acr credential source, and the azure OIDC provider, with the real @azure/identity pointed at a strict local Entra ID
// (AZURE_AUTHORITY_HOST, HTTPS with the lab CA through SSL_CERT_FILE) and the ACR exchange served
// by a lab ACR login server in front of a token registry that refuses anonymous and unknown
// credentials. The source's exchange reaches it under the ACR name (postVia), as the registry
// client's connections would with --registry-address.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { acrSource, ACR_TOKEN_USER } from '../../src/auth/acr.ts';
import { defaultAudience, mintRegistryCredential } from '../../src/auth/oidc/index.ts';
import type { Credential, LookupContext } from '../../src/auth/credential.ts';
import { isBuilderError } from '../../src/util/errors.ts';
import { FEDERATION_AUDIENCE, postVia, startAcrLoginServer, startAzureServer, startSilentEndpoint, type AzureServer } from '../support/azure-server.ts';
import { startOidcIssuer, type OidcIssuer } from '../support/oidc-issuer.ts';
import { startRegistry, type LabRegistry } from '../support/registry.ts';
import { labTempDir } from '../support/temp-dirs.ts';
import { removeTree } from '../support/mounts.ts';

const ACR = 'kilnlab.azurecr.io';
const TENANT = '72f988bf-0000-4000-8000-00000000cafe';
const WI_CLIENT = '11111111-2222-4333-8444-555555555555';
const SP_CLIENT = '66666666-7777-4888-8999-aaaaaaaaaaaa';
const SP_SECRET = 'kiln-lab~entra-client-secret-0123456789';
const SUBJECT = 'system:serviceaccount:ci:kiln-builder';
/** An app whose federated credential trusts the lab repository's main-branch GitHub jobs. */
const GH_CLIENT = 'bbbbbbbb-cccc-4ddd-8eee-ffffffffffff';
const GH_SUBJECT = 'repo:kiln-lab/app:ref:refs/heads/main';

/** Whether the lab token registry grants push for an ACR refresh token (the registry client's refresh_token grant). */
async function acrGrantsPush(reg: LabRegistry, cred: Credential, repository = 'acr/app'): Promise<boolean> {
  assert.equal(cred.kind, 'identityToken');
  const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: cred.identityToken, service: 'kiln-lab-registry', scope: `repository:${repository}:pull,push`, client_id: 'kiln' });
  const realm = reg.tokenServer!.realm;
  const res = await (await postVia(new URL(realm).host))(realm, form);
  return res.status === 200 && (JSON.parse(res.text) as { scope: string }).scope === `repository:${repository}:pull,push`;
}

describe('acr credential source', () => {
  let issuer: OidcIssuer;
  let azure: AzureServer;
  let reg: LabRegistry;
  let dir: string;
  let login: Awaited<ReturnType<typeof startAcrLoginServer>>;
  let via: LookupContext;
  const saved = { ...process.env };

  before(async () => {
    issuer = await startOidcIssuer();
    azure = await startAzureServer({
      tenant: TENANT,
      loginServer: ACR,
      apps: { [WI_CLIENT]: { federated: { issuer, subject: SUBJECT } }, [SP_CLIENT]: { secret: SP_SECRET }, [GH_CLIENT]: { federated: { issuer, subject: GH_SUBJECT } } },
    });
    reg = await startRegistry('token', { tls: true, anonymous: 'none', authenticate: () => undefined, routes: azure.exchangeRoute, verifyRefreshToken: azure.verifyRefreshToken });
    login = await startAcrLoginServer(azure, reg);
    via = { post: await postVia(login.host) };
    dir = await labTempDir('auth-acr');
    // Entra is HTTPS with the lab CA: trusted the way kiln trusts extra CAs for registries.
    process.env.SSL_CERT_FILE = reg.caFile;
    for (const k of Object.keys(process.env)) if (/^(AZURE_|IDENTITY_|MSI_|IMDS_)/.test(k)) delete process.env[k];
  });

  after(async () => {
    process.env = saved;
    await login?.stop();
    await reg?.stop();
    await azure?.stop();
    await issuer?.stop();
    if (dir) await removeTree(dir);
  });

  async function tokenFile(name: string, opts: Parameters<OidcIssuer['mint']>[0]): Promise<string> {
    const file = join(dir, name);
    await writeFile(file, await issuer.mint(opts));
    return file;
  }

  const wiEnv = (file: string) => ({ AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: WI_CLIENT, AZURE_FEDERATED_TOKEN_FILE: file, AZURE_AUTHORITY_HOST: azure.authorityHost });

  it('workload identity: the federated token file signs in, the exchange gives a refresh token the registry accepts', async () => {
    const file = await tokenFile('federated.jwt', { audience: FEDERATION_AUDIENCE, subject: SUBJECT });
    const answer = await acrSource(wiEnv(file)).lookup(ACR, undefined, via);
    assert.ok(answer && answer.credential.kind === 'identityToken');
    assert.equal(answer.credential.username, ACR_TOKEN_USER);
    assert.match(answer.why, /workload identity of AZURE_CLIENT_ID=11111111/);
    assert.ok(answer.expiresAt && answer.expiresAt > Date.now() + 2 * 3600_000, 'expiry from the refresh token');
    assert.equal(await acrGrantsPush(reg, answer.credential), true);
    assert.equal(await acrGrantsPush(reg, { kind: 'identityToken', identityToken: 'forged.refresh.token' }), false);
    assert.ok(azure.calls.includes(`POST /${TENANT}/oauth2/v2.0/token`) && azure.calls.includes('POST /oauth2/exchange'));
  });

  it('client secret: AZURE_CLIENT_SECRET signs in and the registry accepts the exchanged token', async () => {
    const answer = await acrSource({ AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: SP_CLIENT, AZURE_CLIENT_SECRET: SP_SECRET, AZURE_AUTHORITY_HOST: azure.authorityHost }).lookup(ACR, undefined, via);
    assert.ok(answer);
    assert.match(answer.why, /client secret of AZURE_CLIENT_ID=66666666/);
    assert.equal(await acrGrantsPush(reg, answer.credential), true);
  });

  it('a wrong client secret: one line naming acr and the host with Entra AADSTS text, never the secret', async () => {
    await assert.rejects(acrSource({ AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: SP_CLIENT, AZURE_CLIENT_SECRET: 'not-the-secret-value', AZURE_AUTHORITY_HOST: azure.authorityHost }).lookup(ACR, undefined, via), (err: unknown) => {
      assert.ok(isBuilderError(err, 'CREDENTIALS'));
      assert.match(err.message, /^acr: Entra ID refused the client secret of AZURE_CLIENT_ID=66666666-7777-4888-8999-aaaaaaaaaaaa for kilnlab\.azurecr\.io: .*AADSTS7000215/);
      assert.ok(!err.message.includes('\n') && !err.message.includes('not-the-secret-value'));
      return true;
    });
  });

  for (const [what, code, make] of [
    ['a token for another audience', 'AADSTS700212', () => issuer.mint({ audience: 'sts.amazonaws.com', subject: SUBJECT })],
    ['a token from a subject the app does not trust', 'AADSTS700213', () => issuer.mint({ audience: FEDERATION_AUDIENCE, subject: 'system:serviceaccount:evil:x' })],
    ['an expired token', 'AADSTS700024', () => issuer.mint({ audience: FEDERATION_AUDIENCE, subject: SUBJECT, lifetimeSeconds: -60 })],
    ['a token with a forged signature', 'AADSTS700027', async () => {
      const [h, p] = (await issuer.mint({ audience: FEDERATION_AUDIENCE, subject: SUBJECT })).split('.');
      return `${h}.${p}.${Buffer.from('forged-signature').toString('base64url')}`;
    }],
  ] as const) {
    it(`refuses ${what} in one line naming acr and the host, with Entra's ${code}`, async () => {
      const token = await make();
      const file = join(dir, `${code}.jwt`);
      await writeFile(file, token);
      await assert.rejects(acrSource(wiEnv(file)).lookup(ACR, undefined, via), (err: unknown) => {
        assert.ok(isBuilderError(err, 'CREDENTIALS'));
        assert.match(err.message, new RegExp(`^acr: Entra ID refused the workload identity .* for kilnlab\\.azurecr\\.io: .*${code}`));
        assert.ok(!err.message.includes('\n') && !err.message.includes(token));
        return true;
      });
    });
  }

  it('OIDC azure: the GitHub job token is the client assertion, then the same exchange; the registry accepts it', async () => {
    const spec = { provider: 'azure', clientId: GH_CLIENT, tenantId: TENANT, authorityHost: azure.authorityHost } as const;
    assert.equal(defaultAudience(spec), FEDERATION_AUDIENCE);
    const answer = await mintRegistryCredential({ registry: ACR, spec, subject: { kind: 'github' } }, issuer.githubEnv(), via);
    assert.equal(issuer.minted.at(-1)?.audience, FEDERATION_AUDIENCE);
    assert.ok(answer.credential.kind === 'identityToken' && answer.credential.username === ACR_TOKEN_USER);
    assert.equal(await acrGrantsPush(reg, answer.credential), true);
    assert.match(answer.why, /client assertion of bbbbbbbb-/);
  });

  it('OIDC azure: a token whose subject the app does not trust, a non-ACR host: one line each', async () => {
    const spec = { provider: 'azure', clientId: GH_CLIENT, tenantId: TENANT, authorityHost: azure.authorityHost } as const;
    const token = await issuer.mint({ audience: FEDERATION_AUDIENCE, shape: 'buildkite' });
    await assert.rejects(mintRegistryCredential({ registry: ACR, spec, subject: { kind: 'value', token } }, process.env, via), (err: unknown) => {
      assert.ok(isBuilderError(err, 'CREDENTIALS'));
      assert.match(err.message, /^oidc azure: Entra ID refused the OIDC token as client bbbbbbbb-cccc-4ddd-8eee-ffffffffffff of tenant .* for kilnlab\.azurecr\.io: .*AADSTS700213/);
      assert.ok(!err.message.includes('\n') && !err.message.includes(token));
      return true;
    });
    await assert.rejects(mintRegistryCredential({ registry: 'ghcr.io', spec, subject: { kind: 'value', token } }), (err: unknown) => isBuilderError(err, 'USAGE') && /ghcr\.io is not an Azure container registry/.test(err.message));
  });

  it('a managed identity endpoint that never answers: bounded, then the source passes', async () => {
    const silent = await startSilentEndpoint();
    process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = silent.url;
    process.env.IMDS_ENDPOINT = silent.url;
    try {
      const started = Date.now();
      assert.equal(await acrSource({ AZURE_AUTHORITY_HOST: azure.authorityHost }).lookup(ACR, undefined, via), undefined);
      assert.ok(Date.now() - started < 8000, `took ${Date.now() - started} ms`);
    } finally {
      delete process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST;
      delete process.env.IMDS_ENDPOINT;
      await silent.stop();
    }
  });
});
