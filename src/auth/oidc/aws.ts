// AWS: the subject token is exchanged for a role's temporary keys (STS
// AssumeRoleWithWebIdentity, which needs no AWS credentials of its own), and those sign ECR's
// GetAuthorizationToken for the registry. The SDK reads AWS_ENDPOINT_URL_STS itself.
import { namedExports } from '../../util/package-import.ts';
import { BuilderError } from '../../util/errors.ts';
import { registerSecret } from '../../util/redact.ts';
import { awsErrorText, ecrAuthorization, parseEcrHost } from '../ecr.ts';
import type { Answer } from '../source.ts';
import type { OidcProviderSpec } from './types.ts';

type Spec = Extract<OidcProviderSpec, { provider: 'aws' }>;

/** The audience AWS STS expects in web identity tokens from GitHub and Buildkite. */
export function audienceFor(_spec: Spec): string {
  return 'sts.amazonaws.com';
}

export async function exchange(spec: Spec, registry: string, subjectToken: string): Promise<Answer> {
  const reg = parseEcrHost(registry);
  if (!reg) throw new BuilderError('USAGE', `oidc aws: ${registry} is not an ECR registry (<account>.dkr.ecr.<region>.amazonaws.com or public.ecr.aws)`);
  const region = spec.region ?? (reg.kind === 'private' ? reg.region : 'us-east-1');
  // Imported here, so that only a build minting AWS credentials loads the SDK.
  const { AssumeRoleWithWebIdentityCommand, STSClient } = namedExports(await import('@aws-sdk/client-sts'));
  const sts = new STSClient({ region });
  let keys;
  try {
    const out = await sts.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: spec.roleArn,
        RoleSessionName: spec.sessionName ?? 'kiln',
        WebIdentityToken: subjectToken,
        DurationSeconds: spec.durationSeconds,
      }),
    );
    keys = out.Credentials;
  } catch (err) {
    throw new BuilderError('CREDENTIALS', `oidc aws: AssumeRoleWithWebIdentity of ${spec.roleArn} for ${registry} refused: ${awsErrorText(err)}`);
  }
  if (!keys?.AccessKeyId || !keys.SecretAccessKey || !keys.SessionToken) {
    throw new BuilderError('CREDENTIALS', `oidc aws: AssumeRoleWithWebIdentity of ${spec.roleArn} for ${registry} returned no credentials`);
  }
  registerSecret(keys.SecretAccessKey);
  registerSecret(keys.SessionToken);
  try {
    const { credential, expiresAt } = await ecrAuthorization(registry, reg, {
      accessKeyId: keys.AccessKeyId,
      secretAccessKey: keys.SecretAccessKey,
      sessionToken: keys.SessionToken,
      expiration: keys.Expiration,
    });
    return { credential, expiresAt, why: `OIDC web identity as ${spec.roleArn}, then ECR GetAuthorizationToken for ${registry}` };
  } catch (err) {
    if (err instanceof BuilderError) throw err;
    throw new BuilderError('CREDENTIALS', `oidc aws: GetAuthorizationToken for ${registry} as ${spec.roleArn} failed: ${awsErrorText(err)}`);
  }
}
