// s3://BUCKET/KEY contexts, read as kaniko reads them: the AWS SDK's default credential chain
// and region (AWS_REGION, profiles, instance roles), S3_ENDPOINT for an S3-compatible service
// and S3_FORCE_PATH_STYLE=true for one that has no virtual-hosted buckets. The SDK itself also
// honours AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL.
// The SDK is imported when an s3:// context is opened: other builds do not load it.
import { namedExports } from '../util/package-import.ts';
import type { S3ServiceException } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { BuilderError } from '../util/errors.ts';

export async function openS3Object(bucket: string, key: string, spec: string, env: NodeJS.ProcessEnv = process.env): Promise<{ stream: Readable; size?: number }> {
  // The SDK's notice that its future releases need a newer node is for SDK users, not kiln's.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { GetObjectCommand, S3Client, S3ServiceException } = namedExports(await import('@aws-sdk/client-s3'));
  const client = new S3Client({
    ...(env.S3_ENDPOINT ? { endpoint: env.S3_ENDPOINT } : {}),
    forcePathStyle: env.S3_FORCE_PATH_STYLE === 'true',
    // A bucket in another region than the configured one answers with a redirect kaniko's SDK follows too.
    followRegionRedirects: true,
  });
  try {
    const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (!out.Body) throw new BuilderError('CONTEXT_INVALID', `--context=${spec}: S3 returned no body for s3://${bucket}/${key}`);
    const stream = out.Body as Readable;
    // The client's sockets outlive the object only as long as the body is being read.
    stream.once('close', () => client.destroy());
    return { stream, size: out.ContentLength };
  } catch (err) {
    client.destroy();
    throw s3Failure(err, err instanceof S3ServiceException ? err : undefined, bucket, key, spec);
  }
}

/** `service` is `err` when S3 itself answered (an S3ServiceException), else undefined. */
function s3Failure(err: unknown, service: S3ServiceException | undefined, bucket: string, key: string, spec: string): BuilderError {
  if (err instanceof BuilderError) return err;
  const where = `--context=${spec}`;
  const name = (err as { name?: string }).name ?? '';
  const message = (err as Error).message;
  if (service) {
    const status = service.$metadata.httpStatusCode;
    if (name === 'NoSuchBucket') return new BuilderError('CONTEXT_NOT_FOUND', `${where}: S3 bucket ${bucket} does not exist`, { cause: err });
    if (name === 'NoSuchKey' || status === 404) return new BuilderError('CONTEXT_NOT_FOUND', `${where}: no object ${key} in S3 bucket ${bucket}`, { cause: err });
    if (status === 401 || status === 403) {
      return new BuilderError('CREDENTIALS', `${where}: S3 refused access to s3://${bucket}/${key} (${name}: ${message})`, { cause: err });
    }
    return new BuilderError('CONTEXT_INVALID', `${where}: S3 GetObject failed (${status ?? '?'} ${name}: ${message})`, { cause: err });
  }
  if (name === 'CredentialsProviderError') {
    return new BuilderError('CREDENTIALS', `${where}: no AWS credentials found (${message})`, { cause: err });
  }
  if (/region is missing/i.test(message)) {
    return new BuilderError('CONTEXT_INVALID', `${where}: no AWS region configured (set AWS_REGION)`, { cause: err });
  }
  return new BuilderError('CONTEXT_INVALID', `${where}: cannot reach S3: ${message}`, { cause: err });
}
