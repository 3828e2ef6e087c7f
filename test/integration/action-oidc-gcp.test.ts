// OIDC -> Artifact Registry through the Action as the runner runs it: the step's GitHub ID token
// (the local issuer behind ACTIONS_ID_TOKEN_REQUEST_URL) goes through the strict local Google STS
// and generateAccessToken (gcp-server.ts, reached through gcloud's endpoint overrides) for the
// gcp-workload-identity-provider / gcp-service-account inputs; the lab token registry stands in
// for us-docker.pkg.dev (--registry-address) and accepts only access tokens issued there.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pushBaseImage } from '../support/base-images.ts';
import { run } from '../support/exec.ts';
import { startGcpServer, type GcpServer } from '../support/gcp-server.ts';
import { runAction, type StepResult } from '../support/github-runner.ts';
import { removeTree } from '../support/mounts.ts';
import { startOidcIssuer, type OidcIssuer } from '../support/oidc-issuer.ts';
import { startRegistry, type LabRegistry } from '../support/registry.ts';
import { labTempDir } from '../support/temp-dirs.ts';

const PASSWORD = randomBytes(12).toString('hex');
const RESOURCE = 'projects/123456789/locations/global/workloadIdentityPools/kiln-lab/providers/github';
const SERVICE_ACCOUNT = 'pusher@kiln-lab.iam.gserviceaccount.com';
const GAR = 'us-docker.pkg.dev';

let issuer: OidcIssuer;
let gcp: GcpServer;
let reg: LabRegistry;
let base: string;
let root: string;

before(async () => {
  issuer = await startOidcIssuer();
  gcp = await startGcpServer({ issuer, workloadIdentityProvider: `//iam.googleapis.com/${RESOURCE}`, serviceAccount: SERVICE_ACCOUNT });
  reg = await startRegistry('token', { users: { lab: PASSWORD }, anonymous: 'none', authenticate: (u, p) => (u === 'lab' && p === PASSWORD ? 'lab' : gcp.authenticate(u, p)) });
  base = await pushBaseImage(reg, 'busybox');
  root = await labTempDir('action-gcp');
});

after(async () => {
  await reg?.stop();
  await gcp?.stop();
  await issuer?.stop();
  if (root) await removeTree(root);
});

function assertNoLeak(step: StepResult, secrets: string[]): void {
  for (const secret of secrets) for (const [where, text] of Object.entries({ ...step.files, log: step.log })) assert.ok(!text.includes(secret), `${where} holds a secret`);
}

describe('the Action with oidc: gcp', () => {
  test('GitHub ID token -> STS -> generateAccessToken as the service account -> push to Artifact Registry', { timeout: 300_000 }, async () => {
    const ws = join(root, 'job', 'workspace');
    await mkdir(ws, { recursive: true });
    await writeFile(join(ws, 'Dockerfile'), `FROM ${base}\nCOPY hello.txt /hello.txt\n`);
    await writeFile(join(ws, 'hello.txt'), 'hello gar\n');
    const tag = `${GAR}/kiln-lab/images/app:1`;
    const minted = issuer.minted.length;
    const logged = reg.tokenServer!.log.length;
    const { main, post } = await runAction({
      workspace: ws,
      env: { ...issuer.githubEnv(), CLOUDSDK_API_ENDPOINT_OVERRIDES_STS: `${gcp.url}/`, CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS: gcp.url },
      inputs: {
        tags: tag,
        'gcp-workload-identity-provider': RESOURCE,
        'gcp-service-account': SERVICE_ACCOUNT,
        // The base image comes from the lab registry under its own name, with a static login.
        'registry-auth': `- registry: ${GAR}\n  oidc: gcp\n- registry: ${reg.host}\n  username: lab\n  password: ${PASSWORD}\n`,
        'extra-args': `--registry-address=${GAR}=${reg.host} --insecure-registry=${GAR}`,
      },
    });
    assert.equal(main.code, 0, main.log);
    assert.equal(post.code, 0, post.log);
    assert.deepEqual(issuer.minted.slice(minted).map((t) => t.audience), [`https://iam.googleapis.com/${RESOURCE}`]);
    const tokens = [...gcp.issued.entries()];
    assert.deepEqual(tokens.map(([, t]) => [t.via, t.account]).filter(([via]) => via === 'impersonation'), [['impersonation', SERVICE_ACCOUNT]]);

    // The push was granted to the impersonated service account, not to the static login.
    const pushes = reg.tokenServer!.log.slice(logged).filter((r) => r.status === 200 && r.scopes.some((sc) => sc.startsWith('repository:kiln-lab/images/app:') && sc.includes('push')));
    assert.ok(pushes.length > 0 && pushes.every((r) => r.account === SERVICE_ACCOUNT), JSON.stringify(pushes));

    const raw = (await run('skopeo', ['inspect', '--raw', '--tls-verify=false', '--creds', `lab:${PASSWORD}`, `docker://${reg.host}/kiln-lab/images/app:1`])).stdout;
    assert.equal(main.outputs.digest, `sha256:${createHash('sha256').update(raw).digest('hex')}`);
    assert.equal(main.outputs.images, `${tag}@${main.outputs.digest}`);
    const secrets = [PASSWORD, ...tokens.map(([token]) => token), ...issuer.minted.slice(minted).map((t) => t.token), issuer.githubRequestToken];
    for (const [token, t] of tokens) if (t.via === 'impersonation') assert.ok(main.masks.includes(token), 'the access token is masked');
    assertNoLeak(main, secrets);
    assert.equal(existsSync(main.state.kilnDir), false);
  });
});
