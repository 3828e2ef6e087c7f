// The job summary, from the build's metadata file and the parsed inputs: images with digests,
// platform, size, layers, cache hit and seconds per step, and the inputs as YAML. Secret values
// never reach it: `secrets` become their ids, registry-auth passwords are left out.
import { dump } from 'js-yaml';
import type { BuildMetadata } from '../../executor/build-report.ts';
import { cell, size, stepTable } from '../report-markdown.ts';
import type { ActionInputs } from './inputs.ts';

/** The inputs as the summary shows them: what each secret is called, never what it holds. */
export function summaryInputs(inputs: ActionInputs): Record<string, unknown> {
  const { secrets, registryAuth, ...rest } = inputs;
  const shown: Record<string, unknown> = { ...rest };
  if (secrets.length) shown.secrets = secrets.map((s) => s.id);
  if (registryAuth.length) {
    shown.registryAuth = registryAuth.map((entry) => ('oidc' in entry ? { registry: entry.registry, oidc: entry.oidc } : { registry: entry.registry, username: entry.username }));
  }
  // Empty lists and unset inputs say nothing; keys are spelled as the inputs are (build-args).
  return Object.fromEntries(
    Object.entries(shown)
      .filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0))
      .map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), v]),
  );
}

export function summaryMarkdown(metadata: BuildMetadata, inputs: ActionInputs): string {
  const r = metadata['kiln.report'];
  const lines: string[] = [];
  if (r.success) {
    const hits = r.steps.filter((s) => s.cached).length;
    lines.push('### kiln built an image', '', '| Image | Platform | Size | Layers | Cache hits | Seconds |', '| --- | --- | --- | --- | --- | --- |');
    const digest = metadata['containerimage.digest'] ?? '';
    const images = r.images.length ? r.images : [{ name: '(not pushed)', digest }];
    for (const img of images) {
      lines.push(`| \`${cell(img.name)}@${img.digest}\` | ${cell(r.platform ?? '')} | ${size(r.size ?? 0)} | ${r.layers ?? 0} | ${hits}/${r.steps.length} | ${r.seconds} |`);
    }
  } else {
    const e = r.error;
    lines.push(`### kiln build failed${e?.file && e.line ? ` at ${cell(e.file)}:${e.line}` : ''}`, '');
    if (e?.instruction) lines.push(`Failing instruction: \`${cell(e.instruction)}\``, '');
    lines.push('```', (e?.message ?? 'unknown error').replace(/```/g, "'''"), '```');
  }
  lines.push(...stepTable(r.steps));
  lines.push('', '<details><summary>Inputs</summary>', '', '```yaml', dump(summaryInputs(inputs), { lineWidth: -1 }).trimEnd(), '```', '', '</details>');
  return lines.join('\n') + '\n';
}
