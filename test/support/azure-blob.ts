// Azurite's blob service (the npm devDependency, Microsoft's own emulator) on a loopback port with
// a temp --location, for tests of Azure blob contexts. It checks shared-key signatures against
// its well-known development account, which is the only account it serves.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './lab-dir.ts';
import { removeTree } from './mounts.ts';
import { labTempDir } from './temp-dirs.ts';

/** Azurite's documented development account and key (public, the same in every Azurite). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const STARTUP_TIMEOUT_MS = 30_000;

export interface Azurite {
  /** The account's blob endpoint, `http://127.0.0.1:PORT/devstoreaccount1`. */
  blobEndpoint: string;
  /** A connection string for the endpoint; with `key` it carries AccountKey, without it only the endpoint and account. */
  connectionString(key?: string): string;
  stop(): Promise<void>;
}

export async function startAzurite(): Promise<Azurite> {
  const dir = await labTempDir('azurite');
  const bin = join(repoRoot, 'node_modules', '.bin', 'azurite-blob');
  const args = ['--blobHost', '127.0.0.1', '--blobPort', '0', '--location', dir, '--skipApiVersionCheck', '--disableTelemetry', '--silent'];
  // --pdeathsig: an Azurite outliving a killed test run would hold its port and directory.
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let port: number;
  try {
    port = await listeningPort(child);
  } catch (err) {
    child.kill('SIGKILL');
    await removeTree(dir);
    throw err;
  }
  const blobEndpoint = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  return {
    blobEndpoint,
    // With a key, the form Azurite's documentation gives.
    connectionString: (key) =>
      key
        ? `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${key};BlobEndpoint=${blobEndpoint};`
        : `BlobEndpoint=${blobEndpoint};AccountName=${AZURITE_ACCOUNT}`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
      await removeTree(dir);
    },
  };
}

/** The port from Azurite's "successfully listens on http://127.0.0.1:PORT" line. */
function listeningPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`azurite-blob did not start within ${STARTUP_TIMEOUT_MS} ms: ${output}`)), STARTUP_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      const m = /listens on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        child.stderr?.resume();
        resolve(Number(m[1]));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`azurite-blob exited (${code}) during startup: ${output}`));
    });
  });
}
