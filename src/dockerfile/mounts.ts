// RUN --mount=type=...,key=value specs, checked the way BuildKit checks them.

export type MountType = 'bind' | 'cache' | 'tmpfs' | 'secret' | 'ssh';

export interface Mount {
  type: MountType;
  target?: string;
  source?: string;
  /** A stage name or index, or an image, for bind and cache mounts. */
  from?: string;
  readonly: boolean;
  id?: string;
  sharing?: 'shared' | 'private' | 'locked';
  mode?: number;
  uid?: number;
  gid?: number;
  required?: boolean;
  size?: string;
  env?: string;
}

const TYPES = new Set<MountType>(['bind', 'cache', 'tmpfs', 'secret', 'ssh']);

/** Splits a CSV field list; double quotes protect commas, as Go's csv reader does. */
function csvFields(spec: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < spec.length; i++) {
    const ch = spec[i];
    if (quoted) {
      if (ch === '"' && spec[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      fields.push(field);
      field = '';
    } else field += ch;
  }
  fields.push(field);
  return fields;
}

function parseBool(key: string, value: string | undefined): boolean {
  if (value === undefined) return true;
  const v = value.toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new Error(`invalid value for ${key}: ${value}`);
}

function parseInt10(key: string, value: string | undefined, base = 10): number {
  if (value === undefined || !(base === 8 ? /^[0-7]+$/ : /^[0-9]+$/).test(value)) throw new Error(`invalid value for ${key}: ${value ?? ''}`);
  return parseInt(value, base);
}

/** One mount; throws a plain Error with the reason, the caller adds the position. */
export function parseMount(spec: string): Mount {
  const mount: Mount = { type: 'bind', readonly: true };
  let roSet = false;
  for (const field of csvFields(spec)) {
    if (field === '') continue;
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    const value = eq < 0 ? undefined : field.slice(eq + 1);
    switch (key) {
      case 'type':
        if (!value || !TYPES.has(value as MountType)) throw new Error(`unsupported mount type "${value ?? ''}"`);
        mount.type = value as MountType;
        break;
      case 'target':
      case 'dst':
      case 'destination':
        mount.target = value;
        break;
      case 'source':
      case 'src':
        mount.source = value;
        break;
      case 'from':
        mount.from = value;
        break;
      case 'readonly':
      case 'ro':
        mount.readonly = parseBool(key, value);
        roSet = true;
        break;
      case 'readwrite':
      case 'rw':
        mount.readonly = !parseBool(key, value);
        roSet = true;
        break;
      case 'id':
        mount.id = value;
        break;
      case 'sharing':
        if (value !== 'shared' && value !== 'private' && value !== 'locked') throw new Error(`unsupported sharing value "${value ?? ''}"`);
        mount.sharing = value;
        break;
      case 'mode':
        mount.mode = parseInt10(key, value, 8);
        break;
      case 'uid':
        mount.uid = parseInt10(key, value);
        break;
      case 'gid':
        mount.gid = parseInt10(key, value);
        break;
      case 'required':
        mount.required = parseBool(key, value);
        break;
      case 'size':
        mount.size = value;
        break;
      case 'env':
        mount.env = value;
        break;
      default:
        throw new Error(`unexpected key "${key}" in "${field}"`);
    }
  }
  // Cache and tmpfs mounts are writable unless asked otherwise; bind mounts read-only.
  if (!roSet && (mount.type === 'cache' || mount.type === 'tmpfs')) mount.readonly = false;
  if ((mount.type === 'bind' || mount.type === 'cache' || mount.type === 'tmpfs') && !mount.target) {
    throw new Error(`a ${mount.type} mount needs a target`);
  }
  if (mount.from !== undefined && mount.type !== 'bind' && mount.type !== 'cache') {
    throw new Error(`from= is only for bind and cache mounts`);
  }
  return mount;
}

/** The form BuildKit prints and kiln's cache keys hash. */
export function formatMount(m: Mount): string {
  const parts = [`type=${m.type}`];
  if (m.from !== undefined) parts.push(`from=${m.from}`);
  if (m.source !== undefined) parts.push(`source=${m.source}`);
  if (m.target !== undefined) parts.push(`target=${m.target}`);
  if (m.id !== undefined) parts.push(`id=${m.id}`);
  if (m.type === 'bind' && !m.readonly) parts.push('rw');
  if (m.type === 'cache' && m.readonly) parts.push('ro');
  if (m.sharing) parts.push(`sharing=${m.sharing}`);
  if (m.mode !== undefined) parts.push(`mode=0${m.mode.toString(8)}`);
  if (m.uid !== undefined) parts.push(`uid=${m.uid}`);
  if (m.gid !== undefined) parts.push(`gid=${m.gid}`);
  if (m.required !== undefined) parts.push(`required=${m.required}`);
  if (m.size !== undefined) parts.push(`size=${m.size}`);
  if (m.env !== undefined) parts.push(`env=${m.env}`);
  return parts.join(',');
}
