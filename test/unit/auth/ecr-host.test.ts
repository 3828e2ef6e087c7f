import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEcrHost } from '../../../src/auth/ecr.ts';

test('ECR host names: account, region and FIPS come from the host; other hosts pass', () => {
  const table: Array<[string, ReturnType<typeof parseEcrHost>]> = [
    ['123456789012.dkr.ecr.us-east-1.amazonaws.com', { kind: 'private', account: '123456789012', region: 'us-east-1', fips: false }],
    ['123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com', { kind: 'private', account: '123456789012', region: 'us-gov-west-1', fips: true }],
    ['123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn', { kind: 'private', account: '123456789012', region: 'cn-north-1', fips: false }],
    ['123456789012.dkr.ecr.eusc-de-east-1.amazonaws.eu', { kind: 'private', account: '123456789012', region: 'eusc-de-east-1', fips: false }],
    ['123456789012.dkr-ecr.eu-west-1.on.aws', { kind: 'private', account: '123456789012', region: 'eu-west-1', fips: false }],
    ['123456789012.dkr-ecr-fips.us-east-2.on.aws', { kind: 'private', account: '123456789012', region: 'us-east-2', fips: true }],
    ['123456789012.dkr-ecr.cn-northwest-1.on.amazonwebservices.com.cn', { kind: 'private', account: '123456789012', region: 'cn-northwest-1', fips: false }],
    ['123456789012.DKR.ECR.US-WEST-2.AMAZONAWS.COM', { kind: 'private', account: '123456789012', region: 'us-west-2', fips: false }],
    ['https://123456789012.dkr.ecr.us-west-2.amazonaws.com/v2/', { kind: 'private', account: '123456789012', region: 'us-west-2', fips: false }],
    ['public.ecr.aws', { kind: 'public' }],
    // Not ECR: wrong account length, mixed dual-stack spelling, look-alike suffixes, other registries.
    ['12345678901.dkr.ecr.us-east-1.amazonaws.com', undefined],
    ['123456789012.dkr-ecr.us-east-1.amazonaws.com', undefined],
    ['123456789012.dkr.ecr.us-east-1.on.aws', undefined],
    ['123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example', undefined],
    ['evil.example/123456789012.dkr.ecr.us-east-1.amazonaws.com', undefined],
    ['123456789012.dkr.ecr..amazonaws.com', undefined],
    ['gallery.ecr.aws', undefined],
    ['127.0.0.1:5000', undefined],
    ['docker.io', undefined],
  ];
  for (const [host, want] of table) assert.deepEqual(parseEcrHost(host), want, host);
});
