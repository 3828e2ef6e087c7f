// examples/buildkite/ is checked, not just shown: every kiln plugin block of the example pipelines
// validates against plugin.yml's schema with the plugin's own validator, and every Kubernetes
// object (the manifests, the agent-stack-k8s podSpec) passes a strict check of the fields the
// examples use. kubectl is not installable here; the check refuses unknown keys, so a typo or an
// unchecked field fails the test instead of slipping through.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load, loadAll } from 'js-yaml';
import { loadSchema, validateConfig } from '../../../../src/ci/buildkite/config.ts';
import { repoRoot } from '../../../support/lab-dir.ts';

const dir = join(repoRoot, 'examples/buildkite');
const schema = loadSchema(repoRoot);
const KILN_PLUGIN = /^kiln-build\/kiln#v[0-9]+(\.[0-9]+)*$/;
const EXECUTOR_IMAGE = /^ghcr\.io\/kiln-build\/kiln-executor:v[0-9]/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

type Obj = Record<string, unknown>;

function obj(value: unknown, where: string, allowed: string[], required: string[] = []): Obj {
  assert.ok(value !== null && typeof value === 'object' && !Array.isArray(value), `${where}: not an object`);
  const o = value as Obj;
  for (const key of Object.keys(o)) assert.ok(allowed.includes(key), `${where}.${key}: not a field the check knows`);
  for (const key of required) assert.ok(o[key] !== undefined, `${where}.${key}: missing`);
  return o;
}

function list(value: unknown, where: string): unknown[] {
  assert.ok(Array.isArray(value), `${where}: not a list`);
  return value;
}

function strings(value: unknown, where: string): string[] {
  const items = list(value, where);
  items.forEach((s, i) => assert.equal(typeof s, 'string', `${where}[${i}]: not a string`));
  return items as string[];
}

function stringMap(value: unknown, where: string): Record<string, string> {
  const o = obj(value, where, Object.keys(value as Obj));
  for (const [k, v] of Object.entries(o)) assert.equal(typeof v, 'string', `${where}.${k}: not a string`);
  return o as Record<string, string>;
}

function metadata(value: unknown, where: string): Obj {
  const m = obj(value, where, ['name', 'namespace', 'annotations', 'labels'], ['name']);
  assert.match(String(m.name), DNS_LABEL, `${where}.name`);
  if (m.annotations !== undefined) stringMap(m.annotations, `${where}.annotations`);
  return m;
}

/** Nothing privileged: the point of the examples is a default container. */
function securityContext(value: unknown, where: string): void {
  const s = obj(value, where, ['privileged', 'allowPrivilegeEscalation', 'runAsUser']);
  assert.notEqual(s.privileged, true, `${where}.privileged: the examples run without it`);
  if (s.allowPrivilegeEscalation !== undefined) assert.equal(typeof s.allowPrivilegeEscalation, 'boolean', `${where}.allowPrivilegeEscalation`);
}

function container(value: unknown, where: string, volumes: Set<string>, named: boolean): Obj {
  const c = obj(value, where, ['name', 'image', 'args', 'command', 'env', 'volumeMounts', 'securityContext', 'resources'], named ? ['name', 'image'] : ['image']);
  if (c.name !== undefined) assert.match(String(c.name), DNS_LABEL, `${where}.name`);
  assert.equal(typeof c.image, 'string', `${where}.image`);
  if (c.args !== undefined) strings(c.args, `${where}.args`);
  if (c.command !== undefined) strings(c.command, `${where}.command`);
  list(c.env ?? [], `${where}.env`).forEach((e, i) => {
    const v = obj(e, `${where}.env[${i}]`, ['name', 'value'], ['name', 'value']);
    assert.equal(typeof v.value, 'string', `${where}.env[${i}].value: not a string`);
  });
  list(c.volumeMounts ?? [], `${where}.volumeMounts`).forEach((m, i) => {
    const v = obj(m, `${where}.volumeMounts[${i}]`, ['name', 'mountPath', 'readOnly'], ['name', 'mountPath']);
    assert.ok(volumes.has(String(v.name)), `${where}.volumeMounts[${i}].name: no volume ${String(v.name)}`);
  });
  if (c.securityContext !== undefined) securityContext(c.securityContext, `${where}.securityContext`);
  if (c.resources !== undefined) {
    const r = obj(c.resources, `${where}.resources`, ['requests', 'limits']);
    for (const k of ['requests', 'limits']) if (r[k] !== undefined) obj(r[k], `${where}.resources.${k}`, ['cpu', 'memory', 'ephemeral-storage']);
  }
  return c;
}

/** A PodSpec; `named` is false for agent-stack-k8s, which names the command containers itself. */
function podSpec(value: unknown, where: string, serviceAccounts: Set<string> | undefined, named: boolean): Obj[] {
  const p = obj(value, where, ['serviceAccountName', 'restartPolicy', 'nodeSelector', 'initContainers', 'containers', 'volumes', 'securityContext'], ['containers']);
  if (serviceAccounts) assert.ok(serviceAccounts.has(String(p.serviceAccountName)), `${where}.serviceAccountName: no ServiceAccount ${String(p.serviceAccountName)} in the file`);
  else if (p.serviceAccountName !== undefined) assert.match(String(p.serviceAccountName), DNS_LABEL, `${where}.serviceAccountName`);
  if (p.restartPolicy !== undefined) assert.ok(['Never', 'OnFailure'].includes(String(p.restartPolicy)), `${where}.restartPolicy: Never or OnFailure for a build`);
  if (p.nodeSelector !== undefined) stringMap(p.nodeSelector, `${where}.nodeSelector`);
  if (p.securityContext !== undefined) securityContext(p.securityContext, `${where}.securityContext`);
  const volumes = new Set(list(p.volumes ?? [], `${where}.volumes`).map((v, i) => {
    const vol = obj(v, `${where}.volumes[${i}]`, ['name', 'emptyDir'], ['name', 'emptyDir']);
    obj(vol.emptyDir, `${where}.volumes[${i}].emptyDir`, []);
    return String(vol.name);
  }));
  list(p.initContainers ?? [], `${where}.initContainers`).forEach((c, i) => container(c, `${where}.initContainers[${i}]`, volumes, true));
  const containers = list(p.containers, `${where}.containers`).map((c, i) => container(c, `${where}.containers[${i}]`, volumes, named));
  assert.ok(containers.length > 0, `${where}.containers: empty`);
  return containers;
}

/** The ServiceAccount names a cloud identity: IRSA's role or GKE Workload Identity's account. */
function serviceAccount(doc: Obj, where: string): string {
  const m = metadata(doc.metadata, `${where}.metadata`);
  const a = stringMap(m.annotations ?? {}, `${where}.metadata.annotations`);
  const irsa = a['eks.amazonaws.com/role-arn'];
  const gke = a['iam.gke.io/gcp-service-account'];
  assert.ok(irsa !== undefined || gke !== undefined, `${where}: neither an IRSA nor a Workload Identity annotation`);
  if (irsa !== undefined) assert.match(irsa, /^arn:aws[a-z-]*:iam::[0-9]{12}:role\/.+$/, `${where} IRSA role`);
  if (gke !== undefined) assert.match(gke, /^[a-z][-a-z0-9]{4,28}[a-z0-9]@[a-z][-a-z0-9]{4,28}[a-z0-9]\.iam\.gserviceaccount\.com$/, `${where} GKE service account`);
  return String(m.name);
}

/** A manifest file: ServiceAccounts, then Jobs or Pods whose kiln container has kaniko's argv. */
function checkManifest(docs: unknown[], file: string): void {
  const accounts = new Set<string>();
  let builds = 0;
  docs.forEach((d, i) => {
    const where = `${file}[${i}]`;
    const doc = obj(d, where, ['apiVersion', 'kind', 'metadata', 'spec'], ['apiVersion', 'kind', 'metadata']);
    const kind = `${String(doc.apiVersion)} ${String(doc.kind)}`;
    let spec: unknown;
    if (kind === 'v1 ServiceAccount') {
      accounts.add(serviceAccount(doc, where));
      return;
    } else if (kind === 'batch/v1 Job') {
      metadata(doc.metadata, `${where}.metadata`);
      const s = obj(doc.spec, `${where}.spec`, ['backoffLimit', 'ttlSecondsAfterFinished', 'activeDeadlineSeconds', 'template'], ['template']);
      spec = obj(s.template, `${where}.spec.template`, ['metadata', 'spec'], ['spec']).spec;
    } else if (kind === 'v1 Pod') {
      metadata(doc.metadata, `${where}.metadata`);
      spec = doc.spec;
    } else {
      assert.fail(`${where}: ${kind} is not a kind the check knows`);
    }
    const kiln = podSpec(spec, `${where}.spec`, accounts, true).filter((c) => EXECUTOR_IMAGE.test(String(c.image)));
    assert.equal(kiln.length, 1, `${where}: one kiln executor container`);
    const args = strings(kiln[0].args, `${where} kiln args`);
    assert.ok(args.some((a) => a.startsWith('--context=')) && args.some((a) => a.startsWith('--destination=')), `${where}: kiln needs --context= and --destination=`);
    builds++;
  });
  assert.ok(builds > 0, `${file}: no Job or Pod`);
}

const pipelines = readdirSync(dir).filter((f) => f.endsWith('.yml'));
const manifests = readdirSync(join(dir, 'kubernetes')).filter((f) => f.endsWith('.yaml'));

test('the examples are there: a plain-agent pipeline, an agent-stack-k8s one, IRSA and GKE manifests', () => {
  assert.deepEqual(pipelines.sort(), ['agent-stack-k8s.yml', 'pipeline.yml']);
  assert.deepEqual(manifests.sort(), ['job-eks-irsa.yaml', 'job-gke-workload-identity.yaml']);
});

for (const file of pipelines) {
  test(`${file}: every kiln plugin block validates against plugin.yml; podSpecs pass the check`, () => {
    const pipeline = obj(load(readFileSync(join(dir, file), 'utf8')), file, ['steps'], ['steps']);
    let blocks = 0;
    list(pipeline.steps, `${file}.steps`).forEach((step, i) => {
      if (typeof step === 'string') return; // "wait"
      for (const [j, plugin] of list((step as Obj).plugins ?? [], `${file}.steps[${i}].plugins`).entries()) {
        const [[name, config]] = Object.entries(plugin as Obj);
        const where = `${file}.steps[${i}].plugins[${j}]`;
        if (name === 'kubernetes') {
          const k = obj(config, where, ['podSpec'], ['podSpec']);
          const [c] = podSpec(k.podSpec, `${where}.podSpec`, undefined, false);
          assert.match(String(c.image), EXECUTOR_IMAGE, `${where}: the command container is the executor image`);
          continue;
        }
        assert.match(name, KILN_PLUGIN, `${where}: plugin name`);
        assert.doesNotThrow(() => validateConfig(config, schema), `${where}`);
        blocks++;
      }
    });
    assert.ok(blocks > 0, `${file}: no kiln plugin block`);
  });
}

for (const file of manifests) {
  test(`kubernetes/${file} passes the structural check`, () => {
    checkManifest(loadAll(readFileSync(join(dir, 'kubernetes', file), 'utf8')), file);
  });
}

test('the check refuses a privileged container, an unknown field and a missing ServiceAccount', () => {
  const job = (containerExtra: Obj, specExtra: Obj = {}) => [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa', annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/r' } } },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { serviceAccountName: 'sa', containers: [{ name: 'kiln', image: 'ghcr.io/kiln-build/kiln-executor:v1', args: ['--context=dir:///w', '--destination=r/a'], ...containerExtra }], ...specExtra } },
  ];
  assert.doesNotThrow(() => checkManifest(job({}), 'ok'));
  assert.throws(() => checkManifest(job({ securityContext: { privileged: true } }), 'x'), /privileged: the examples run without it/);
  assert.throws(() => checkManifest(job({ imagePullPolicy: 'Always', imagePulPolicy: 1 }), 'x'), /imagePullPolicy: not a field the check knows/);
  assert.throws(() => checkManifest(job({}, { serviceAccountName: 'other' }), 'x'), /no ServiceAccount other/);
  assert.throws(() => checkManifest(job({ args: ['--destination=r/a'] }), 'x'), /--context= and --destination=/);
});
