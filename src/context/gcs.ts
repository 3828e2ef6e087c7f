// gs://BUCKET/KEY contexts, read as kaniko reads them: @google-cloud/storage with Application
// Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud's file, the metadata server).
// STORAGE_EMULATOR_HOST (read by the SDK itself) points it at another endpoint. There kiln still
// sends the credentials ADC finds (useAuthWithCustomEndpoint), since an endpoint that is not an
// emulator (a private service connect address, a test server) checks them; only when ADC finds
// none does it go anonymous, as the SDKs (kaniko's Go one too) always do for an emulator.
// The object's metadata is read first: a missing bucket or object or a refused token is then an
// error before any byte is extracted, and the media read is pinned to that generation.
import { namedExports } from '../util/package-import.ts';
import { PassThrough, type Readable } from 'node:stream';
import type { ApiError, Storage, StorageOptions } from '@google-cloud/storage';
import { BuilderError } from '../util/errors.ts';
import { redact, registerSecret } from '../util/redact.ts';
import { withTimeout } from '../util/timeout.ts';

/** Off GCP nothing answers at the metadata address; waiting longer only delays the error. */
const CREDENTIALS_TIMEOUT_MS = 10_000;
const NO_CREDENTIALS = 'no Google credentials found (set GOOGLE_APPLICATION_CREDENTIALS, or run where the metadata server answers)';

export async function openGcsObject(bucket: string, key: string, spec: string): Promise<{ stream: Readable; size?: number }> {
  const where = `--context=${spec}`;
  const storage = await storageClient(where);
  let file;
  let size: number | undefined;
  try {
    const [metadata] = await storage.bucket(bucket).file(key).getMetadata();
    file = storage.bucket(bucket).file(key, metadata.generation === undefined ? {} : { generation: metadata.generation });
    size = metadata.size === undefined ? undefined : Number(metadata.size);
  } catch (err) {
    throw gcsFailure(err, bucket, key, where);
  }
  // The SDK checks the CRC32C GCS sends against the bytes; a mismatch ends the stream with an error.
  const source = file.createReadStream();
  const stream = new PassThrough();
  source.once('error', (err) => stream.destroy(gcsFailure(err, bucket, key, where)));
  source.pipe(stream);
  return { stream, size };
}

/** A client whose access token is known (and registered as a secret) before any request. */
async function storageClient(where: string): Promise<Storage> {
  // Loaded on use: the SDK is large and most builds never read a gs:// context.
  const { Storage } = namedExports(await import('@google-cloud/storage'));
  const options: StorageOptions = { retryOptions: { maxRetries: 2, totalTimeout: 60 } };
  const storage = new Storage({ ...options, useAuthWithCustomEndpoint: true });
  // The SDK's requests reuse this client's cached token.
  const token = await withTimeout(storage.authClient.getAccessToken().catch((err: unknown) => err as Error), CREDENTIALS_TIMEOUT_MS);
  if (typeof token === 'string') {
    registerSecret(token);
    return storage;
  }
  const missing = token === undefined || token === null || /Could not load the default credentials/i.test(token.message);
  if (missing && process.env.STORAGE_EMULATOR_HOST !== undefined) return new Storage(options);
  if (missing) throw new BuilderError('CREDENTIALS', `${where}: ${NO_CREDENTIALS}`);
  throw new BuilderError('CREDENTIALS', redact(`${where}: Google credentials refused: ${firstLine(token.message)}`), { cause: token });
}

function gcsFailure(err: unknown, bucket: string, key: string, where: string): BuilderError {
  if (err instanceof BuilderError) return err;
  const api = err as Partial<ApiError>;
  const message = redact(firstLine((err as Error).message));
  const object = `gs://${bucket}/${key}`;
  const opts = { cause: err };
  if (api.code === 404) {
    return /bucket does not exist/i.test(message)
      ? new BuilderError('CONTEXT_NOT_FOUND', `${where}: GCS bucket ${bucket} does not exist`, opts)
      : new BuilderError('CONTEXT_NOT_FOUND', `${where}: no object ${key} in GCS bucket ${bucket}`, opts);
  }
  if (api.code === 401 || api.code === 403) return new BuilderError('CREDENTIALS', `${where}: GCS refused access to ${object} (${api.code} ${message})`, opts);
  if (typeof api.code === 'number') return new BuilderError('CONTEXT_INVALID', `${where}: GCS answered ${api.code} for ${object}: ${message}`, opts);
  if (/does not match|mismatch/i.test(message)) return new BuilderError('CONTEXT_INVALID', `${where}: ${object}: the bytes received do not match GCS's checksum`, opts);
  return new BuilderError('CONTEXT_NOT_FOUND', `${where}: cannot reach GCS for ${object}: ${message}`, opts);
}

function firstLine(text: string): string {
  return text.split('\n')[0];
}
