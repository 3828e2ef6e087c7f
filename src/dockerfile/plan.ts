// The text `kiln build --dry-run` prints: the stages that will build, in order, the base each
// starts from, and each instruction after expansion, written back in Dockerfile syntax.
import type { Heredoc, Instruction, KeyValue } from './instructions.ts';
import { formatDuration } from './duration.ts';
import type { PlannedStage, ResolvedBuild, Stage, StageBase } from './stages.ts';

function quoted(value: string): string {
  return /^[A-Za-z0-9_./:@+,=-]+$/.test(value) ? value : JSON.stringify(value);
}

function pairs(list: KeyValue[]): string {
  return list.map((p) => `${p.key}=${quoted(p.value)}`).join(' ');
}

function command(args: string[], shell: boolean): string {
  return shell ? (args[0] ?? '') : JSON.stringify(args);
}

function flag(name: string, value: string | boolean | undefined): string[] {
  if (value === undefined || value === false) return [];
  return [value === true ? `--${name}` : `--${name}=${value}`];
}

function heredocBodies(docs: Heredoc[]): string {
  return docs.map((d) => `\n${d.content}${d.name}`).join('');
}

/** One instruction in Dockerfile syntax (heredoc bodies included). */
export function formatInstruction(instr: Instruction): string {
  const words = (...parts: (string | string[])[]): string => parts.flat().filter((p) => p !== '').join(' ');
  switch (instr.kind) {
    case 'from':
      return words('FROM', flag('platform', instr.platform), instr.image, instr.stageName ? `AS ${instr.stageName}` : '');
    case 'run':
      return (
        words('RUN', instr.mounts.map((m) => `--mount=${m}`), flag('network', instr.network), flag('security', instr.security), command(instr.args, instr.shell)) +
        heredocBodies(instr.heredocs)
      );
    case 'cmd':
    case 'entrypoint':
      return words(instr.kind.toUpperCase(), command(instr.args, instr.shell));
    case 'shell':
      return `SHELL ${JSON.stringify(instr.shell)}`;
    case 'label':
      return `LABEL ${pairs(instr.labels)}`;
    case 'env':
      return `ENV ${pairs(instr.vars)}`;
    case 'maintainer':
      return `MAINTAINER ${instr.maintainer}`;
    case 'expose':
      return `EXPOSE ${instr.ports.join(' ')}`;
    case 'copy':
    case 'add': {
      const own = instr.kind === 'copy' ? [...flag('from', instr.from), ...flag('parents', instr.parents)] : [...flag('checksum', instr.checksum), ...flag('keep-git-dir', instr.keepGitDir)];
      const common = [...flag('chown', instr.chown), ...flag('chmod', instr.chmod), ...flag('link', instr.link), ...instr.exclude.map((e) => `--exclude=${e}`)];
      const inline = instr.contents.map((c) => `<<${c.path}`);
      const bodies = instr.contents.map((c) => `\n${c.data}${c.path}`).join('');
      return words(instr.kind.toUpperCase(), own, common, instr.sources.map(quoted), inline, quoted(instr.dest)) + bodies;
    }
    case 'volume':
      return `VOLUME ${JSON.stringify(instr.volumes)}`;
    case 'user':
      return `USER ${instr.user}`;
    case 'workdir':
      return `WORKDIR ${instr.path}`;
    case 'arg':
      return `ARG ${instr.args.map((a) => (a.value === undefined ? a.name : `${a.name}=${quoted(a.value)}`)).join(' ')}`;
    case 'onbuild':
      return `ONBUILD ${instr.expression}`;
    case 'stopsignal':
      return `STOPSIGNAL ${instr.signal}`;
    case 'healthcheck': {
      if (instr.test[0] === 'NONE') return 'HEALTHCHECK NONE';
      const durations = [
        flag('interval', instr.interval ? formatDuration(instr.interval) : undefined),
        flag('timeout', instr.timeout ? formatDuration(instr.timeout) : undefined),
        flag('start-period', instr.startPeriod ? formatDuration(instr.startPeriod) : undefined),
        flag('start-interval', instr.startInterval ? formatDuration(instr.startInterval) : undefined),
        flag('retries', instr.retries ? String(instr.retries) : undefined),
      ];
      const cmd = instr.test[0] === 'CMD-SHELL' ? instr.test[1] : JSON.stringify(instr.test.slice(1));
      return words('HEALTHCHECK', ...durations, 'CMD', cmd);
    }
  }
}

function describeStage(s: Stage): string {
  return s.name ? `"${s.name}"` : `#${s.index}`;
}

function describeBase(base: StageBase, all: Stage[]): string {
  switch (base.kind) {
    case 'scratch':
      return 'scratch (empty filesystem)';
    case 'image':
      return `image ${base.ref}`;
    case 'stage':
      return `stage ${describeStage(all[base.index])}`;
  }
}

/** The whole dry-run plan as lines of text. */
export function formatPlan(build: ResolvedBuild, planned: PlannedStage[]): string {
  const lines: string[] = [];
  const total = build.allStages.length;
  lines.push(`${build.file}: ${total} stage${total === 1 ? '' : 's'}, building ${planned.length} (target ${describeStage(build.target)})`);
  if (build.metaArgs.size > 0) {
    const shown = [...build.metaArgs].map(([k, v]) => (v === undefined ? `${k} (unset)` : `${k}=${quoted(v)}`));
    lines.push(`global ARGs: ${shown.join(' ')}`);
  }
  planned.forEach((p, i) => {
    const s = p.stage;
    const platform = s.platform ? ` --platform=${s.platform}` : '';
    lines.push('');
    lines.push(`[${i + 1}/${planned.length}] stage ${describeStage(s)} (index ${s.index}) from ${describeBase(s.base, build.allStages)}${platform}`);
    if (s.dependsOn.some((d) => s.base.kind !== 'stage' || d !== s.base.index)) {
      const reads = s.dependsOn.filter((d) => s.base.kind !== 'stage' || d !== s.base.index).map((d) => describeStage(build.allStages[d]));
      lines.push(`  reads from stage ${reads.join(', ')}`);
    }
    if (s.images.length > 0) lines.push(`  reads from image ${s.images.join(', ')}`);
    for (const instr of p.instructions) {
      const text = formatInstruction(instr).split('\n');
      lines.push(`  ${String(instr.position.line).padStart(4)}  ${text[0]}`);
      for (const more of text.slice(1)) lines.push(`        | ${more}`);
    }
  });
  const skipped = build.allStages.filter((s) => !planned.some((p) => p.stage.index === s.index));
  if (skipped.length > 0) {
    lines.push('');
    lines.push(`not built: ${skipped.map(describeStage).join(', ')}`);
  }
  return lines.join('\n') + '\n';
}

/** The warning Docker prints for --build-arg values nothing used, or undefined. */
export function unusedArgsWarning(build: ResolvedBuild): string | undefined {
  if (build.unusedBuildArgs.length === 0) return undefined;
  return `one or more build args were not consumed by any ARG: ${build.unusedBuildArgs.join(', ')}`;
}
