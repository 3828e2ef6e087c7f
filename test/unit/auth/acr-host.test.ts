import { test } from 'node:test';
import assert from 'node:assert/strict';
import { acrSource, parseAcrHost } from '../../../src/auth/acr.ts';
import { DEFAULT_CREDENTIAL_HELPERS } from '../../../src/auth/builtins.ts';

test('ACR login servers: the cloud (and so the token audience) comes from the suffix; other hosts pass', () => {
  const table: Array<[string, string | undefined]> = [
    ['kilnlab.azurecr.io', 'https://management.azure.com'],
    ['KilnLab.AzureCR.io', 'https://management.azure.com'],
    ['kilnlab-a1b2c3d4e5f6.azurecr.io', 'https://management.azure.com'],
    ['kilnlab.westeurope.geo.azurecr.io', 'https://management.azure.com'],
    ['kilnlab.azurecr.cn', 'https://management.chinacloudapi.cn'],
    ['kilnlab.azurecr.us', 'https://management.usgovcloudapi.net'],
    // Not ACR: the bare suffix, look-alikes, a port, a path, closed or unknown clouds, other registries.
    ['azurecr.io', undefined],
    ['kilnlab.azurecr.io.evil.example', undefined],
    ['kilnlab.azurecr.io:443', undefined],
    ['evil.example/kilnlab.azurecr.io', undefined],
    ['kilnlab.azurecr.de', undefined],
    ['kilnlab.azurecr.com', undefined],
    ['-kilnlab.azurecr.io', undefined],
    ['kilnlab..azurecr.io', undefined],
    ['mcr.microsoft.com', undefined],
    ['127.0.0.1:5000', undefined],
  ];
  for (const [host, audience] of table) assert.equal(parseAcrHost(host)?.audience, audience, host);
});

test('acr is a built-in between ecr and gitlab, and claims only ACR hosts', async () => {
  const names = [...DEFAULT_CREDENTIAL_HELPERS];
  assert.deepEqual(names.slice(names.indexOf('ecr'), names.indexOf('ecr') + 3), ['ecr', 'acr', 'gitlab']);
  const source = acrSource({});
  assert.match(source.claims('kilnlab.azurecr.io') ?? '', /Azure container registry/);
  assert.equal(source.claims('ghcr.io'), undefined);
  assert.equal(await source.lookup('ghcr.io'), undefined);
});
